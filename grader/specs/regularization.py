"""Checks for ``regularization``: penalties against torch autograd, dropout by its properties,
early stopping against a plain-Python reference on generated loss curves.

Penalties: ``w`` is 1-D or 2-D (distinct dimensions, at least two entries) with entries
``0.1 <= |w| < 2``, so every correct formula agrees with autograd to ~1e-15 relative; the
kink of ``|w|`` at 0 gets its own check, with about a third of the entries exactly 0, where
the subgradient is ``sign(0) = 0`` (torch's autograd of ``abs`` gives the same 0).  The
coefficients are never 1 (a forgotten ``lam`` hides at 1) and ``l1 != l2``.

Dropout is random, so it is graded by properties, each its own check, on ``x`` of 930 to 1980
entries with ``0.1 <= |x| < 2`` (so an output 0 can only mean "dropped"):

- kept entries are exactly ``x / (1 - p)`` (deterministic);
- the fraction of zeros agrees with ``p`` -- a Chernoff bound on the binomial count, so a
  correct answer fails with probability at most ``2*exp(-25) = 2.8e-11`` per drawn input
  (5.6e-9 for a check of 200 inputs);
- every entry is dropped on its own: with independent entries a row or column of 30 or more is
  entirely dropped or entirely kept with probability below ``0.8**30 = 1.2e-3``, so half of the
  30+ rows (or columns) being constant has probability below ``C(30, 15) * 1.2e-3**15 < 1e-30``,
  while a mask shared along an axis makes all of them constant;
- identity in evaluation mode and at ``p == 0`` (deterministic);
- the same seed gives the same output and different seeds different outputs: two independent
  masks coincide with probability ``(p**2 + (1-p)**2)**n <= 0.68**930 < 1e-150``.  NumPy's and Python's
  global generators are re-seeded before every call here, as the sandbox does, so code that
  ignores ``seed`` and draws from ``np.random.*`` fails this check.

Each dropout check summarises the output (the fraction zeroed, the range of ``out / x``) and
grades the summary; a mistake is named when its summary on the same input agrees with the
student's within the check's tolerance, which is chosen wide enough for the sampling noise of
two different random masks and narrow enough to tell the catalogued mistakes apart.

Early stopping: losses are multiples of 1/8 (exact binary fractions) and ``min_delta`` is 0.25,
0.5 or 1.0, so ``loss < best - min_delta``, ``loss + min_delta < best`` and
``best - loss > min_delta`` give the same answer in floating point and correct code cannot
disagree on a tie; results are integers and must match exactly.  The curves mix real
improvements with ties with the best loss, plateaus, rises, decreases of exactly
``min_delta`` and decreases smaller than ``min_delta``.
"""

from __future__ import annotations


import numpy as np
from hypothesis import strategies as st

from grader.compare import EXACT, Tolerance, describe
from grader.spec import ModuleSpec, single_call
from grader.stats import binomial_band, note_first
from grader.strategies import away_from_zero, dims, rng, seeds
from reference import regularization as ref

spec = ModuleSpec("regularization", "Regularization", reference=ref)

# l1_penalty, l2_penalty, elastic_net ---------------------------------------------------------

PENALTY_TOL = Tolerance(1e-10, 1e-12, "sums of at most 42 terms below 4 in float64 agree with "
                        "autograd to ~1e-14 relative in any order; every catalogued mistake "
                        "moves the penalty or a gradient entry by 1e-3 relative or more (most by "
                        "a factor of 2 or more), or by a whole lam at a zero entry")
PENALTY_OUT = ("penalty", "grad")
LAMS = st.sampled_from([0.3, 0.05, 1.7])   # never 1, where a forgotten lam hides
L2S = st.sampled_from([0.2, 0.7, 0.04])    # disjoint from LAMS, so l1 != l2 always


@st.composite
def weights(draw, with_zeros=False, **coefficients):
    """``w`` (1-D or 2-D, distinct dims from 3 to 7: a mean over 2 entries would look like the 1/2
    convention) with ``0.1 <= |w| < 2``; with ``with_zeros`` about a
    third of its entries (at least one) are exactly 0."""
    shape = tuple(draw(dims(draw(st.integers(1, 2)), 3, 7)))
    gen = rng(draw(seeds))
    w = away_from_zero(gen, shape, 0.1, 2.0)
    if with_zeros:
        w[gen.random(shape) < 1 / 3] = 0.0
        w.flat[gen.integers(w.size)] = 0.0
    return {"w": w, **{name: draw(value) for name, value in coefficients.items()}}


spec.check("l1_penalty", "matches_torch", points=1,
           description="(penalty, grad) equal lam * |w|.sum() and its autograd gradient lam * sign(w)",
           inputs=weights(lam=LAMS), oracle=ref.l1_penalty, tol=PENALTY_TOL, outputs=PENALTY_OUT)
spec.check("l1_penalty", "zero_entries", points=1,
           description="where w is exactly 0 the subgradient is sign(0) = 0, as torch's autograd of abs",
           inputs=weights(with_zeros=True, lam=LAMS), oracle=ref.l1_penalty, tol=PENALTY_TOL,
           outputs=PENALTY_OUT)
spec.mistakes(
    "l1_penalty",
    l2_instead=("You computed the L2 penalty lam * sum(w**2). The L1 penalty is lam * sum(|w|), with "
                "(sub)gradient lam * sign(w)."),
    gradient_without_lam="Your gradient is sign(w); the penalty is scaled by lam, so its gradient is lam * sign(w).",
    no_abs=("Your penalty is lam * sum(w): positive and negative weights cancel. The L1 penalty sums their "
            "sizes, lam * sum(|w|)."),
    mean_not_sum=("You averaged |w| over the entries. The penalty is a sum, lam * sum(|w|), and each entry's "
                  "gradient is lam * sign(w), not divided by the number of entries."),
    sign_at_zero_is_one=("Your gradient at w == 0 is +lam (e.g. from np.where(w >= 0, 1, -1)). |w| has a kink "
                         "at 0; use the subgradient sign(0) = 0 there, as np.sign and torch do."),
    divided_by_abs=("Your gradient is lam * w / |w|, which is 0/0 = nan where w == 0. Use np.sign(w), whose "
                    "value at 0 is the subgradient 0."),
)

spec.check("l2_penalty", "matches_torch", points=1,
           description="(penalty, grad) equal lam * (w**2).sum() and its autograd gradient 2 * lam * w",
           inputs=weights(lam=LAMS), oracle=ref.l2_penalty, tol=PENALTY_TOL, outputs=PENALTY_OUT)
spec.mistakes(
    "l2_penalty",
    half_convention=("You used the 1/2 convention, 0.5 * lam * sum(w**2) with gradient lam * w. This exercise's "
                     "penalty is lam * sum(w**2), whose gradient is 2 * lam * w."),
    gradient_missing_factor_2=("Your penalty is right but its gradient is lam * w; the derivative of w**2 is 2w, so "
                               "the gradient is 2 * lam * w."),
    norm_not_squared=("You used the Euclidean norm lam * sqrt(sum(w**2)). The L2 penalty is the squared norm, "
                      "lam * sum(w**2), with gradient 2 * lam * w."),
    mean_not_sum=("You averaged w**2 over the entries. The penalty is a sum, lam * sum(w**2), with gradient "
                  "2 * lam * w (not divided by the number of entries)."),
)

spec.check("elastic_net", "matches_torch", points=1,
           description="(penalty, grad) equal l1 * |w|.sum() + l2 * (w**2).sum() and its autograd gradient",
           inputs=weights(l1=LAMS, l2=L2S), oracle=ref.elastic_net, tol=PENALTY_TOL, outputs=PENALTY_OUT)
spec.check("elastic_net", "zero_entries", points=1,
           description="where w is exactly 0 the L1 part of the gradient is sign(0) = 0",
           inputs=weights(with_zeros=True, l1=LAMS, l2=L2S), oracle=ref.elastic_net, tol=PENALTY_TOL,
           outputs=PENALTY_OUT)
spec.mistakes(
    "elastic_net",
    l2_gradient_missing_factor_2=("The L2 part of your gradient is l2 * w; the derivative of l2 * w**2 is "
                                  "2 * l2 * w, so grad = l1 * sign(w) + 2 * l2 * w."),
    coefficients_swapped=("You applied l1 to the squared term and l2 to the absolute values. The penalty is "
                          "l1 * sum(|w|) + l2 * sum(w**2)."),
    averaged=("You averaged the two penalties. Elastic net is their sum, l1 * sum(|w|) + l2 * sum(w**2), and its "
              "gradient is the sum of their gradients."),
    l1_gradient_only=("Your gradient has only the L1 part, l1 * sign(w). Add the L2 part's gradient, 2 * l2 * w."),
    sign_at_zero_is_one=("The L1 part of your gradient at w == 0 is +l1 (e.g. from np.where(w >= 0, 1, -1)). Use "
                         "the subgradient sign(0) = 0 there, as np.sign and torch do."),
)


# dropout -------------------------------------------------------------------------------------

#: Never 0.5, where "drop with probability p" and "keep with probability p" look alike.
DROP_P = st.sampled_from([0.25, 0.75, 0.2, 0.8])


@st.composite
def dropout_inputs(draw, p=DROP_P, large=True, training=True, seed=True):
    """``x`` with ``0.1 <= |x| < 2`` (930-1980 entries, or 30-132 when not ``large``), ``p``,
    ``training`` and ``seed`` (``None`` leaves an argument out, to use its default)."""
    shape = tuple(draw(dims(2, 30, 45) if large else dims(2, 5, 12)))
    gen = rng(draw(seeds))
    args = {"x": away_from_zero(gen, shape, 0.1, 2.0), "p": draw(p)}
    if training is not None:
        args["training"] = training
    if seed:
        args["seed"] = draw(st.integers(0, 2**31 - 1))
    return args


def _dropout_output(fn, args):
    """The returned array as float64, or a ``"<...>"`` note saying why it cannot be graded."""
    out, x = fn(**args), args["x"]
    if not isinstance(out, np.ndarray) or out.dtype.kind not in "iuf":
        return f"<returned {describe(out)}; expected an ndarray with the shape of x, {x.shape}>"
    if out.shape != x.shape:
        return f"<returned an ndarray of shape {out.shape}; expected the shape of x, {x.shape}>"
    return out.astype(np.float64)


@single_call
def kept_ratios(fn, args):
    """``out / x`` over the kept (non-zero) entries: its smallest and largest value."""
    out = _dropout_output(fn, args)
    if isinstance(out, str):
        return {"note": out}
    kept = out != 0
    if not kept.any():
        return {"note": "<every entry is 0: with p < 1 the entries that are kept must be x/(1-p), not 0>"}
    ratio = out[kept] / args["x"][kept]
    return {"smallest out/x over the kept entries": float(ratio.min()),
            "largest out/x over the kept entries": float(ratio.max())}


@single_call
def zero_fraction(fn, args):
    """The fraction of entries that are exactly 0, and the largest ``out / x`` (0 if none kept)."""
    out = _dropout_output(fn, args)
    if isinstance(out, str):
        return {"note": out}
    kept = out != 0
    ratio = out[kept] / args["x"][kept]
    return {"fraction of entries zeroed": float(1 - kept.mean()),
            "largest out/x over the kept entries": float(ratio.max()) if kept.any() else 0.0}


@single_call
def constant_lines(fn, args):
    """The fraction of rows, and of columns, of ``x (A, B)`` whose entries are all dropped or all
    kept: a mask shared along an axis makes every line across it constant."""
    out = _dropout_output(fn, args)
    if isinstance(out, str):
        return {"note": out}
    dropped = out == 0
    constant = lambda axis: float(np.mean(dropped.all(axis=axis) | (~dropped).all(axis=axis)))  # noqa: E731
    return {"fraction of columns all dropped or all kept": constant(0),
            "fraction of rows all dropped or all kept": constant(1)}


@single_call
def all_ratios(fn, args):
    """``out / x`` over every entry: its smallest and largest value (1 and 1 for the identity)."""
    out = _dropout_output(fn, args)
    if isinstance(out, str):
        return {"note": out}
    ratio = out / args["x"]
    return {"smallest out/x": float(ratio.min()), "largest out/x": float(ratio.max())}


def same_and_different_seeds(fn, args):
    """Two calls with the same seed and one with another seed, the global generators re-seeded
    before each call as the sandbox does."""
    other = dict(args, seed=args["seed"] + 1)
    first, again, changed = (np.asarray(fn(**a)) for a in (args, args, other))
    return {"same seed gives the same output": bool(np.array_equal(first, again)),
            "a different seed gives a different output": not np.array_equal(first, changed)}


RATIO_TOL = Tolerance(1e-9, 1e-12, "out/x is computed from the same two float64 numbers whichever "
                      "way the scaling is written (x*mask/(1-p), x*(mask/(1-p)), np.where), so it "
                      "agrees to ~1e-16; the mistakes' ratios (1, 1-p, 1/p, 0) are 0.2 or more away")
FRACTION_TOL = Tolerance(0.0, 0.06, "used only to name mistakes: two different random masks on the "
                         "same >= 930 entries give fractions within ~0.02 of each other (3 standard "
                         "deviations), while the mistakes differ from each other by 0.5 or more in "
                         "the fraction or 2.6 or more in out/x")


INDEPENDENCE_TOL = Tolerance(0.0, 0.1, "used only to name mistakes: with independent entries "
                             "a line of 30 or more is constant with probability below 0.8**30 = "
                             "1.2e-3, with a shared mask every line across it is constant")


def rescaled_verify(got, want, args):
    scale = 1 / (1 - args["p"])
    lo, hi = got["smallest out/x over the kept entries"], got["largest out/x over the kept entries"]
    if all(abs(v - scale) <= RATIO_TOL.atol + RATIO_TOL.rtol * scale for v in (lo, hi)):
        return None
    return (f"with p={args['p']} every entry must be either 0 (dropped) or x/(1-p) = {scale:.6g}*x "
            f"(kept and rescaled); your non-zero entries are between {lo:.6g}*x and {hi:.6g}*x")


def fraction_verify(got, want, args):
    n, p = args["x"].size, args["p"]
    lo, hi = binomial_band(n, p)
    fraction = got["fraction of entries zeroed"]
    if lo <= fraction <= hi:
        return None
    return (f"{fraction:.1%} of the {n} entries are 0, but each entry must be dropped with probability "
            f"p={p}: a correct dropout zeroes between {lo:.1%} and {hi:.1%} of them (this bound fails a "
            f"correct answer with probability below 3e-11)")


def independence_verify(got, want, args):
    columns = got["fraction of columns all dropped or all kept"]
    rows = got["fraction of rows all dropped or all kept"]
    if columns <= 0.5 and rows <= 0.5:
        return None
    shared = "rows (one mask per column, shared by the whole batch)" if columns > 0.5 else \
        "columns (one mask per row)"
    return (f"{max(columns, rows):.0%} of the {'columns' if columns > 0.5 else 'rows'} are entirely "
            f"dropped or entirely kept: your mask is shared across {shared}. Every entry is dropped "
            f"on its own: draw the mask with the full shape of x, rng.random(x.shape)")


def identity_verify(got, want, args):
    lo, hi = got["smallest out/x"], got["largest out/x"]
    if all(abs(v - 1) <= RATIO_TOL.atol + RATIO_TOL.rtol for v in (lo, hi)):
        return None
    when = "training=False" if not args.get("training", True) else "p=0"
    return (f"with {when} dropout must return x unchanged (a copy or x itself); your output is between "
            f"{lo:.6g}*x and {hi:.6g}*x")


def seeds_verify(got, want, args):
    if not got["same seed gives the same output"]:
        return (f"two calls with seed={args['seed']} returned different outputs: draw the mask from "
                f"np.random.default_rng(seed), a new generator made from the seed in every call")
    if not got["a different seed gives a different output"]:
        return (f"seed={args['seed']} and seed={args['seed'] + 1} gave the same output: the mask must come "
                f"from np.random.default_rng(seed), not from np.random.* (whose global state the grader "
                f"resets before every call)")
    return None


spec.check("dropout", "kept_entries_rescaled", points=1,
           description="in training every entry is 0 or x/(1-p): survivors are scaled by 1/(1-p)",
           inputs=dropout_inputs(), oracle=ref.dropout, tol=RATIO_TOL, run=kept_ratios,
           verify=note_first(rescaled_verify))
spec.check("dropout", "drop_fraction", points=1,
           description="with the default training=True, the fraction of zeros agrees with p "
                       "(Chernoff bound, false-failure probability < 3e-11 per input)",
           inputs=dropout_inputs(training=None), oracle=ref.dropout, tol=FRACTION_TOL,
           run=zero_fraction, verify=note_first(fraction_verify))
spec.check("dropout", "independent_entries", points=1,
           description="each entry is dropped on its own: the mask is not shared along the rows or "
                       "the columns (false-failure probability < 1e-30 per input)",
           inputs=dropout_inputs(), oracle=ref.dropout, tol=INDEPENDENCE_TOL, run=constant_lines,
           verify=note_first(independence_verify))
spec.check("dropout", "identity_in_eval_mode", points=1,
           description="with training=False the output equals x",
           inputs=dropout_inputs(p=st.sampled_from([0.5, 0.25, 0.8]), large=False, training=False),
           oracle=ref.dropout, tol=RATIO_TOL, run=all_ratios, verify=note_first(identity_verify))
spec.check("dropout", "identity_at_p_zero", points=1,
           description="with p=0 (in training) the output equals x",
           inputs=dropout_inputs(p=st.just(0.0), large=False), oracle=ref.dropout, tol=RATIO_TOL,
           run=all_ratios, verify=note_first(identity_verify))
spec.check("dropout", "seeded", points=1,
           description="the same seed gives the same output and a different seed a different one, "
                       "even with NumPy's global generator re-seeded before every call",
           inputs=dropout_inputs(), oracle=ref.dropout, tol=EXACT, run=same_and_different_seeds,
           verify=seeds_verify)
spec.mistakes(
    "dropout",
    no_rescale=("Your kept entries are x itself. In inverted dropout the survivors are scaled by 1/(1-p), so "
                "the expected output equals x and nothing needs to change at inference."),
    scaled_by_keep_probability=("You multiplied the survivors by (1-p); inverted dropout divides them by (1-p), "
                                "so that the expected output equals x."),
    p_as_keep_probability=("You treated p as the probability of keeping an entry (the CS231n convention) and "
                           "divided by p. Here p is the probability of dropping: keep with probability 1-p "
                           "(mask = rng.random(x.shape) >= p) and divide by (1-p)."),
    kept_with_probability_p=("Your mask keeps each entry with probability p (e.g. rng.random(x.shape) < p). p is "
                             "the probability of dropping: keep an entry when rng.random() >= p."),
    dropped_in_eval=("You dropped entries with training=False. At inference dropout is the identity: return x "
                     "(or a copy) when training is false."),
    scaled_at_test_time=("You wrote the original, non-inverted dropout: no rescaling in training and x*(1-p) at "
                         "inference. Inverted dropout divides the survivors by (1-p) in training and returns x "
                         "unchanged at inference."),
    ignored_seed=("Your mask does not depend on seed: it comes from NumPy's global generator (np.random.*), "
                  "which the grader resets before every call. Use rng = np.random.default_rng(seed)."),
    unseeded_generator=("Your output changes from call to call with the same seed: np.random.default_rng() "
                        "without an argument is seeded from the operating system. Pass the seed: "
                        "np.random.default_rng(seed)."),
    mask_shared_across_batch=("Your mask has one entry per column (feature), shared by every row of the batch, so "
                              "whole columns are dropped together. Dropout drops every entry on its own: "
                              "rng.random(x.shape) >= p."),
    modified_input_in_place=("You scaled x in place (x *= mask). Build a new array, e.g. x * mask / (1 - p), and "
                             "leave the input unchanged."),
)


# early_stopping ------------------------------------------------------------------------------

MIN_DELTAS = st.sampled_from([0.5, 0.25, 1.0])   # multiples of 1/8, so every comparison is exact
_MOVES = ("improve", "by_min_delta", "smaller_than_min_delta", "tie", "plateau", "rise")
_WEIGHTS = (0.3, 0.15, 0.15, 0.1, 0.1, 0.2)


@st.composite
def loss_curves(draw, min_delta=MIN_DELTAS, never_stops=False):
    """A validation-loss curve in multiples of 1/8, ``patience`` and maybe ``min_delta``.

    The curve is built move by move while tracking the best loss the way the rule does:
    improvements by more than ``min_delta``, decreases of exactly ``min_delta`` and of less
    than ``min_delta`` (neither counts), ties with the best loss, plateaus and rises.  With
    ``never_stops`` an improvement is forced before ``patience`` epochs in a row fail to
    improve, so training runs to the last epoch.
    """
    patience = draw(st.integers(2, 5) if never_stops else st.integers(1, 5))
    delta = 0.0 if min_delta is None else draw(min_delta)
    length = draw(st.integers(8, 30))
    as_array = draw(st.booleans())
    gen = rng(draw(seeds))
    step = int(delta * 8)                                   # min_delta in units of 1/8
    units = [int(gen.integers(200, 400))]
    best, waited = units[0], 0
    while len(units) < length:
        move = "improve" if never_stops and waited == patience - 1 else gen.choice(_MOVES, p=_WEIGHTS)
        if move == "improve":
            value = best - step - int(gen.integers(1, 9))
        elif move == "by_min_delta":
            value = best - step
        elif move == "smaller_than_min_delta" and step >= 2:
            value = best - int(gen.integers(1, step))
        elif move in ("tie", "smaller_than_min_delta"):
            value = best
        elif move == "plateau":
            value = units[-1]
        else:
            value = units[-1] + int(gen.integers(1, 9))
        units.append(value)
        if value < best - step:
            best, waited = value, 0
        else:
            waited += 1
    losses = [u / 8 for u in units]
    args = {"val_losses": np.array(losses) if as_array else losses, "patience": patience}
    if min_delta is not None:
        args["min_delta"] = delta
    return args


STOPPING_OUT = ("stop_epoch", "best_epoch")

spec.check("early_stopping", "matches_reference", points=1,
           description="(stop_epoch, best_epoch) on curves with ties, plateaus and decreases smaller "
                       "than, equal to and larger than min_delta",
           inputs=loss_curves(), oracle=ref.early_stopping, tol=EXACT, outputs=STOPPING_OUT)
spec.check("early_stopping", "default_min_delta", points=1,
           description="with the default min_delta=0 any strict decrease improves and a tie does not",
           inputs=loss_curves(min_delta=None), oracle=ref.early_stopping, tol=EXACT, outputs=STOPPING_OUT)
spec.check("early_stopping", "never_stops", points=1,
           description="when patience is never exhausted, stop_epoch is the last index",
           inputs=loss_curves(never_stops=True), oracle=ref.early_stopping, tol=EXACT,
           outputs=STOPPING_OUT)
spec.mistakes(
    "early_stopping",
    stops_one_epoch_late=("You stop one epoch late (waiting while the count is <= patience). Stop at the first "
                          "epoch where the number of epochs in a row without improvement reaches patience."),
    stops_one_epoch_early=("You stop one epoch early: training stops at the epoch where the count of epochs in a "
                           "row without improvement reaches patience, not patience - 1 (an improving epoch does "
                           "not count)."),
    ties_count_as_improvement=("You count a loss equal to best - min_delta (with min_delta=0: a tie with the best "
                               "loss) as an improvement (<=). An epoch improves only when loss < best - min_delta."),
    min_delta_ignored=("You ignore min_delta: any decrease counts as an improvement. An epoch improves only when "
                       "loss < best - min_delta."),
    min_delta_wrong_way=("You allow the loss to be min_delta *worse* than the best (loss < best + min_delta). An "
                         "improvement must beat the best by more than min_delta: loss < best - min_delta."),
    counter_not_reset=("Your count of epochs without improvement is not reset when an epoch improves, so "
                       "separate bad stretches add up. Reset the counter to 0 at every improvement."),
    best_epoch_any_decrease=("Your best_epoch is the last epoch with any decrease of the loss. best_epoch is the "
                             "last epoch that counted as an improvement (loss < best - min_delta), the one whose "
                             "weights early stopping would restore."),
    never_stopped_returns_length=("When patience is never exhausted you return len(val_losses); stop_epoch is then "
                                  "the last index, len(val_losses) - 1."),
    best_is_lowest_seen=("You compare each loss with the lowest loss seen so far, also one that came from an "
                         "epoch that did not improve (lower, but by less than min_delta). The reference is the "
                         "loss of the last improving epoch: update best only when an epoch improves."),
    pair_swapped=("You returned (best_epoch, stop_epoch); the contract's order is (stop_epoch, best_epoch): "
                  "the epoch where training stops first, then the epoch of the best loss."),
)
