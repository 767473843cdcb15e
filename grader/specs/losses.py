"""Checks for ``losses``: every loss against its ``torch.nn.functional`` counterpart in float64
(the hinge loss against the same formula in torch ops), the two gradients against autograd.

How inputs are drawn, and why every correct implementation agrees on them:

- Regression losses (``mse``, ``mse_grad``, ``mae``, ``huber``) see 1-D ``(N,)`` and 2-D
  ``(N, D)`` targets with distinct dimensions (so dividing by ``len(y)`` instead of the number of
  elements shows) and values in ``[-2, 2]``.  Huber residuals are built at 0.1 to 0.9 and 1.15 to
  3 times ``delta`` on both sides of zero, never at the kink, with at least one residual in each
  branch, and ``delta`` is the default or one of 2.5, 0.4, 1.7.  Sums of a few dozen terms of
  size ~1 agree with torch to ~1e-15 relative in any order.
- ``binary_cross_entropy``: probabilities in ``[0.02, 0.98]`` where clipping never binds; two
  edge checks (the default ``eps`` and a drawn one) put ``p`` exactly at 0 and 1 -- always at
  least one ``p = 0`` with label 1 and one ``p = 1`` with label 0, the terms where an unclipped
  log is infinite -- and inside the clipping bands ``(0, eps)`` and ``(1 - eps, 1)``.
- Logit losses: ordinary logits in ``[-6, 6]``, where even the naive ``sigmoid``-then-``log``
  formula is accurate to ~1e-13; separate checks push logits to 720..1000 in magnitude (beyond
  ``exp``'s overflow at 709.8), where naive formulas return inf or nan and stable ones do not.
  For ``softmax_cross_entropy`` the large logits come as per-row offsets of +-(750..990) with
  opposite signs in different rows and a spread of at most 16 within a row, so a probability
  never underflows (``-log(probs)`` after subtracting the row max stays exact) but subtracting
  one global max, or none, breaks.
- ``hinge_loss``: labels in {-1, +1}, margins ``y*s`` drawn so every input has a satisfied
  margin (> 1), a violated one in (0, 1) and a misclassified one (< 0).
- ``kl_divergence``: rows of ``p`` and ``q`` drawn independently (the divergence is typically
  ~0.2, rarely below 0.01) with every ``q >= 0.014``; a separate check sets some entries of
  ``p`` exactly to 0 (each row keeps a positive entry and sums to 1).

Every catalogued mistake changes the loss by a factor, a sign, a branch of size ~0.1, or an
infinity, far beyond the tolerances, which leave at least four orders of magnitude of headroom
over the rounding differences between correct implementations.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec, part
from grader.strategies import dims, rng, seeds, uniform
from reference import losses as ref

spec = ModuleSpec("losses", "Loss functions", reference=ref)

TOL = Tolerance(1e-9, 1e-12, "a mean of a few dozen float64 terms of size ~1 (logs, squares, "
                "softplus of logits up to 1000) agrees with torch to ~1e-14 relative whatever the "
                "order or the stable formula; on the draws that expose it, the nearest mistake moves "
                "the loss by >1e-3 relative")
CLIP_TOL = Tolerance(1e-5, 1e-12, "clipping 1 - p at eps instead of p at 1 - eps is also correct, "
                     "but 1 - (1 - 1e-12) rounds to 1.0000889e-12, so a clipped term log(eps) moves by "
                     "8.9e-5 in ~27.6, at most 3.2e-6 relative on the mean; a clip at 1e-7 instead of "
                     "eps moves a clipped term by >2, and eps added to p moves the mean by >1e-3 at "
                     "eps = 1e-2, the value tried first")
MSE_GRAD_TOL = Tolerance(1e-9, 1e-12, "2*(y_pred - y_true)/N is one subtraction, one product and one "
                         "division per element, exact to a few ulps (~1e-16 relative) in any order; every "
                         "mistake is off by a factor (2, N, D or -1) or is a single number")
KL_TOL = Tolerance(1e-9, 1e-10, "correct forms (p*log(p/q), entropy minus cross-entropy, nansum) "
                   "differ by ~1e-16 absolute, and the common guard log(p + 1e-12) by at most C*1e-12 "
                   "= 7e-12 absolute, so the floor is absolute: 1e-10; every mistake changes the loss "
                   "by a factor, a sign or a missing entropy term")
GRAD_TOL = Tolerance(1e-8, 1e-11, "softmax probabilities and their mean-loss gradients agree with "
                     "autograd to ~1e-13 even with logits near 1000 (each logit carries ~1e-13 of "
                     "rounding); the nearest mistake (a gradient N times too large) is off by >1e-2")

SHAPES_1D = st.integers(3, 12)
DELTAS = st.sampled_from([2.5, 0.4, 1.7])      # never 1.0, where delta mistakes hide
BCE_EPS = st.sampled_from([1e-2, 1e-4, 0.1, 1e-6])  # large first: eps added instead of clipped shows;
# never 1e-7, the value students hard-code (Keras' epsilon)
DEFAULT_EPS = 1e-12


def shape_of(draw, ndim):
    """``(N,)`` or ``(N, D)`` with distinct dimensions; ``ndim`` is an int or a strategy."""
    if not isinstance(ndim, int):
        ndim = draw(ndim)
    return (draw(SHAPES_1D),) if ndim == 1 else tuple(draw(dims(2, 2, 7)))


# Regression losses ---------------------------------------------------------------------------

@st.composite
def regression_inputs(draw, ndim):
    """``y_true`` and ``y_pred`` of one shape, values in [-2, 2]."""
    shape = shape_of(draw, ndim)
    gen = rng(draw(seeds))
    return {"y_true": uniform(gen, shape, -2.0, 2.0), "y_pred": uniform(gen, shape, -2.0, 2.0)}


@st.composite
def huber_inputs(draw, delta=None):
    """Residuals on both sides of ``delta`` (and of 0), at least one in each branch."""
    shape = shape_of(draw, st.sampled_from([2, 1]))
    gen = rng(draw(seeds))
    d = 1.0 if delta is None else draw(delta)
    size = int(np.prod(shape))
    n_quad = int(gen.integers(1, size))  # 1 .. size-1 residuals in the quadratic branch
    factor = np.concatenate([gen.uniform(0.1, 0.9, n_quad), gen.uniform(1.15, 3.0, size - n_quad)])
    r = gen.permutation(factor) * d * gen.choice([-1.0, 1.0], size=size)
    y_true = uniform(gen, shape, -2.0, 2.0)
    args = {"y_true": y_true, "y_pred": y_true + r.reshape(shape)}
    if delta is not None:
        args["delta"] = d
    return args


REGRESSION = {"1d": 1, "2d": 2}

for suffix, ndim in REGRESSION.items():
    spec.check("mse", f"matches_torch_{suffix}", points=1,
               description=f"for {ndim}-D y the loss equals F.mse_loss (mean over all elements)",
               inputs=regression_inputs(ndim), oracle=ref.mse, tol=TOL)
spec.mistakes(
    "mse",
    summed="You summed the squared errors; the mean squared error divides the sum by the number of elements.",
    half_mse=("You returned half the mean squared error (0.5 * mean). The 1/2 is a convention some "
              "textbooks use for nicer gradients; the contract (and F.mse_loss) has no 1/2."),
    root_mean_squared="You took the square root of the mean (RMSE); MSE is the mean itself, without the sqrt.",
    abs_not_squared=("You averaged absolute errors (that is MAE); MSE averages the squared errors "
                     "(y_pred - y_true)**2."),
    divided_by_rows=("You divided the sum by len(y), the number of rows; for 2-D y the mean runs over all "
                     "elements: divide by y.size (or use np.mean without an axis)."),
    square_of_mean=("You squared the mean error, mean(y_pred - y_true)**2, so positive and negative errors "
                    "cancel before squaring. Square each error first, then average: "
                    "np.mean((y_pred - y_true)**2)."),
    mean_over_axis_0=("You averaged over axis 0 only, which leaves one value per column for 2-D y; the loss "
                      "is a single float, the mean over all elements."),
)

for suffix, ndim in REGRESSION.items():
    spec.check("mse_grad", f"matches_autograd_{suffix}", points=1,
               description=f"for {ndim}-D y the gradient equals autograd's d F.mse_loss / d y_pred, "
                           "with the shape of y_pred",
               inputs=regression_inputs(ndim), oracle=ref.mse_grad, tol=MSE_GRAD_TOL)
spec.mistakes(
    "mse_grad",
    missing_factor_2=("Your gradient is half the right size: d/dp of (p - y)**2 is 2*(p - y), so the "
                      "gradient is 2*(y_pred - y_true)/N."),
    missing_1_over_n=("Your gradient is N times too large: the loss is a mean over N elements, so each "
                      "element's gradient carries a 1/N: 2*(y_pred - y_true)/N."),
    sign_flipped=("Your gradient has the wrong sign: the derivative with respect to y_pred is "
                  "2*(y_pred - y_true)/N, not 2*(y_true - y_pred)/N."),
    divided_by_rows=("You divided by len(y), the number of rows; for 2-D y the mean runs over all N = "
                     "y.size elements, so divide by y.size."),
    returned_loss=("You returned a single number; the gradient has one entry per element of y_pred, "
                   "2*(y_pred - y_true)/N, with y_pred's shape."),
)

for suffix, ndim in REGRESSION.items():
    spec.check("mae", f"matches_torch_{suffix}", points=1,
               description=f"for {ndim}-D y the loss equals F.l1_loss (mean over all elements)",
               inputs=regression_inputs(ndim), oracle=ref.mae, tol=TOL)
spec.mistakes(
    "mae",
    no_abs=("You averaged the signed errors, so positive and negative errors cancel; MAE averages "
            "their absolute values, np.abs(y_pred - y_true)."),
    squared="You averaged squared errors (that is MSE); MAE averages the absolute errors.",
    summed="You summed the absolute errors; MAE divides the sum by the number of elements.",
    divided_by_rows=("You divided the sum by len(y), the number of rows; for 2-D y the mean runs over all "
                     "elements: divide by y.size."),
)

spec.check("huber", "default_delta", points=1,
           description="with the default delta=1, the loss equals F.huber_loss, residuals on both "
                       "sides of delta (1-D and 2-D y)",
           inputs=huber_inputs(), oracle=ref.huber, tol=TOL)
spec.check("huber", "other_delta", points=1,
           description="with delta in {2.5, 0.4, 1.7}, the loss equals F.huber_loss(delta=delta)",
           inputs=huber_inputs(delta=DELTAS), oracle=ref.huber, tol=TOL)
spec.mistakes(
    "huber",
    quadratic_missing_half=("Your quadratic branch is r**2; it is 0.5 * r**2 for |r| < delta (the 1/2 makes "
                            "it meet the linear branch smoothly)."),
    linear_missing_half_delta=("Your linear branch is delta * |r|; it is delta * (|r| - 0.5*delta), which "
                               "meets the quadratic branch 0.5*r**2 at |r| = delta."),
    linear_without_delta_factor=("Your linear branch is |r| - 0.5*delta; Huber's is delta * (|r| - 0.5*delta) "
                                 "(yours is the smooth L1 branch, equal only when delta = 1)."),
    smooth_l1_instead=("You computed the smooth L1 loss (0.5*r**2/delta, |r| - 0.5*delta). The Huber loss "
                       "is delta times that: 0.5*r**2 for |r| < delta, else delta*(|r| - 0.5*delta)."),
    ignored_delta="Your loss ignores the delta argument and always uses 1; use delta for the threshold and the linear branch.",
    summed="You summed the per-element losses; the Huber loss (as torch.nn.HuberLoss) is their mean.",
    signed_residual_compared=("You compared the signed residual with delta (r < delta), so every negative residual, "
                              "however large, takes the quadratic branch. Compare its size: |r| < delta."),
    squared_everywhere=("You used 0.5*r**2 for every residual; for |r| >= delta the loss grows linearly: "
                        "delta * (|r| - 0.5*delta)."),
)


# binary_cross_entropy ------------------------------------------------------------------------

@st.composite
def bce_inputs(draw, edges=False, eps=None):
    """0/1 labels and probabilities; with ``edges``, some at exactly 0 and 1 and in the bands."""
    shape = shape_of(draw, st.sampled_from([1, 2]))
    gen = rng(draw(seeds))
    size = int(np.prod(shape))
    y = gen.integers(0, 2, size=size).astype(np.float64)
    p = gen.uniform(0.02, 0.98, size=size)
    args = {}
    if edges:
        e = DEFAULT_EPS if eps is None else draw(eps)
        where = gen.permutation(size)[:int(gen.integers(2, size // 2 + 2))]
        p[where[0]], y[where[0]] = 0.0, 1.0   # unclipped: -log(0) = inf
        p[where[1]], y[where[1]] = 1.0, 0.0   # unclipped: -log(1 - 1) = inf
        band = e * gen.uniform(0.01, 0.99, size=size)
        for k in where[2:]:
            p[k] = [0.0, 1.0, band[k], 1.0 - band[k]][int(gen.integers(0, 4))]
        if eps is not None:
            args["eps"] = e
    return {"y_true": y.reshape(shape), "p": p.reshape(shape), **args}


spec.check("binary_cross_entropy", "matches_torch", points=1,
           description="for p in [0.02, 0.98] (no clipping needed) the loss equals "
                       "F.binary_cross_entropy, 1-D and 2-D",
           inputs=bce_inputs(), oracle=ref.binary_cross_entropy, tol=TOL)
spec.check("binary_cross_entropy", "clips_at_0_and_1", points=1,
           description="with p exactly 0 or 1 (and within 1e-12 of them) and the default eps=1e-12, "
                       "p is clipped to [eps, 1 - eps]: the loss is finite and equals "
                       "F.binary_cross_entropy of the clipped p",
           inputs=bce_inputs(edges=True), oracle=ref.binary_cross_entropy, tol=CLIP_TOL)
spec.check("binary_cross_entropy", "clips_with_given_eps", points=1,
           description="with eps in {1e-2, 1e-4, 0.1, 1e-6} and p at 0, 1 and inside (0, eps) and "
                       "(1 - eps, 1), p is clipped to [eps, 1 - eps]",
           inputs=bce_inputs(edges=True, eps=BCE_EPS), oracle=ref.binary_cross_entropy, tol=CLIP_TOL)
spec.mistakes(
    "binary_cross_entropy",
    no_clipping=("Your loss is inf or nan when p is exactly 0 or 1: log(0) = -inf (and 0 * log(0) is nan). "
                 "Clip first: p = np.clip(p, eps, 1 - eps)."),
    ignored_eps=("You clipped p with a fixed 1e-7 instead of the eps argument; clip to [eps, 1 - eps] with "
                 "the eps you are given."),
    eps_added_not_clipped=("You added eps inside the logs, log(p + eps) and log(1 - p + eps), which changes "
                           "every term; the contract clips instead: p = np.clip(p, eps, 1 - eps), then the "
                           "plain logs."),
    summed="You summed the per-element losses; binary cross-entropy here is their mean.",
    labels_flipped=("Your loss pairs y with log(1 - p) and 1 - y with log(p); it is "
                    "-(y*log(p) + (1 - y)*log(1 - p))."),
    missing_minus_sign=("Your loss is negative: the logs of probabilities are <= 0, so the loss is "
                        "-mean(y*log(p) + (1 - y)*log(1 - p)), with the minus sign."),
)


# binary_cross_entropy_with_logits ------------------------------------------------------------

@st.composite
def logit_inputs(draw, large=0):
    """0/1 labels and logits in [-6, 6]; ``large=+1/-1`` puts logits of that sign at 720..1000.

    The first two large logits carry labels 1 and 0, so naive formulas always hit both an
    infinite log and 0 * inf.
    """
    shape = shape_of(draw, st.sampled_from([1, 2]))
    gen = rng(draw(seeds))
    size = int(np.prod(shape))
    y = gen.integers(0, 2, size=size).astype(np.float64)
    x = uniform(gen, size, -6.0, 6.0)
    if large:
        where = gen.permutation(size)[:int(gen.integers(2, size // 2 + 2))]
        x[where] = large * gen.uniform(720.0, 1000.0, size=len(where))
        y[where[0]], y[where[1]] = 1.0, 0.0
    return {"y_true": y.reshape(shape), "logits": x.reshape(shape)}


spec.check("binary_cross_entropy_with_logits", "matches_torch", points=1,
           description="for logits in [-6, 6] the loss equals F.binary_cross_entropy_with_logits "
                       "(mean), 1-D and 2-D",
           inputs=logit_inputs(), oracle=ref.binary_cross_entropy_with_logits, tol=TOL)
spec.check("binary_cross_entropy_with_logits", "large_positive_logits", points=1,
           description="with some logits between 720 and 1000 (exp overflows), the loss is finite "
                       "and equals F.binary_cross_entropy_with_logits",
           inputs=logit_inputs(large=1), oracle=ref.binary_cross_entropy_with_logits, tol=TOL)
spec.check("binary_cross_entropy_with_logits", "large_negative_logits", points=1,
           description="with some logits between -1000 and -720, the loss is finite and equals "
                       "F.binary_cross_entropy_with_logits",
           inputs=logit_inputs(large=-1), oracle=ref.binary_cross_entropy_with_logits, tol=TOL)
spec.mistakes(
    "binary_cross_entropy_with_logits",
    naive_sigmoid=("You computed p = sigmoid(x) and then log(p) and log(1 - p). For |x| beyond ~37, p rounds "
                   "to exactly 0 or 1 and a log is -inf (or 0 * inf = nan). Use the stable form "
                   "max(x, 0) - x*y + log1p(exp(-|x|)), which never exponentiates a positive number."),
    naive_softplus=("You computed log(1 + exp(x)) - y*x; exp(x) overflows to inf for x > 709. Use "
                    "max(x, 0) + log1p(exp(-|x|)) for log(1 + exp(x)) (or np.logaddexp(0, x))."),
    naive_for_negative_logits=("You computed (1 - y)*x + log(1 + exp(-x)), which is exact algebra but overflows "
                               "for x < -709, where exp(-x) is inf. Combine both signs: "
                               "max(x, 0) - x*y + log1p(exp(-|x|))."),
    missing_abs=("You wrote max(x, 0) - x*y + log(1 + exp(-x)) without the absolute value: for negative x "
                 "that last term is |x| + log(1 + exp(-|x|)), |x| too much (and it overflows below -709). "
                 "The last term is log1p(exp(-|x|))."),
    clipped_sigmoid=("You clipped sigmoid(x) into [1e-7, 1 - 1e-7] before the logs, which caps each term at "
                     "~16: for a large logit with the wrong label the true loss is about |x|. Work with the "
                     "logits directly: max(x, 0) - x*y + log1p(exp(-|x|))."),
    summed="You summed the per-element losses; the loss is their mean.",
    labels_flipped=("Your loss uses (1 - y)*x where it should use y*x: the loss is "
                    "log(1 + exp(x)) - y*x = max(x, 0) - x*y + log1p(exp(-|x|))."),
)


# softmax_cross_entropy -----------------------------------------------------------------------

@st.composite
def ce_inputs(draw, large=False):
    """Logits ``(N, C)`` with N != C and int64 labels ``(N,)``.

    Ordinary logits are in [-4, 4]; with ``large``, each row is shifted by +-(750..990), the
    first two rows in opposite directions, and spreads over at most 16 within the row.
    """
    n, c = draw(dims(2, 2, 7))
    gen = rng(draw(seeds))
    labels = gen.integers(0, c, size=n).astype(np.int64)
    if not large:
        return {"logits": uniform(gen, (n, c), -4.0, 4.0), "labels": labels}
    signs = gen.choice([-1.0, 1.0], size=n)
    signs[:2] = gen.permutation([-1.0, 1.0])
    offsets = signs * gen.uniform(750.0, 990.0, size=n)
    return {"logits": offsets[:, None] + uniform(gen, (n, c), -8.0, 8.0), "labels": labels}


spec.check("softmax_cross_entropy", "loss_matches_torch", points=1,
           description="the loss (first value) equals F.cross_entropy, the mean over the batch",
           inputs=ce_inputs(), oracle=ref.softmax_cross_entropy, tol=TOL,
           run=part("softmax_cross_entropy", 0, "loss", 2))
spec.check("softmax_cross_entropy", "grad_matches_autograd", points=1,
           description="the gradient (second value, shape (N, C)) equals autograd's gradient of "
                       "F.cross_entropy with respect to the logits",
           inputs=ce_inputs(), oracle=ref.softmax_cross_entropy, tol=GRAD_TOL,
           run=part("softmax_cross_entropy", 1, "grad", 2))
spec.check("softmax_cross_entropy", "large_logits", points=1,
           description="with logits near +-1000 (rows shifted in opposite directions), loss and "
                       "gradient stay finite and equal F.cross_entropy and its autograd gradient",
           inputs=ce_inputs(large=True), oracle=ref.softmax_cross_entropy, tol=GRAD_TOL,
           outputs=("loss", "grad"))
spec.mistakes(
    "softmax_cross_entropy",
    no_max_subtraction=("Your softmax exponentiates the raw logits: exp(x) overflows to inf beyond 709 (and "
                        "a row of very negative logits underflows to 0/0). Subtract each row's maximum "
                        "first, logits - logits.max(axis=1, keepdims=True); the softmax does not change."),
    global_max_subtraction=("You subtracted the single largest logit of the whole batch. A row far below it "
                            "underflows to all zeros (log(0), 0/0). Subtract each row's own maximum: "
                            "logits.max(axis=1, keepdims=True)."),
    grad_not_divided_by_n=("Your gradient is N times too large: the loss is the mean over N rows, so the "
                           "gradient is (softmax - one_hot(labels)) / N."),
    summed_over_batch=("You summed the loss over the batch; the contract asks for the mean over the N rows "
                       "(and the gradient of the mean, divided by N)."),
    grad_missing_one_hot=("Your gradient is softmax / N; it is (softmax - one_hot(labels)) / N: subtract 1 at "
                          "each row's label, probs[np.arange(N), labels] -= 1."),
    grad_sign_flipped=("Your gradient has the wrong sign: it is (one_hot(labels) - softmax) / N. The loss "
                       "falls as the label's logit rises, so its gradient is (softmax - one_hot(labels)) / N, "
                       "negative only at the label."),
    softmax_over_batch_axis=("Your softmax normalises each column over the batch (axis 0); each row is one "
                             "example's distribution over the C classes: normalise along axis 1."),
    indexed_columns=("You indexed log_probs[:, labels], which takes whole columns (an N x N block). Pick one "
                     "entry per row: log_probs[np.arange(N), labels]."),
)


# hinge_loss ----------------------------------------------------------------------------------

@st.composite
def hinge_inputs(draw, ndim):
    """Labels in {-1, +1} and scores whose margins y*s include > 1, (0, 1) and < 0."""
    shape = shape_of(draw, ndim)
    gen = rng(draw(seeds))
    size = int(np.prod(shape))
    y = gen.choice([-1.0, 1.0], size=size)
    margins = gen.uniform(-2.0, 3.0, size=size)
    margins[:3] = [gen.uniform(1.2, 3.0), gen.uniform(0.1, 0.9), gen.uniform(-2.0, -0.1)]
    margins = gen.permutation(margins)
    return {"y_true": y.reshape(shape), "scores": (y * margins).reshape(shape)}


spec.check("hinge_loss", "matches_torch", points=1,
           description="for 1-D y and scores the loss equals torch.clamp(1 - y*s, min=0).mean()",
           inputs=hinge_inputs(1), oracle=ref.hinge_loss, tol=TOL)
spec.check("hinge_loss", "matches_torch_2d", points=1,
           description="for 2-D y and scores the mean runs over every element",
           inputs=hinge_inputs(2), oracle=ref.hinge_loss, tol=TOL)
spec.mistakes(
    "hinge_loss",
    zero_margin=("Your loss is max(0, -y*s): it only penalises misclassified points. The hinge loss asks for "
                 "a margin of 1: max(0, 1 - y*s)."),
    no_clamp=("You averaged 1 - y*s without max(0, ...): points beyond the margin (y*s > 1) must contribute "
              "0, not a negative amount."),
    summed="You summed the per-element losses; the hinge loss here is their mean.",
    divided_by_rows=("You divided the sum by len(y), the number of rows; for 2-D y and scores the mean runs "
                     "over every element: divide by y.size (or use np.mean without an axis)."),
    squared_hinge="You squared the hinge terms (the squared hinge loss); the hinge loss is mean(max(0, 1 - y*s)).",
    sign_flipped="Your loss uses 1 + y*s; the hinge is max(0, 1 - y*s), which is 0 when y*s >= 1.",
)


# kl_divergence -------------------------------------------------------------------------------

@st.composite
def kl_inputs(draw, zeros=False):
    """Row distributions ``p`` and ``q`` of shape (N, C), N != C; q >= 0.01 everywhere.

    With ``zeros``, each row of ``p`` loses 0 .. C-1 entries to exact zeros (the first row at
    least one), then is renormalised.
    """
    n, c = draw(dims(2, 2, 7))
    gen = rng(draw(seeds))
    p = gen.uniform(0.05, 1.0, size=(n, c))
    q = gen.uniform(0.1, 1.0, size=(n, c))  # >= 0.1/7 after normalising
    if zeros:
        for i in range(n):
            k = int(gen.integers(1 if i == 0 else 0, c))
            p[i, gen.permutation(c)[:k]] = 0.0
    return {"p": p / p.sum(axis=1, keepdims=True), "q": q / q.sum(axis=1, keepdims=True)}


spec.check("kl_divergence", "matches_torch", points=1,
           description="for positive p and q the loss equals F.kl_div(q.log(), p, "
                       "reduction='batchmean'): the mean over rows of sum p*log(p/q)",
           inputs=kl_inputs(), oracle=ref.kl_divergence, tol=KL_TOL)
spec.check("kl_divergence", "zeros_in_p", points=1,
           description="entries with p == 0 contribute 0 (not nan): equals F.kl_div with zeros in p",
           inputs=kl_inputs(zeros=True), oracle=ref.kl_divergence, tol=KL_TOL)
spec.mistakes(
    "kl_divergence",
    arguments_swapped=("You computed KL(q || p) = sum q*log(q/p). KL divergence is not symmetric; the contract's "
                       "is KL(p || q) = sum p*log(p/q), weighted by p."),
    summed_not_batchmean=("You summed over every row; 'batchmean' divides the total by the number of rows N "
                          "(the mean over rows of each row's sum)."),
    mean_over_all_elements=("You averaged over all N*C elements (torch's reduction='mean'); 'batchmean' sums "
                            "over the classes and averages over the N rows."),
    nan_for_zero_p=("Your loss is nan when p has zeros: 0 * log(0) is 0 * -inf = nan in floating point. "
                    "Terms with p == 0 are 0 by convention: use np.where(p > 0, p * np.log(p / q), 0) with a "
                    "safe argument inside the log."),
    cross_entropy_only=("You computed the cross-entropy -sum p*log(q) and left out p's own entropy term; "
                        "KL = sum p*log(p) - sum p*log(q) = sum p*log(p/q)."),
    sign_flipped="Your loss is sum p*log(q/p), the negative of KL; it is sum p*log(p/q), which is >= 0.",
)
