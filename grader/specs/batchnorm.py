"""Checks for ``batchnorm``: batch and layer normalisation against ``F.batch_norm`` and
``F.layer_norm`` (autograd for the backward passes).

Inputs are drawn so that every correct float64 formula agrees: along the normalised axis the
drawn values are rescaled to a standard deviation in ``[1, 3]`` (never a near-zero variance),
``gamma`` is kept away from zero and ``eps`` is either the default (tiny next to the variance)
or, in the checks about ``eps``, comparable to the variance so that where ``eps`` sits matters.
Correct implementations agree with PyTorch to ~1e-14 relative; the tolerances below leave
four orders of magnitude of headroom while every catalogued mistake moves the output by
more than 1e-7 relative (most by more than 1e-2).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec
from grader.strategies import away_from_zero, dims, rng, seeds, uniform
from reference import batchnorm as ref

spec = ModuleSpec("batchnorm", "Normalization", reference=ref)

FWD_TOL = Tolerance(1e-9, 1e-11, "float64 normalisation written in any order agrees with torch to "
                    "~1e-14; the closest mistake (eps outside the sqrt at the default eps) moves "
                    "outputs by >1e-7, the others by >1e-2")
BWD_TOL = Tolerance(1e-8, 1e-10, "the compact and the staged backward formulas agree with autograd "
                    "to ~1e-13 (sums of N terms of size ~1); every catalogued mistake changes a "
                    "gradient by >1e-2")
STATS_TOL = Tolerance(1e-10, 1e-12, "one exponential-average update in float64 agrees with torch "
                      "to ~1e-15; the smallest mistake (std for var at momentum 0.01) moves var by "
                      ">1e-4")

MOMENTA = st.sampled_from([0.01, 0.1, 0.3, 0.8])    # never 0.5, where a swapped momentum hides
LARGE_EPS = st.sampled_from([0.5, 1.0, 2.5])         # comparable to the drawn variances (1 to 9)
GRADS = ("dx", "dgamma", "dbeta")


def spread(gen: np.random.Generator, shape: tuple, axis: int) -> np.ndarray:
    """Values whose mean along ``axis`` is in [-2, 2] and whose (biased) std is in [1, 3].

    Standard normal draws are standardised along ``axis`` and then shifted and scaled, so no
    drawn slice has a near-zero variance however few elements it has.
    """
    z = gen.standard_normal(shape)
    z = (z - z.mean(axis=axis, keepdims=True)) / z.std(axis=axis, keepdims=True)
    stat_shape = list(shape)
    stat_shape[axis] = 1
    return gen.uniform(-2.0, 2.0, size=stat_shape) + gen.uniform(1.0, 3.0, size=stat_shape) * z


def affine(gen: np.random.Generator, d: int) -> dict:
    return {"gamma": away_from_zero(gen, (d,), 0.5, 2.0), "beta": uniform(gen, (d,))}


@st.composite
def batch_inputs(draw, backward=False, eps=None, low=3):
    """``x (N, D)`` with well-spread columns, ``gamma``/``beta`` (or ``dout``), maybe ``eps``."""
    n, d = draw(dims(2, low, 8))
    gen = rng(draw(seeds))
    args = {"x": spread(gen, (n, d), axis=0)}
    params = affine(gen, d)
    if backward:
        args = {"dout": uniform(gen, (n, d)), **args, "gamma": params["gamma"]}
    else:
        args.update(params)
    if eps is not None:
        args["eps"] = draw(eps)
    return args


@st.composite
def layer_inputs(draw, ndim=2, backward=False, eps=None):
    """``x (N, D)`` or ``(N, T, D)`` with well-spread rows along the last axis."""
    if not isinstance(ndim, int):
        ndim = draw(ndim)
    shape = tuple(draw(dims(ndim, 3, 7)))
    gen = rng(draw(seeds))
    args = {"x": spread(gen, shape, axis=-1)}
    params = affine(gen, shape[-1])
    if backward:
        args = {"dout": uniform(gen, shape), **args, "gamma": params["gamma"]}
    else:
        args.update(params)
    if eps is not None:
        args["eps"] = draw(eps)
    return args


@st.composite
def running_inputs(draw, momentum=MOMENTA, batches=None):
    """Running statistics, a batch ``x (N, D)`` with ``N >= 2`` (or a list of batches)."""
    n, d = draw(dims(2, 2, 8))
    gen = rng(draw(seeds))
    args = {"running_mean": uniform(gen, (d,)), "running_var": gen.uniform(0.5, 2.0, size=d)}
    if batches is None:
        args["x"] = spread(gen, (n, d), axis=0)
    else:
        args["batches"] = [spread(gen, (n, d), axis=0) for _ in range(draw(batches))]
    if momentum is not None:
        args["momentum"] = draw(momentum)
    return args


def several_batches(fn, args):
    """Feed the returned statistics back in for each batch; label them after every batch."""
    mean, var, out = args["running_mean"], args["running_var"], {}
    for t, x in enumerate(args["batches"], start=1):
        mean, var = fn(mean, var, x, momentum=args["momentum"])
        out[f"running_mean after batch {t}"] = mean
        out[f"running_var after batch {t}"] = var
    return out


@st.composite
def inference_inputs(draw, eps=None, single=False):
    """``x`` plus running statistics unrelated to the batch's own statistics."""
    d = draw(st.integers(2, 7))
    n = 1 if single else draw(st.integers(2, 8).filter(lambda v: v != d))
    gen = rng(draw(seeds))
    x = gen.uniform(-2.0, 2.0, size=d) + gen.uniform(1.0, 3.0, size=d) * gen.standard_normal((n, d))
    args = {"x": x, **affine(gen, d), "running_mean": uniform(gen, (d,)),
            "running_var": gen.uniform(0.5, 3.0, size=d)}
    if eps is not None:
        args["eps"] = draw(eps)
    return args


# batchnorm_forward ---------------------------------------------------------------------------
spec.check("batchnorm_forward", "matches_torch", points=1,
           description="training-mode output equals F.batch_norm(training=True) at the default eps",
           inputs=batch_inputs(), oracle=ref.batchnorm_forward, tol=FWD_TOL)
spec.check("batchnorm_forward", "large_eps", points=1,
           description="with eps comparable to the variance, eps is added inside the square root",
           inputs=batch_inputs(eps=LARGE_EPS), oracle=ref.batchnorm_forward, tol=FWD_TOL)
spec.mistakes(
    "batchnorm_forward",
    unbiased_variance=("You normalised with the unbiased variance (dividing by N-1). Batch norm's training "
                       "forward pass uses the biased batch variance: the mean of (x - mean)**2 over the batch."),
    eps_outside_sqrt="You divided by sqrt(var) + eps. eps belongs inside the square root: sqrt(var + eps).",
    normalised_over_features=("You normalised each example over its features (axis 1). Batch norm normalises each "
                              "feature over the batch: take the mean and variance along axis 0."),
    forgot_gamma_beta=("You returned the normalised x without the learnable scale and shift: the output is "
                       "gamma * x_hat + beta."),
    no_mean_subtraction=("You divided x by the batch standard deviation without subtracting the batch mean "
                         "first: x_hat = (x - mean) / sqrt(var + eps)."),
    statistics_over_all_elements=("You took one mean and one variance over the whole batch (np.mean(x) without an "
                                  "axis); batch norm normalises each feature on its own: mean and variance "
                                  "over axis 0, one per column."),
)

# batchnorm_backward --------------------------------------------------------------------------
spec.check("batchnorm_backward", "matches_autograd", points=1,
           description="(dx, dgamma, dbeta) equal torch autograd through F.batch_norm(training=True) "
                       "for the loss sum(dout * out), at the default eps",
           inputs=batch_inputs(backward=True), oracle=ref.batchnorm_backward, tol=BWD_TOL,
           outputs=GRADS)
spec.check("batchnorm_backward", "large_eps", points=1,
           description="the gradients use sqrt(var + eps) when eps is comparable to the variance",
           inputs=batch_inputs(backward=True, eps=LARGE_EPS), oracle=ref.batchnorm_backward,
           tol=BWD_TOL, outputs=GRADS)
spec.mistakes(
    "batchnorm_backward",
    no_mean_terms=("Your dx is dout * gamma / std, as if the batch mean and variance were constants. They "
                   "depend on every x in the batch: subtract the mean of dout*gamma and the x_hat-weighted "
                   "term, dx = gamma/std * (dout - mean(dout) - x_hat * mean(dout * x_hat))."),
    missing_variance_term=("Your dx accounts for the mean but not for the variance: it is missing the "
                           "- x_hat * mean(dout * x_hat) term that flows through the batch variance."),
    dgamma_without_xhat=("Your dgamma is the sum of dout. Since out = gamma * x_hat + beta, dgamma is the sum "
                         "over the batch of dout * x_hat."),
    dbeta_averaged=("You averaged dout over the batch for dbeta. beta is added to every example, so its "
                    "gradient is the sum of dout over the batch, not the mean."),
    unbiased_variance=("Your gradients use the unbiased variance (divided by N-1); the forward pass uses the "
                       "biased one (divided by N), and so must its gradient."),
    dx_missing_gamma=("Your dx leaves out gamma: out = gamma * x_hat + beta, so the gradient reaching x_hat is "
                      "dout * gamma, and every term of dx carries that factor: "
                      "dx = gamma/std * (dout - mean(dout) - x_hat * mean(dout * x_hat))."),
    kept_batch_axis=("Your dgamma and dbeta have shape (1, D). gamma and beta have shape (D,), so their "
                     "gradients must too: sum over axis 0 without keepdims."),
)

# batchnorm_running_stats ---------------------------------------------------------------------
spec.check("batchnorm_running_stats", "matches_torch", points=1,
           description="(mean, var) equal the running buffers F.batch_norm(training=True) leaves "
                       "behind after one batch",
           inputs=running_inputs(), oracle=ref.batchnorm_running_stats, tol=STATS_TOL,
           outputs=("mean", "var"))
spec.check("batchnorm_running_stats", "default_momentum", points=1,
           description="the default momentum is 0.1, weighting the new batch by 0.1",
           inputs=running_inputs(momentum=None), oracle=ref.batchnorm_running_stats,
           tol=STATS_TOL, outputs=("mean", "var"))
spec.check("batchnorm_running_stats", "several_batches", points=1,
           description="feeding the returned statistics back in, batch after batch, tracks "
                       "PyTorch's running buffers",
           inputs=running_inputs(batches=st.integers(2, 4)), oracle=ref.batchnorm_running_stats,
           tol=STATS_TOL, run=several_batches)
spec.mistakes(
    "batchnorm_running_stats",
    biased_variance=("Your running variance averages in the biased batch variance (divided by N). PyTorch "
                     "tracks the unbiased one, divided by N-1, because it estimates the population variance "
                     "used at inference."),
    momentum_swapped=("You weighted the old statistic by momentum and the batch by 1 - momentum. In PyTorch's "
                      "convention momentum is the weight of the new batch: (1 - momentum) * old + "
                      "momentum * batch."),
    std_instead_of_var=("You averaged the batch standard deviation into the running variance; average the "
                        "(unbiased) batch variance itself."),
    returned_batch_stats=("You returned the batch's own mean and variance, ignoring the running values. Blend "
                          "them: (1 - momentum) * running + momentum * batch."),
)

# batchnorm_inference -------------------------------------------------------------------------
spec.check("batchnorm_inference", "matches_torch", points=1,
           description="output equals F.batch_norm(training=False) with the given running "
                       "statistics, at the default eps",
           inputs=inference_inputs(), oracle=ref.batchnorm_inference, tol=FWD_TOL)
spec.check("batchnorm_inference", "large_eps", points=1,
           description="with eps comparable to the running variance, eps is added inside the "
                       "square root", inputs=inference_inputs(eps=LARGE_EPS),
           oracle=ref.batchnorm_inference, tol=FWD_TOL)
spec.check("batchnorm_inference", "single_example", points=1,
           description="a batch of one example is normalised with the running statistics",
           inputs=inference_inputs(single=True), oracle=ref.batchnorm_inference, tol=FWD_TOL)
spec.mistakes(
    "batchnorm_inference",
    used_batch_statistics=("You normalised with the batch's own mean and variance. At inference the output must "
                           "not depend on the rest of the batch: use running_mean and running_var."),
    eps_outside_sqrt=("You divided by sqrt(running_var) + eps. eps belongs inside the square root: "
                      "sqrt(running_var + eps)."),
    forgot_gamma_beta=("You returned the normalised x without the learnable scale and shift: the output is "
                       "gamma * x_hat + beta."),
    var_as_std=("You divided by running_var + eps, treating the variance as a standard deviation. "
                "Divide by sqrt(running_var + eps)."),
)

# layernorm_forward ---------------------------------------------------------------------------
spec.check("layernorm_forward", "matches_torch_2d", points=1,
           description="for x (N, D) the output equals F.layer_norm over the last axis",
           inputs=layer_inputs(ndim=2), oracle=ref.layernorm_forward, tol=FWD_TOL)
spec.check("layernorm_forward", "matches_torch_3d", points=1,
           description="for x (N, T, D) each length-D vector is normalised on its own, as "
                       "F.layer_norm over the last axis", inputs=layer_inputs(ndim=3),
           oracle=ref.layernorm_forward, tol=FWD_TOL)
spec.check("layernorm_forward", "large_eps", points=1,
           description="with eps comparable to the variance, eps is added inside the square root",
           inputs=layer_inputs(ndim=st.sampled_from([2, 3]), eps=LARGE_EPS),
           oracle=ref.layernorm_forward, tol=FWD_TOL)
spec.mistakes(
    "layernorm_forward",
    normalised_over_batch=("You normalised over the batch axis (axis 0), which is batch norm. Layer norm "
                           "normalises each example over its features: the last axis, axis=-1 with keepdims."),
    axis_1_not_last=("You normalised along axis 1, which is the feature axis only for 2-D input. For "
                     "(N, T, D) input the features are on the last axis: use axis=-1."),
    unbiased_variance=("You used the unbiased variance (divided by D-1). Layer norm uses the biased variance, "
                       "the mean of (x - mean)**2 over the last axis."),
    eps_outside_sqrt="You divided by std + eps. eps belongs inside the square root: sqrt(var + eps).",
    forgot_gamma_beta=("You returned the normalised x without the learnable scale and shift: the output is "
                       "gamma * x_hat + beta."),
)

# layernorm_backward --------------------------------------------------------------------------
spec.check("layernorm_backward", "matches_autograd_2d", points=1,
           description="for x (N, D), (dx, dgamma, dbeta) equal torch autograd through F.layer_norm "
                       "for the loss sum(dout * out)",
           inputs=layer_inputs(ndim=2, backward=True), oracle=ref.layernorm_backward, tol=BWD_TOL,
           outputs=GRADS)
spec.check("layernorm_backward", "matches_autograd_3d", points=1,
           description="for x (N, T, D), dgamma and dbeta are summed over both leading axes "
                       "and have shape (D,)",
           inputs=layer_inputs(ndim=3, backward=True), oracle=ref.layernorm_backward, tol=BWD_TOL,
           outputs=GRADS)
spec.check("layernorm_backward", "large_eps", points=1,
           description="the gradients use sqrt(var + eps) when eps is comparable to the variance",
           inputs=layer_inputs(ndim=st.sampled_from([2, 3]), backward=True, eps=LARGE_EPS),
           oracle=ref.layernorm_backward, tol=BWD_TOL, outputs=GRADS)
spec.mistakes(
    "layernorm_backward",
    params_summed_over_first_axis_only=("Your dgamma and dbeta are summed over axis 0 only, so for (N, T, D) input they have "
                                        "shape (T, D). gamma is shared by every position: sum over every leading axis so the "
                                        "gradients have shape (D,)."),
    no_mean_terms=("Your dx is dout * gamma / std, as if each row's mean and variance were constants. "
                   "Subtract the row means: dx = gamma/std * (dout - mean(dout) - x_hat * mean(dout * "
                   "x_hat)), the means taken over the last axis."),
    missing_variance_term=("Your dx accounts for the row mean but not for the row variance: it is missing the "
                           "- x_hat * mean(dout * x_hat) term (mean over the last axis)."),
    normalised_over_batch=("Your gradient normalises over the batch axis (axis 0), which is batch norm's backward "
                           "pass. Layer norm's statistics, and the sums in dx, run over the last axis."),
    dgamma_without_xhat=("Your dgamma is the sum of dout. Since out = gamma * x_hat + beta, dgamma is the sum of "
                         "dout * x_hat over every leading axis."),
    dx_missing_gamma=("Your dx leaves out gamma: the gradient reaching x_hat is dout * gamma (out = gamma * "
                      "x_hat + beta), so use g = dout * gamma in every term of dx, means over the last axis."),
    unbiased_variance=("Your gradients use the unbiased variance (divided by D-1); layer norm's forward pass "
                       "uses the biased one (divided by D), and so must its gradient."),
)
