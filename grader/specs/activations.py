"""Checks for ``activations``: sigmoid, tanh, ReLU, leaky ReLU, softmax and log-softmax, and the
derivatives of the elementwise ones with respect to their input, against PyTorch (autograd for
the derivatives).

How inputs are drawn.  Arrays have one to three axes of distinct lengths.  Elementwise inputs
have random signs and magnitudes spread log-uniformly from 1e-3 to a ceiling, so every scale is
visited: ~20 for the "typical values" checks, 1000 for the contract's range, where the array
also always holds exactly +1000 and -1000 (and the sigmoid checks a value in (-745, -709.8),
where exp(-x) overflows but the true sigmoid is a tiny positive number).  Derivatives are drawn
at least 1e-3 away from ReLU's kink; exactly 0 has a check of its own.  Softmax inputs are
uniform in [-8, 8] for the axis checks; the extreme check builds slices that sit near +990 and
near -990 (a slice far below the array's global maximum) and slices spanning -1000 to +1000.

Why the tolerances are safe.  Sigmoid, tanh, their derivatives and softmax are bounded by 1.
Formulas that are accurate in float64 (stable branches, exp(-|x|), the tanh identity, the plain
1/(1+exp(-x)) whose overflow gives an exact 0, s*(1-s), exp(x - logsumexp)) agree with torch to
~1e-15 relative where the value is not tiny, and to a few ulps of 1 (~1e-16) in absolute terms
in the tails, where torch itself rounds (its sigmoid'(30) is off by 1e-16, 1e-3 relative).  So
these checks ask for the same 1e-12 everywhere: relative near the top of the range and absolute
in the tails (``rtol = atol = 1e-12``), four orders above the rounding of any correct formula,
while each catalogued mistake moves a value by more than 1e-2 or returns NaN/inf.  ReLU-type
results are single exact products; rearranged algebra such as (1+a)/2*x + (1-a)/2*|x| is off by
<2e-13 at |x| = 1000, inside ``atol=1e-11``.  Log-softmax values reach -2000; correct formulas
differ by a few ulps of the largest |x| (x - (m + log s) rounds m + log s to ~1e-13), inside
``atol=1e-10``, while the mistakes are off by O(1) or infinite.  A NumPy warning never costs
points: only the returned values are compared.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec, single_call
from grader.strategies import dims, rng, seeds
from reference import activations as ref

spec = ModuleSpec("activations", "Activation functions", reference=ref)

BOUNDED_TOL = Tolerance(1e-12, 1e-12, "values lie in [-1, 1], so 1e-12 absolute in the tails is "
                        "the accuracy rtol asks near 1; accurate float64 formulas (stable branches, "
                        "the overflowing-but-exact 1/(1+exp(-x)), the tanh identity, s*(1-s)) agree "
                        "with torch to ~1e-15 relative, or ~1e-16 absolute in the tails where torch "
                        "itself rounds; every mistake is off by >1e-2 or NaN/inf")
PIECEWISE_TOL = Tolerance(1e-12, 1e-11, "ReLU-type outputs are single exact products (x, alpha*x, "
                          "0, 1, alpha); rearranged algebra such as (1+a)/2*x + (1-a)/2*|x| is off by "
                          "<2e-13 at |x| <= 1000; every mistake is off by >=1e-3 relative")
LOG_TOL = Tolerance(1e-12, 1e-10, "log-softmax values reach -2000; correct formulas (x - m - log s, "
                    "x - (m + log s), logaddexp) differ by a few ulps of max|x| (~1e-13); every "
                    "mistake is off by O(1) or returns inf/NaN")

TYPICAL = 20.0        # ceiling of |x| for the "typical values" checks (sigmoid'(20) ~ 2e-9)
CONTRACT = 1000.0     # every function must be finite and accurate for |x| <= 1000
KINK = 1e-3           # smallest |x| drawn where a derivative has a kink at 0
ALPHAS = st.one_of(st.sampled_from([0.3, 0.0, 0.01, 0.75]), st.floats(0.0, 1.0, exclude_max=True))


def signed_log_uniform(gen: np.random.Generator, shape, low: float, high: float) -> np.ndarray:
    """Random signs, magnitudes log-uniform in ``[low, high]``: tiny, moderate and huge values."""
    magnitude = np.exp(gen.uniform(np.log(low), np.log(high), size=shape))
    return magnitude * gen.choice([-1.0, 1.0], size=shape)


def place(gen: np.random.Generator, x: np.ndarray, values) -> None:
    """Write ``values`` at distinct random positions of ``x`` (in place, on a fresh draw)."""
    at = gen.choice(x.size, size=len(values), replace=False)
    x.reshape(-1)[at] = values


# distinct axis lengths, at least 8 elements (room for the forced values), at most 120
SHAPES = {1: dims(1, 8, 12), 2: dims(2, 3, 6), 3: dims(3, 2, 5)}
ELEMENTWISE_RANKS = st.sampled_from([2, 3, 1])
SOFTMAX_RANKS = st.sampled_from([3, 2, 1])  # a middle axis exists only from 3-D on


def shape_of(draw, ranks) -> tuple:
    """A 1-D to 3-D shape from the rank strategy ``ranks``."""
    return tuple(draw(SHAPES[draw(ranks)]))


@st.composite
def elementwise_inputs(draw, high=TYPICAL, low=KINK, ends=(), zeros=False, alpha=None):
    """``x`` of 1-3 axes with values of every scale up to ``high`` (and maybe ``alpha``).

    A positive value below ``2 * low`` and a negative value are always present, and so are
    ``ends`` (e.g. +-1000); with ``zeros`` about a third of the entries are exactly 0, and at
    least one 0, one positive and one negative remain.
    """
    shape = shape_of(draw, ELEMENTWISE_RANKS)
    gen = rng(draw(seeds))
    x = signed_log_uniform(gen, shape, low, high)
    # both signs, and a positive below 2e-3: np.maximum(alpha, x) and the constant alpha differ there
    forced = [gen.uniform(low, 2 * low), -gen.uniform(low, high)]
    forced += [v(gen) if callable(v) else v for v in ends]
    if zeros:
        x[gen.random(shape) < 1 / 3] = 0.0
        forced += [0.0, gen.uniform(low, high), -gen.uniform(low, high)]
    place(gen, x, forced)
    args = {"x": x}
    if alpha is not None:
        args["alpha"] = draw(alpha)
    return args


EXTREME = (CONTRACT, -CONTRACT)
# exp(-x) overflows to inf for x < -709.78, yet 1/(1+exp(-x)) = 0 there is correct to 1e-308
OVERFLOW_BAND = (CONTRACT, -CONTRACT, lambda gen: -gen.uniform(709.8, 745.0))


def axes_in_order(ndim: int) -> list[int]:
    """Every axis value, positive and negative; a middle or first axis first (most revealing)."""
    return sorted(range(-ndim, ndim), key=lambda a: (a % ndim == ndim - 1, a % ndim == 0, a < 0))


AXES = {ndim: st.sampled_from(axes_in_order(ndim)) for ndim in (1, 2, 3)}


def extreme_logits(gen: np.random.Generator, shape: tuple, axis: int) -> np.ndarray:
    """Values in [-1000, 1000] whose slices along ``axis`` stress every overflow.

    One slice holds both +1000 and -1000; when there are several slices, one sits near -990
    (far below the array's maximum, and all of exp(x) underflows) and one near +990 (exp(x)
    overflows); the others sit at random offsets, a quarter of their entries spread over the
    whole range.
    """
    k = shape[axis]
    rest = tuple(n for d, n in enumerate(shape) if d != axis % len(shape))
    count = int(np.prod(rest))
    rows = gen.uniform(-990.0, 990.0, size=(count, 1)) + gen.uniform(-10.0, 10.0, size=(count, k))
    wide = gen.random((count, k)) < 0.25
    rows[wide] = gen.uniform(-CONTRACT, CONTRACT, size=int(wide.sum()))
    order = gen.permutation(count)
    rows[order[0], gen.choice(k, size=2, replace=False)] = [CONTRACT, -CONTRACT]
    if count > 1:
        rows[order[1]] = -990.0 + gen.uniform(-10.0, 10.0, size=k)
    if count > 2:
        rows[order[2]] = 990.0 + gen.uniform(-10.0, 10.0, size=k)
    return np.ascontiguousarray(np.moveaxis(rows.reshape(rest + (k,)), -1, axis))


@st.composite
def softmax_inputs(draw, axis=True, extreme=False):
    """``x`` of 1-3 axes and (unless ``axis`` is False) an axis, positive or negative."""
    shape = shape_of(draw, SOFTMAX_RANKS)
    a = draw(AXES[len(shape)]) if axis else -1
    gen = rng(draw(seeds))
    x = extreme_logits(gen, shape, a) if extreme else gen.uniform(-8.0, 8.0, size=shape)
    return {"x": x, "axis": a} if axis else {"x": x}


@single_call
def booleans_as_floats(fn, args):
    """Call once; a boolean mask such as ``x > 0`` is graded as the 0.0/1.0 values it stands for."""
    out = fn(**args)
    if isinstance(out, np.ndarray) and out.dtype == bool:
        return out.astype(np.float64)
    return out


# sigmoid -------------------------------------------------------------------------------------
spec.check("sigmoid", "matches_torch", points=1,
           description="equals torch.sigmoid for |x| up to 20",
           inputs=elementwise_inputs(), oracle=ref.sigmoid, tol=BOUNDED_TOL)
spec.check("sigmoid", "extreme_inputs", points=1,
           description="finite and equal to torch.sigmoid for |x| up to 1000 (always with x = +-1000)",
           inputs=elementwise_inputs(high=CONTRACT, ends=OVERFLOW_BAND), oracle=ref.sigmoid,
           tol=BOUNDED_TOL)
spec.mistakes(
    "sigmoid",
    flipped_sign=("You computed 1 / (1 + exp(x)), which is sigmoid(-x). The sigmoid is "
                  "1 / (1 + exp(-x)): large positive inputs give values near 1."),
    exp_ratio_overflows=("You computed exp(x) / (1 + exp(x)): for x > ~709 exp(x) overflows and inf/inf "
                         "is NaN. Use exp(x) / (1 + exp(x)) only where x < 0 and 1 / (1 + exp(-x)) "
                         "where x >= 0 (np.where on exp(-|x|))."),
    abs_trick_without_branch=("You computed e / (1 + e) with e = exp(-|x|) for every x, which is "
                              "sigmoid(-|x|): wrong for positive x. For x >= 0 use 1 / (1 + e)."),
    minus_in_denominator="You computed 1 / (1 - exp(-x)); the sigmoid is 1 / (1 + exp(-x)).",
)

# sigmoid_grad --------------------------------------------------------------------------------
spec.check("sigmoid_grad", "matches_autograd", points=1,
           description="equals torch autograd's d sigmoid(x) / dx for |x| up to 20",
           inputs=elementwise_inputs(), oracle=ref.sigmoid_grad, tol=BOUNDED_TOL)
spec.check("sigmoid_grad", "extreme_inputs", points=1,
           description="finite and equal to autograd for |x| up to 1000 (always with x = +-1000)",
           inputs=elementwise_inputs(high=CONTRACT, ends=OVERFLOW_BAND), oracle=ref.sigmoid_grad,
           tol=BOUNDED_TOL)
spec.mistakes(
    "sigmoid_grad",
    in_terms_of_output=("You returned x * (1 - x), the formula that expects the sigmoid's output. "
                        "sigmoid_grad receives the input x: compute s = sigmoid(x), then s * (1 - s)."),
    exp_formula_overflows=("You computed exp(-x) / (1 + exp(-x))**2: for x < -709 exp(-x) overflows and "
                           "inf/inf is NaN. Use s * (1 - s) with a stable sigmoid s."),
    one_minus_square=("You returned 1 - sigmoid(x)**2, which mixes in tanh's derivative. The sigmoid's "
                      "derivative is s * (1 - s)."),
    returned_sigmoid="You returned sigmoid(x) itself; its derivative is s * (1 - s).",
)

# tanh ----------------------------------------------------------------------------------------
spec.check("tanh", "matches_torch", points=1,
           description="equals torch.tanh for |x| up to 20",
           inputs=elementwise_inputs(), oracle=ref.tanh, tol=BOUNDED_TOL)
spec.check("tanh", "extreme_inputs", points=1,
           description="finite and equal to torch.tanh for |x| up to 1000 (always with x = +-1000)",
           inputs=elementwise_inputs(high=CONTRACT, ends=EXTREME), oracle=ref.tanh, tol=BOUNDED_TOL)
spec.mistakes(
    "tanh",
    exp_formula_overflows=("You computed (exp(x) - exp(-x)) / (exp(x) + exp(-x)): for |x| > ~709 both "
                           "exponentials overflow and inf/inf is NaN. Use np.tanh, or a form with "
                           "exp(-2|x|) only."),
    exp_minus_2x_overflows=("You computed (1 - exp(-2x)) / (1 + exp(-2x)): for x < -354 exp(-2x) overflows "
                            "and the result is NaN. Use exp(-2|x|) and put the sign back, or np.tanh."),
    sigmoid_identity_without_2x=("You computed 2 * sigmoid(x) - 1, which is tanh(x / 2). The identity is "
                                 "tanh(x) = 2 * sigmoid(2x) - 1."),
    returned_sigmoid="You returned sigmoid(x); tanh(x) = 2 * sigmoid(2x) - 1 lies in (-1, 1).",
)

# tanh_grad -----------------------------------------------------------------------------------
spec.check("tanh_grad", "matches_autograd", points=1,
           description="equals torch autograd's d tanh(x) / dx for |x| up to 20",
           inputs=elementwise_inputs(), oracle=ref.tanh_grad, tol=BOUNDED_TOL)
spec.check("tanh_grad", "extreme_inputs", points=1,
           description="finite and equal to autograd for |x| up to 1000 (always with x = +-1000)",
           inputs=elementwise_inputs(high=CONTRACT, ends=EXTREME), oracle=ref.tanh_grad, tol=BOUNDED_TOL)
spec.mistakes(
    "tanh_grad",
    in_terms_of_output=("You returned 1 - x**2, the formula that expects tanh's output. tanh_grad "
                        "receives the input x: compute t = tanh(x), then 1 - t**2."),
    forgot_square="You returned 1 - tanh(x); the derivative is 1 - tanh(x)**2.",
    sigmoid_style=("You returned tanh(x) * (1 - tanh(x)), the shape of the sigmoid's derivative. For "
                   "tanh it is 1 - tanh(x)**2."),
    exp_formula_overflows=("Your tanh is (exp(x) - exp(-x)) / (exp(x) + exp(-x)), which is NaN for "
                           "|x| > ~709 (inf/inf). Use np.tanh (or a stable form) inside 1 - t**2."),
)

# relu ----------------------------------------------------------------------------------------
spec.check("relu", "matches_torch", points=1,
           description="equals torch.relu for values of every scale up to |x| = 1000, zeros included",
           inputs=elementwise_inputs(high=CONTRACT, ends=EXTREME, zeros=True), oracle=ref.relu,
           tol=PIECEWISE_TOL)
spec.check("relu", "typical_values", points=1,
           description="equals torch.relu for |x| up to 20",
           inputs=elementwise_inputs(), oracle=ref.relu, tol=PIECEWISE_TOL)
spec.mistakes(
    "relu",
    min_instead_of_max="You computed np.minimum(x, 0); ReLU keeps the positive part: np.maximum(x, 0).",
    np_max_instead_of_maximum=("You called np.max(x, 0), which reduces x along axis 0. The elementwise "
                               "maximum with 0 is np.maximum(x, 0)."),
    returned_mask=("You returned the mask (x > 0) as numbers, which is ReLU's derivative. ReLU itself "
                   "returns x where x > 0 and 0 elsewhere."),
    in_place=("You set the negative entries of x to 0 in place, changing the caller's array. Build a new "
              "array: np.maximum(x, 0), or work on x.copy()."),
)

# relu_grad -----------------------------------------------------------------------------------
spec.check("relu_grad", "matches_autograd", points=1,
           description="equals torch autograd's derivative of relu for |x| from 1e-3 to 1000",
           inputs=elementwise_inputs(high=CONTRACT), oracle=ref.relu_grad, tol=PIECEWISE_TOL,
           run=booleans_as_floats)
spec.check("relu_grad", "zero_at_zero", points=1,
           description="relu_grad(0) == 0 (PyTorch's convention), on arrays mixing zeros and "
                       "nonzero values", inputs=elementwise_inputs(high=CONTRACT, zeros=True),
           oracle=ref.relu_grad, tol=PIECEWISE_TOL, run=booleans_as_floats)
spec.mistakes(
    "relu_grad",
    one_at_zero=("Your derivative is 1 at x == 0 (x >= 0). The convention, as in PyTorch, is 0 at "
                 "exactly 0: use x > 0."),
    half_at_zero=("Your derivative is 0.5 at x == 0 (np.heaviside(x, 0.5)). The convention, as in "
                  "PyTorch, is 0 there: np.heaviside(x, 0.0), or (x > 0)."),
    returned_relu=("You returned relu(x) instead of its derivative: 1 where x > 0, 0 elsewhere."),
    sign=("You returned np.sign(x), which is -1 for negative inputs. ReLU is flat there: its "
          "derivative is 0 for x <= 0 and 1 for x > 0."),
)

# leaky_relu ----------------------------------------------------------------------------------
spec.check("leaky_relu", "matches_torch", points=1,
           description="equals F.leaky_relu(x, negative_slope=alpha) for alpha in [0, 1) (0 included) "
                       "and |x| up to 1000",
           inputs=elementwise_inputs(high=CONTRACT, ends=EXTREME, alpha=ALPHAS), oracle=ref.leaky_relu,
           tol=PIECEWISE_TOL)
spec.check("leaky_relu", "default_alpha", points=1,
           description="without alpha, the slope for negative inputs is 0.01",
           inputs=elementwise_inputs(), oracle=ref.leaky_relu, tol=PIECEWISE_TOL)
spec.mistakes(
    "leaky_relu",
    alpha_on_positives=("You scaled the positive inputs by alpha. Leaky ReLU keeps x where x > 0 and "
                        "returns alpha * x where x <= 0."),
    hard_coded_alpha="You used a slope of 0.01 whatever alpha was passed; use the alpha argument.",
    ignored_alpha=("You returned plain ReLU (0 for negative inputs). Leaky ReLU lets alpha * x through "
                   "where x <= 0."),
    maximum_with_alpha=("You computed np.maximum(alpha, x), which clips at the constant alpha. The "
                        "leaky ReLU is np.maximum(alpha * x, x) (valid because alpha < 1)."),
    alpha_constant_for_negatives=("You returned the constant alpha for negative inputs; the output there "
                                  "is alpha * x (alpha is the slope, which is the derivative)."),
)

# leaky_relu_grad -----------------------------------------------------------------------------
spec.check("leaky_relu_grad", "matches_autograd", points=1,
           description="equals torch autograd's derivative of F.leaky_relu for alpha in [0, 1) and "
                       "|x| from 1e-3 to 1000",
           inputs=elementwise_inputs(high=CONTRACT, alpha=ALPHAS), oracle=ref.leaky_relu_grad,
           tol=PIECEWISE_TOL, run=booleans_as_floats)
spec.check("leaky_relu_grad", "default_alpha", points=1,
           description="without alpha, the derivative for negative inputs is 0.01",
           inputs=elementwise_inputs(), oracle=ref.leaky_relu_grad, tol=PIECEWISE_TOL,
           run=booleans_as_floats)
spec.check("leaky_relu_grad", "alpha_at_zero", points=1,
           description="leaky_relu_grad(0) == alpha (PyTorch's convention), on arrays mixing zeros "
                       "and nonzero values",
           inputs=elementwise_inputs(high=CONTRACT, zeros=True, alpha=ALPHAS),
           oracle=ref.leaky_relu_grad, tol=PIECEWISE_TOL, run=booleans_as_floats)
spec.mistakes(
    "leaky_relu_grad",
    one_at_zero=("Your derivative is 1 at x == 0 (x >= 0). The convention, as in PyTorch, is alpha at "
                 "exactly 0: 1 where x > 0, alpha elsewhere."),
    zero_at_zero=("Your derivative is 0 at x == 0. The convention, as in PyTorch, is alpha there: 1 where "
                  "x > 0, alpha elsewhere."),
    ignored_alpha=("You returned ReLU's derivative (0 for negative inputs). For leaky ReLU it is alpha "
                   "where x <= 0."),
    alpha_on_positives=("You swapped the slopes: the derivative is 1 where x > 0 and alpha where x <= 0."),
    hard_coded_alpha="You used a slope of 0.01 whatever alpha was passed; use the alpha argument.",
    returned_leaky_relu=("You returned leaky_relu(x) instead of its derivative: 1 where x > 0, alpha "
                         "elsewhere."),
)

# softmax -------------------------------------------------------------------------------------
spec.check("softmax", "default_axis", points=1,
           description="without axis, equals torch.softmax over the last axis for 1-D to 3-D x",
           inputs=softmax_inputs(axis=False), oracle=ref.softmax, tol=BOUNDED_TOL)
spec.check("softmax", "every_axis", points=1,
           description="equals torch.softmax(x, dim=axis) for every axis of 1-D to 3-D x, positive "
                       "and negative", inputs=softmax_inputs(), oracle=ref.softmax, tol=BOUNDED_TOL)
spec.check("softmax", "extreme_inputs", points=1,
           description="finite and equal to torch.softmax for x in [-1000, 1000] (slices near +-990 "
                       "and slices spanning the whole range)",
           inputs=softmax_inputs(extreme=True), oracle=ref.softmax, tol=BOUNDED_TOL)
spec.mistakes(
    "softmax",
    no_max_subtraction=("You computed exp(x) / sum(exp(x)) directly: exp(1000) overflows (inf/inf = NaN) "
                        "and exp(-1000) underflows (0/0 = NaN). Subtract the maximum along the axis "
                        "first (keepdims=True); it cancels in the ratio."),
    global_max_subtracted=("You subtracted the maximum of the whole array, not of each slice. A slice "
                           "far below that maximum then underflows to 0/0 = NaN: use "
                           "x.max(axis=axis, keepdims=True)."),
    ignored_axis=("You normalised over the last axis whatever axis was passed; use the axis argument in "
                  "both the max and the sum (keepdims=True)."),
    normalised_over_axis_0=("You normalised over axis 0. Softmax normalises along `axis` (the last "
                            "axis by default): each slice along it must sum to 1."),
    over_all_elements=("You normalised over every element of the array (no axis in the sum). Sum "
                       "along `axis` with keepdims=True so each slice sums to 1."),
)

# log_softmax ---------------------------------------------------------------------------------
spec.check("log_softmax", "default_axis", points=1,
           description="without axis, equals torch.log_softmax over the last axis for 1-D to 3-D x",
           inputs=softmax_inputs(axis=False), oracle=ref.log_softmax, tol=LOG_TOL)
spec.check("log_softmax", "every_axis", points=1,
           description="equals torch.log_softmax(x, dim=axis) for every axis of 1-D to 3-D x, "
                       "positive and negative", inputs=softmax_inputs(), oracle=ref.log_softmax,
           tol=LOG_TOL)
spec.check("log_softmax", "extreme_inputs", points=1,
           description="finite and equal to torch.log_softmax for x in [-1000, 1000] (values down "
                       "to about -2000)", inputs=softmax_inputs(extreme=True),
           oracle=ref.log_softmax, tol=LOG_TOL)
spec.mistakes(
    "log_softmax",
    log_of_softmax=("You took np.log(softmax(x)): probabilities below ~1e-308 underflow to 0 and their "
                    "log is -inf. Compute it directly: (x - m) - log(sum(exp(x - m))) with m the "
                    "maximum along the axis."),
    no_max_subtraction=("You computed x - log(sum(exp(x))) directly: exp(1000) overflows and exp(-1000) "
                        "underflows, giving inf. Subtract the maximum m along the axis: "
                        "(x - m) - log(sum(exp(x - m)))."),
    forgot_max_in_logsumexp=("Your log-sum-exp drops the maximum you subtracted: "
                             "logsumexp(x) = m + log(sum(exp(x - m))), so the result is "
                             "x - m - log(sum(exp(x - m)))."),
    forgot_log_sum=("You returned x - max(x): the log-sum-exp term is missing. The result is "
                    "(x - m) - log(sum(exp(x - m))), and exp of it sums to 1."),
    ignored_axis=("You normalised over the last axis whatever axis was passed; use the axis argument "
                  "in both the max and the sum (keepdims=True)."),
    over_all_elements=("You normalised over every element of the array (no axis in the sum). Reduce "
                       "along `axis` with keepdims=True."),
)
