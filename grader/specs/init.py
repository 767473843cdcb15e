"""Checks for ``init``: Xavier (Glorot) uniform and He (Kaiming) normal initialisation, graded
by statistics of the returned matrix.

The matrices are random, so each property is a check of its own, on fans large enough for the
statistics to separate the right distribution from the catalogued mistakes: the smaller fan is
40 to 50 and the larger one 1.6 to 2.4 times as large (2560 to 6000 entries), so that using one
fan instead of another changes the scale by a factor of at least 1.19.  For He the larger fan
is always ``fan_in``: a ``fan_out`` used by mistake then gives a standard deviation 1.26 to 1.55
times too large, which cannot be confused with LeCun's ``sqrt(1/fan_in)`` (0.71 times too
small).  Xavier's fans come in either order.

Every statistical bound is stated with its false-failure probability for a *correct* answer
(treating the seeded generator as ideal), each one-sided bound at most ``exp(-25) = 1.4e-11``:

- Xavier ``within_bound``: no entry beyond ``sqrt(6/(fan_in+fan_out))`` (certain), and the
  largest ``|w|`` at least 0.99 of it (fails with probability ``0.99**n <= 0.99**2560 = 6.6e-12``);
- Xavier ``mean_and_std``: Hoeffding bounds on the mean of ``w`` and of ``w**2`` (entries are
  bounded), ``4*exp(-25) = 5.6e-11`` together;
- He ``mean_and_std``: the mean is exactly normal and ``sum(w**2)/sigma**2`` is chi-square with
  ``n`` degrees of freedom (Laurent-Massart bounds), ``3*exp(-25) = 4.2e-11`` together;
- He ``normal_shape``: the fraction of entries beyond twice the matrix's own root mean square
  (4.6 % for a normal sample, 0 for a uniform one, whose largest value is 1.73 times its RMS),
  by Chernoff bounds on the binomial counts at the extreme thresholds the chi-square bound
  allows, ``4*exp(-25) = 5.6e-11``; and at least one entry beyond ``far_tail(n)`` times the RMS
  (2.34 to 2.69), which a normal truncated at two standard deviations never reaches,
  ``2*exp(-25) = 2.8e-11``.

So a correct answer fails a drawn input with probability below 1e-10, and a check of 200 inputs
below 2e-8.  Each check reports summary statistics; a mistake is named when its statistics on
the same input agree with the student's within the check's tolerance, chosen wider than the
sampling noise of two different random matrices (standard deviations of ~0.01 for a fraction
or a scale ratio, ~0.02 for the mean) and narrower than the gaps between the mistakes.
NumPy's and Python's global generators are re-seeded before every call of the seed check, as
the sandbox does, so code that ignores ``seed`` fails it.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from grader.compare import EXACT, Tolerance, describe
from grader.spec import ModuleSpec, single_call
from grader.stats import LOG_RISK, binomial_band, note_first
from reference import init as ref

spec = ModuleSpec("init", "Weight initialisation", reference=ref)


# Inputs ----------------------------------------------------------------------------------------

@st.composite
def large_fans(draw, fan_in_larger=None):
    """``fan_in`` and ``fan_out``: the smaller in [40, 50], the larger 1.6 to 2.4 times it; with
    ``fan_in_larger`` unset the order is drawn."""
    small = draw(st.integers(40, 50))
    large = draw(st.integers(math.ceil(1.6 * small), math.floor(2.4 * small)))
    if fan_in_larger is None:
        fan_in_larger = draw(st.booleans())
    fans = (large, small) if fan_in_larger else (small, large)
    return {"fan_in": fans[0], "fan_out": fans[1], "seed": draw(st.integers(0, 2**31 - 1))}


@st.composite
def small_fans(draw):
    fan_in, fan_out = draw(st.lists(st.integers(2, 9), min_size=2, max_size=2, unique=True))
    return {"fan_in": fan_in, "fan_out": fan_out, "seed": draw(st.integers(0, 2**31 - 1))}


# Recipes ---------------------------------------------------------------------------------------

def _matrix(fn, args):
    """The returned matrix as float64, or a ``"<...>"`` note saying why it cannot be graded."""
    w = fn(**args)
    fan_in, fan_out = args["fan_in"], args["fan_out"]
    if not isinstance(w, np.ndarray) or w.dtype.kind not in "iuf":
        return f"<returned {describe(w)}; expected an ndarray of shape (fan_in, fan_out) = ({fan_in}, {fan_out})>"
    if w.size != fan_in * fan_out:
        return (f"<returned an ndarray of shape {tuple(w.shape)}; expected (fan_in, fan_out) = "
                f"({fan_in}, {fan_out})>")
    return w.astype(np.float64).ravel()


@single_call
def matrix_shape(fn, args):
    w = fn(**args)
    if not isinstance(w, np.ndarray):
        return {"note": f"<returned {describe(w)}; expected an ndarray of shape (fan_in, fan_out)>"}
    return {"shape": list(w.shape)}


def shape_verify(got, want, args):
    if got["shape"] == want["shape"]:
        return None
    hint = (" (transposed: PyTorch stores a layer's weight as (fan_out, fan_in), but here the matrix "
            "multiplies inputs from the right, x @ W, so it has one row per input)"
            if got["shape"] == want["shape"][::-1] else "")
    return f"returned shape {tuple(got['shape'])}, expected (fan_in, fan_out) = {tuple(want['shape'])}{hint}"


def same_and_different_seeds(fn, args):
    """Two calls with the same seed and one with another, the global generators re-seeded before
    each call as the sandbox does."""
    other = dict(args, seed=args["seed"] + 1)
    first, again, changed = (np.asarray(fn(**a)) for a in (args, args, other))
    return {"same seed gives the same matrix": bool(np.array_equal(first, again)),
            "a different seed gives a different matrix": not np.array_equal(first, changed)}


def seeds_verify(got, want, args):
    if not got["same seed gives the same matrix"]:
        return (f"two calls with seed={args['seed']} returned different matrices: draw from "
                f"np.random.default_rng(seed), a new generator made from the seed in every call")
    if not got["a different seed gives a different matrix"]:
        return (f"seed={args['seed']} and seed={args['seed'] + 1} gave the same matrix: draw from "
                f"np.random.default_rng(seed), not from np.random.* (whose global state the grader "
                f"resets before every call)")
    return None


def shape_check(function):
    spec.check(function, "shape", points=1, description="the matrix has shape (fan_in, fan_out)",
               inputs=small_fans(), oracle=getattr(ref, function), tol=EXACT, run=matrix_shape,
               verify=note_first(shape_verify))


def seed_check(function):
    spec.check(function, "seeded", points=1,
               description="the same seed gives the same matrix and a different seed a different one, "
                           "even with NumPy's global generator re-seeded before every call",
               inputs=small_fans(), oracle=getattr(ref, function), tol=EXACT,
               run=same_and_different_seeds, verify=seeds_verify)


# xavier_uniform ------------------------------------------------------------------------------

def xavier_bound(args):
    return math.sqrt(6 / (args["fan_in"] + args["fan_out"]))


@single_call
def xavier_extremes(fn, args):
    """The fraction of entries outside the bound, and the largest ``|w|`` over the bound (capped
    at 1, so that every sample reaching the bound reads the same)."""
    w = _matrix(fn, args)
    if isinstance(w, str):
        return {"note": w}
    size = np.abs(w) / xavier_bound(args)
    return {"fraction of entries with |w| > bound": float(np.mean(size > 1 + 1e-12)),
            "largest |w| / bound (capped at 1)": float(min(np.max(size), 1.0))}


def xavier_bound_verify(got, want, args):
    bound = xavier_bound(args)
    outside = got["fraction of entries with |w| > bound"]
    if not outside == 0:
        return (f"{outside:.1%} of the entries lie outside [-bound, bound] with bound = sqrt(6/(fan_in + "
                f"fan_out)) = {bound:.6g}; Xavier's uniform distribution never leaves that interval")
    top = got["largest |w| / bound (capped at 1)"]
    if not top >= 0.99:
        return (f"the largest |w| is only {top:.3g} * bound (bound = sqrt(6/(fan_in + fan_out)) = "
                f"{bound:.6g}); with {args['fan_in'] * args['fan_out']} entries uniform on [-bound, bound] "
                f"it is above 0.99 * bound except with probability 0.99**n < 7e-12")
    return None


def moments(fn, args, std):
    """The mean and the root mean square of the entries, in units of the expected std."""
    w = _matrix(fn, args)
    if isinstance(w, str):
        return {"note": w}
    return {"mean / expected std": float(np.mean(w) / std),
            "rms / expected std": float(np.sqrt(np.mean(w * w)) / std)}


@single_call
def xavier_moments(fn, args):
    return moments(fn, args, xavier_bound(args) / math.sqrt(3))


def xavier_moments_verify(got, want, args):
    n = args["fan_in"] * args["fan_out"]
    mean, rms = got["mean / expected std"], got["rms / expected std"]
    # Hoeffding for entries in [-b, b]: P(|mean| >= b*sqrt(2c/n)) <= 2exp(-c); in units of
    # std = b/sqrt(3).  For w**2/b**2 in [0, 1]: P(|mean - 1/3| >= sqrt(c/(2n))) <= 2exp(-c).
    mean_limit = math.sqrt(3) * math.sqrt(2 * LOG_RISK / n)
    spread = 3 * math.sqrt(LOG_RISK / (2 * n))
    rms_lo, rms_hi = math.sqrt(1 - spread), math.sqrt(1 + spread)
    if not abs(mean) <= mean_limit:
        return (f"the mean of the entries is {mean:.3g} standard deviations away from 0 (allowed "
                f"{mean_limit:.3g} for n = {n}): draw from [-bound, bound], centred on 0")
    if not rms_lo <= rms <= rms_hi:
        return (f"the entries' root mean square is {rms:.4g} times sqrt(2/(fan_in + fan_out)) "
                f"(allowed {rms_lo:.3f} to {rms_hi:.3f} for n = {n}); uniform on [-b, b] with "
                f"b = sqrt(6/(fan_in + fan_out)) has variance b**2/3 = 2/(fan_in + fan_out)")
    return None


BOUND_TOL = Tolerance(0.0, 0.04, "used only to name mistakes: two random matrices of >= 2560 "
                      "entries give fractions within ~0.01 of each other; the mistakes' fractions "
                      "beyond the bound (0, 0.083 for a normal, 0.16-0.21 and 0.38-0.46 for a "
                      "bound from one fan) and capped maxima (1, 0.58, < 0.3) are >= 0.07 apart")
XAVIER_MOMENT_TOL = Tolerance(0.0, 0.1, "used only to name mistakes: two random matrices of >= 2560 "
                              "entries give means within ~0.03 and scale ratios within ~0.01 of each "
                              "other; the mistakes' ratios (< 0.3, 0.58, 1.19-1.27, 1.61-1.84) and "
                              "the uncentred mean (0.87) are >= 0.3 apart")

shape_check("xavier_uniform")
spec.check("xavier_uniform", "within_bound", points=1,
           description="every entry lies in [-b, b], b = sqrt(6/(fan_in + fan_out)), and the largest "
                       "|w| comes within 1% of b (false-failure probability < 7e-12 per input)",
           inputs=large_fans(), oracle=ref.xavier_uniform, tol=BOUND_TOL, run=xavier_extremes,
           verify=note_first(xavier_bound_verify))
spec.check("xavier_uniform", "mean_and_std", points=1,
           description="the entries have mean 0 and variance 2/(fan_in + fan_out) (Hoeffding bounds, "
                       "false-failure probability < 6e-11 per input)",
           inputs=large_fans(), oracle=ref.xavier_uniform, tol=XAVIER_MOMENT_TOL, run=xavier_moments,
           verify=note_first(xavier_moments_verify))
seed_check("xavier_uniform")
spec.mistakes(
    "xavier_uniform",
    bound_with_fan_out=("Your bound is sqrt(6/fan_out). Xavier averages the two fans: the bound is "
                        "sqrt(6/(fan_in + fan_out)), so the variance is 2/(fan_in + fan_out)."),
    bound_with_fan_in=("Your bound is sqrt(6/fan_in) (that is He uniform). Xavier uses both fans: "
                       "sqrt(6/(fan_in + fan_out))."),
    bound_without_sqrt=("Your bound is 6/(fan_in + fan_out), without the square root, which makes the weights "
                        "far too small. The bound is sqrt(6/(fan_in + fan_out))."),
    std_as_bound=("You drew from [-s, s] with s = sqrt(2/(fan_in + fan_out)), the target standard deviation. "
                  "A uniform on [-b, b] has standard deviation b/sqrt(3), so the bound is "
                  "b = sqrt(6/(fan_in + fan_out))."),
    normal_not_uniform=("You drew from a normal distribution (Xavier normal). This exercise is Xavier uniform: "
                        "rng.uniform(-b, b, size=(fan_in, fan_out)) with b = sqrt(6/(fan_in + fan_out))."),
    not_centred=("Your weights are all positive: rng.random() * b draws from [0, b). Draw from [-b, b]: "
                 "rng.uniform(-b, b, size=...) or (2 * rng.random(...) - 1) * b."),
    transposed=("Your matrix has shape (fan_out, fan_in), PyTorch's layout for a layer's weight. Here it "
                "multiplies inputs from the right (x @ W), so it has shape (fan_in, fan_out)."),
    ignored_seed=("Your matrix does not depend on seed: it comes from NumPy's global generator (np.random.*), "
                  "which the grader resets before every call. Use rng = np.random.default_rng(seed)."),
    unseeded_generator=("Your matrix changes from call to call with the same seed: np.random.default_rng() "
                        "without an argument is seeded from the operating system. Pass the seed: "
                        "np.random.default_rng(seed)."),
)


# he_normal -----------------------------------------------------------------------------------

def he_std(args):
    return math.sqrt(2 / args["fan_in"])


@single_call
def he_moments(fn, args):
    return moments(fn, args, he_std(args))


def chi_square_band(n):
    """``(lo, hi)`` for ``S = chi2_n / n``: each side fails with probability at most exp(-25)
    (Laurent & Massart 2000: ``P(chi2 - n >= 2 sqrt(n c) + 2c) <= e^-c`` and
    ``P(n - chi2 >= 2 sqrt(n c)) <= e^-c``)."""
    return 1 - 2 * math.sqrt(LOG_RISK / n), 1 + 2 * math.sqrt(LOG_RISK / n) + 2 * LOG_RISK / n


def he_moments_verify(got, want, args):
    n = args["fan_in"] * args["fan_out"]
    mean, rms = got["mean / expected std"], got["rms / expected std"]
    # the mean of n normals is N(0, std**2/n): P(|Z| >= sqrt(2c)) <= exp(-c)
    mean_limit = math.sqrt(2 * LOG_RISK / n)
    lo, hi = chi_square_band(n)
    if not abs(mean) <= mean_limit:
        return (f"the mean of the entries is {mean:.3g} standard deviations away from 0 (allowed "
                f"{mean_limit:.3g} for n = {n}): draw from a normal distribution centred on 0")
    if not math.sqrt(lo) <= rms <= math.sqrt(hi):
        return (f"the entries' standard deviation is {rms:.4g} times sqrt(2/fan_in) (allowed "
                f"{math.sqrt(lo):.3f} to {math.sqrt(hi):.3f} for n = {n}); He initialisation draws "
                f"from N(0, 2/fan_in), standard deviation sqrt(2/fan_in)")
    return None


@single_call
def tail_fraction(fn, args):
    """The fraction of entries with ``|w| > 2 * rms(w)`` (scale-free: a wrong std does not
    change it)."""
    w = _matrix(fn, args)
    if isinstance(w, str):
        return {"note": w}
    rms = np.sqrt(np.mean(w * w))
    return {"fraction of entries with |w| > 2 * rms(w)": float(np.mean(np.abs(w) > 2 * rms)),
            "some entry lies in the normal's far tail": bool(np.max(np.abs(w)) >= far_tail(w.size) * rms)}


def far_tail(n):
    """A multiple ``t`` of the RMS that at least one of ``n`` normal entries exceeds, except with
    probability ``2*exp(-25)``: the RMS is at most ``std*sqrt(hi)`` (chi-square band, ``exp(-25)``)
    and ``P(no |Z| > z) = (1 - p)**n <= exp(-25)`` for ``p = 1 - exp(-25/n)`` (``z`` by bisection
    on ``erfc``); ``t = z / sqrt(hi)``, 2.34 for n = 2560 and 2.69 for n = 6000.  A normal truncated
    at two standard deviations and rescaled to the right variance (Keras's ``HeNormal``) never
    goes beyond ``2 / 0.8796 = 2.27`` times its RMS, and a uniform
    sample beyond 1.73; both keep the right mean and standard deviation, so only this bound sees
    them (the 2-RMS fraction of the truncated normal, 3.5 % instead of 4.6 %, is inside the band)."""
    p = -math.expm1(-LOG_RISK / n)
    lo, hi = 0.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if math.erfc(mid / math.sqrt(2)) > p:
            lo = mid
        else:
            hi = mid
    return lo / math.sqrt(chi_square_band(n)[1])


def normal_tail_band(n):
    """Where the fraction of ``|w| > 2 * rms(w)`` of ``n`` normal entries lies, except with
    probability ``4*exp(-25)``: the chi-square band puts ``rms/std`` in ``[sqrt(lo), sqrt(hi)]``
    (``2*exp(-25)``), and the counts beyond ``2*std*sqrt(lo)`` and ``2*std*sqrt(hi)`` are binomial
    (Chernoff bounds, ``exp(-25)`` each)."""
    lo, hi = chi_square_band(n)
    most = math.erfc(math.sqrt(2 * lo))     # P(|Z| > 2 sqrt(lo))
    least = math.erfc(math.sqrt(2 * hi))    # P(|Z| > 2 sqrt(hi))
    return binomial_band(n, least)[0], binomial_band(n, most)[1]


def tail_verify(got, want, args):
    n = args["fan_in"] * args["fan_out"]
    fraction = got["fraction of entries with |w| > 2 * rms(w)"]
    lo, hi = normal_tail_band(n)
    if lo <= fraction <= hi:
        if got.get("some entry lies in the normal's far tail", True):
            return None
        return (f"no entry is more than {far_tail(n):.2f} times the entries' RMS from 0, yet among {n} "
                f"normal draws some are (the chance that none is: below 3e-11). Your distribution has no "
                f"far tail: a truncated normal (such as Keras's HeNormal, cut at two standard deviations) "
                f"is not He normal initialisation; draw rng.normal(0, sqrt(2/fan_in), size=(fan_in, fan_out))")
    return (f"{fraction:.2%} of the entries are more than two standard deviations from 0; for "
            f"{n} normal draws that fraction is about 4.6% (between {lo:.2%} and {hi:.2%} except "
            f"with probability < 6e-11). A uniform distribution has none: He initialisation draws "
            f"from a normal distribution, rng.normal(0, sqrt(2/fan_in), size=(fan_in, fan_out))")


HE_MOMENT_TOL = Tolerance(0.0, 0.1, "used only to name mistakes: two random matrices of >= 2560 "
                          "entries give means within ~0.03 and scale ratios within ~0.01 of each "
                          "other; the mistakes' scale ratios (< 0.23 for the variance as std, 0.71 "
                          "for LeCun, 1.26-1.55 for fan_out) are >= 0.45 apart")
TAIL_TOL = Tolerance(0.0, 0.02, "used only to name mistakes: a normal sample of >= 2560 entries "
                     "has 4.6% +- 0.4% of them beyond two RMS, a uniform one none at all")

shape_check("he_normal")
spec.check("he_normal", "mean_and_std", points=1,
           description="the entries have mean 0 and standard deviation sqrt(2/fan_in) (normal and "
                       "chi-square bounds, false-failure probability < 5e-11 per input)",
           inputs=large_fans(fan_in_larger=True), oracle=ref.he_normal, tol=HE_MOMENT_TOL,
           run=he_moments, verify=note_first(he_moments_verify))
spec.check("he_normal", "normal_shape", points=1,
           description="the entries are normally distributed: about 4.6% lie beyond twice their RMS and "
                       "some beyond 2.34 to 2.69 times it (binomial and chi-square bounds, false-failure "
                       "probability < 8e-11 per input)",
           inputs=large_fans(fan_in_larger=True), oracle=ref.he_normal, tol=TAIL_TOL,
           run=tail_fraction, verify=note_first(tail_verify))
seed_check("he_normal")
spec.mistakes(
    "he_normal",
    std_with_fan_out=("Your standard deviation is sqrt(2/fan_out). He initialisation (mode fan_in, PyTorch's "
                      "default) keeps the forward activations' variance steady, so it uses the inputs: "
                      "sqrt(2/fan_in)."),
    variance_as_std=("You passed the variance 2/fan_in as the standard deviation. rng.normal takes the standard "
                     "deviation: sqrt(2/fan_in)."),
    lecun_std=("Your standard deviation is sqrt(1/fan_in) (LeCun initialisation). For ReLU layers He doubles "
               "the variance, because ReLU zeroes half of the activations: sqrt(2/fan_in)."),
    uniform_not_normal=("You drew from a uniform distribution (He uniform). This exercise is He normal: "
                        "rng.normal(0, sqrt(2/fan_in), size=(fan_in, fan_out))."),
    truncated_normal=("You drew from a truncated normal (as Keras's HeNormal does: draws beyond two standard "
                      "deviations are redrawn). He normal initialisation, PyTorch's kaiming_normal_, is the full "
                      "normal: rng.normal(0, sqrt(2/fan_in), size=(fan_in, fan_out))."),
    transposed=("Your matrix has shape (fan_out, fan_in), PyTorch's layout for a layer's weight. Here it "
                "multiplies inputs from the right (x @ W), so it has shape (fan_in, fan_out)."),
    ignored_seed=("Your matrix does not depend on seed: it comes from NumPy's global generator (np.random.*), "
                  "which the grader resets before every call. Use rng = np.random.default_rng(seed)."),
    unseeded_generator=("Your matrix changes from call to call with the same seed: np.random.default_rng() "
                        "without an argument is seeded from the operating system. Pass the seed: "
                        "np.random.default_rng(seed)."),
)
