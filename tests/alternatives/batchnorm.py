"""Correct ``batchnorm`` answers written differently from solutions/batchnorm.py.

Each ``<function>__<variant>`` follows the CURRICULUM contract exactly and must score full marks.
"""

import math
import statistics

import numpy as np


# batchnorm_forward ---------------------------------------------------------------------------

def batchnorm_forward__column_loop(x, gamma, beta, eps=1e-5):
    """Python loop over features, statistics from explicit sums and math.sqrt."""
    n, d = x.shape
    out = np.empty_like(x)
    for j in range(d):
        col = x[:, j]
        mu = col.sum() / n
        var = ((col - mu) ** 2).sum() / n
        out[:, j] = gamma[j] * (col - mu) / math.sqrt(var + eps) + beta[j]
    return out


def batchnorm_forward__folded_scale_shift(x, gamma, beta, eps=1e-5):
    """Folds gamma and the statistics into one scale and one shift: x * scale + shift."""
    mu = np.mean(x, axis=0)
    var = np.mean(np.square(x - mu), axis=0)
    scale = gamma / np.sqrt(var + eps)
    shift = beta - mu * scale
    return x * scale + shift


def batchnorm_forward__keepdims_rsqrt(x, gamma, beta, eps=1e-5):
    """keepdims (1, D) statistics and an inverse square root (var + eps) ** -0.5."""
    mu = x.mean(axis=0, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=0, keepdims=True)
    x_hat = xc * (var + eps) ** -0.5
    return x_hat * gamma[None, :] + beta[None, :]


def batchnorm_forward__raw_moments(x, gamma, beta, eps=1e-5):
    """Variance from raw moments, E[x^2] - E[x]^2 (safe here: the drawn columns are well spread)."""
    mu = x.mean(axis=0)
    var = (x ** 2).mean(axis=0) - mu ** 2
    return gamma * ((x - mu) / np.sqrt(var + eps)) + beta


# batchnorm_backward --------------------------------------------------------------------------

def batchnorm_backward__staged_graph(dout, x, gamma, eps=1e-5):
    """CS231n computational graph: forward in small nodes, then backward node by node."""
    N, D = x.shape
    # forward
    mu = 1.0 / N * np.sum(x, axis=0)
    xmu = x - mu
    sq = xmu ** 2
    var = 1.0 / N * np.sum(sq, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    # backward
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / N * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta


def batchnorm_backward__compact_sums(dout, x, gamma, eps=1e-5):
    """One-line dx with sums and an explicit 1/N; returned as a list."""
    N = x.shape[0]
    mu = x.mean(0)
    inv_std = 1.0 / np.sqrt(((x - mu) ** 2).mean(0) + eps)
    x_hat = (x - mu) * inv_std
    dbeta = dout.sum(0)
    dgamma = (dout * x_hat).sum(0)
    dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    return [dx, dgamma, dbeta]


def batchnorm_backward__paper_chain_rule(dout, x, gamma, eps=1e-5):
    """Ioffe & Szegedy's chain rule: dvar and dmu first, then dx from three paths."""
    m = x.shape[0]
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    xmu = x - mu
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = np.sum(-dxhat / np.sqrt(var + eps), axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
    dx = dxhat / np.sqrt(var + eps) + dvar * 2.0 * xmu / m + dmu / m
    dgamma = np.einsum("nd,nd->d", dout, xmu / np.sqrt(var + eps))
    dbeta = np.einsum("nd->d", dout)
    return dx, dgamma, dbeta


# batchnorm_running_stats ---------------------------------------------------------------------

def batchnorm_running_stats__lerp_list(running_mean, running_var, x, momentum=0.1):
    """Interpolation form old + momentum * (new - old), explicit N-1 sum; returned as a list."""
    n = x.shape[0]
    batch_mean = x.sum(axis=0) / n
    batch_var = ((x - batch_mean) ** 2).sum(axis=0) / (n - 1)
    return [running_mean + momentum * (batch_mean - running_mean),
            running_var + momentum * (batch_var - running_var)]


def batchnorm_running_stats__statistics_module(running_mean, running_var, x, momentum=0.1):
    """Per-feature loop with the standard library's statistics.fmean / statistics.variance."""
    d = x.shape[1]
    new_mean = np.empty(d)
    new_var = np.empty(d)
    for j in range(d):
        col = x[:, j].tolist()
        new_mean[j] = (1 - momentum) * running_mean[j] + momentum * statistics.fmean(col)
        new_var[j] = (1 - momentum) * running_var[j] + momentum * statistics.variance(col)
    return new_mean, new_var


def batchnorm_running_stats__cov_diagonal(running_mean, running_var, x, momentum=0.1):
    """Unbiased variance read off the diagonal of np.cov (which divides by N-1)."""
    batch_var = np.diag(np.atleast_2d(np.cov(x, rowvar=False))).copy()
    new_mean = momentum * np.average(x, axis=0) + (1.0 - momentum) * running_mean
    new_var = momentum * batch_var + (1.0 - momentum) * running_var
    return new_mean, new_var


# batchnorm_inference -------------------------------------------------------------------------

def batchnorm_inference__folded_scale_shift(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Precomputes scale = gamma / std and shift = beta - mean * scale, as deployed models do."""
    scale = gamma / np.sqrt(running_var + eps)
    shift = beta - running_mean * scale
    return x * scale + shift


def batchnorm_inference__row_loop(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """One example at a time with an explicit standard deviation."""
    std = np.sqrt(running_var + eps)
    return np.array([gamma * ((row - running_mean) / std) + beta for row in x])


def batchnorm_inference__rsqrt_broadcast(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """(var + eps) ** -0.5 with explicit (1, D) broadcasting."""
    inv = (running_var + eps) ** -0.5
    x_hat = (x - running_mean[np.newaxis, :]) * inv[np.newaxis, :]
    return gamma[np.newaxis, :] * x_hat + beta[np.newaxis, :]


# layernorm_forward ---------------------------------------------------------------------------

def layernorm_forward__transposed_batchnorm(x, gamma, beta, eps=1e-5):
    """Flattens to (M, D), transposes so features are rows, normalises columns as batch norm
    does, then transposes and reshapes back."""
    d = x.shape[-1]
    xt = x.reshape(-1, d).T  # (D, M)
    mu = xt.mean(axis=0)
    var = xt.var(axis=0)
    x_hat = ((xt - mu) / np.sqrt(var + eps)).T.reshape(x.shape)
    return gamma * x_hat + beta


def layernorm_forward__vector_loop(x, gamma, beta, eps=1e-5):
    """A loop over every length-D vector with np.ndindex of the leading axes."""
    out = np.empty_like(x)
    for idx in np.ndindex(*x.shape[:-1]):
        v = x[idx]
        mu = v.mean()
        sigma = math.sqrt(((v - mu) ** 2).mean() + eps)
        out[idx] = (v - mu) / sigma * gamma + beta
    return out


def layernorm_forward__sums_over_d(x, gamma, beta, eps=1e-5):
    """Explicit sums divided by D along axis=-1, multiplied by (var + eps) ** -0.5."""
    d = x.shape[-1]
    mu = np.sum(x, axis=-1, keepdims=True) / d
    var = np.sum((x - mu) ** 2, axis=-1, keepdims=True) / d
    return (x - mu) * (var + eps) ** -0.5 * gamma + beta


# layernorm_backward --------------------------------------------------------------------------

def layernorm_backward__staged_graph(dout, x, gamma, eps=1e-5):
    """CS231n staged graph along the last axis; dgamma/dbeta summed over a (M, D) reshape."""
    D = x.shape[-1]
    mu = np.sum(x, axis=-1, keepdims=True) / D
    xmu = x - mu
    sq = xmu ** 2
    var = np.sum(sq, axis=-1, keepdims=True) / D
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    dbeta = dout.reshape(-1, D).sum(axis=0)
    dgamma = (dout * xhat).reshape(-1, D).sum(axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=-1, keepdims=True)
    dxmu1 = dxhat * ivar
    dsqrtvar = -divar / sqrtvar ** 2
    dvar = 0.5 * ivar * dsqrtvar
    dsq = np.ones_like(x) * dvar / D
    dxmu2 = 2.0 * xmu * dsq
    dmu = -np.sum(dxmu1 + dxmu2, axis=-1, keepdims=True)
    dx = dxmu1 + dxmu2 + np.ones_like(x) * dmu / D
    return dx, dgamma, dbeta


def layernorm_backward__flatten_compact(dout, x, gamma, eps=1e-5):
    """Flattens to (M, D), applies the compact formula with sums and 1/D, reshapes back;
    returned as a list."""
    shape = x.shape
    D = shape[-1]
    x2 = x.reshape(-1, D)
    g2 = dout.reshape(-1, D)
    mu = x2.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(x2.var(axis=1, keepdims=True) + eps)
    x_hat = (x2 - mu) * inv_std
    dx_hat = g2 * gamma
    dx = inv_std / D * (D * dx_hat - dx_hat.sum(axis=1, keepdims=True)
                        - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True))
    return [dx.reshape(shape), (g2 * x_hat).sum(axis=0), g2.sum(axis=0)]


def layernorm_backward__explicit_jacobian(dout, x, gamma, eps=1e-5):
    """Builds each vector's D x D Jacobian of x_hat and multiplies by the upstream gradient."""
    D = x.shape[-1]
    dx = np.empty_like(x)
    dgamma = np.zeros(D)
    dbeta = np.zeros(D)
    eye = np.eye(D)
    for idx in np.ndindex(*x.shape[:-1]):
        v, g = x[idx], dout[idx]
        inv_std = 1.0 / np.sqrt(v.var() + eps)
        x_hat = (v - v.mean()) * inv_std
        # d x_hat_i / d v_j = inv_std * (delta_ij - 1/D - x_hat_i * x_hat_j / D)
        jac = inv_std * (eye - 1.0 / D - np.outer(x_hat, x_hat) / D)
        dx[idx] = jac.T @ (g * gamma)
        dgamma += g * x_hat
        dbeta += g
    return dx, dgamma, dbeta


# Written for the outside review of the grader -------------------------------------------------

def batchnorm_forward__einsum_moments(x, gamma, beta, eps=1e-5):
    """Mean and variance by np.einsum; gamma folded into one scale."""
    n = x.shape[0]
    xc = x - np.einsum("nd->d", x) / n
    var = np.einsum("nd,nd->d", xc, xc) / n
    return xc * (gamma / np.sqrt(var + eps)) + beta


def batchnorm_forward__fsum_columns(x, gamma, beta, eps=1e-5):
    """One column at a time with math.fsum and math.sqrt."""
    out = np.empty_like(x)
    for j in range(x.shape[1]):
        col = x[:, j]
        m = math.fsum(col) / len(col)
        v = math.fsum((c - m) ** 2 for c in col) / len(col)
        out[:, j] = gamma[j] * (col - m) / math.sqrt(v + eps) + beta[j]
    return out


def batchnorm_backward__column_jacobians(dout, x, gamma, eps=1e-5):
    """The (N, N) Jacobian of each normalised column, applied to gamma * dout."""
    n, d = x.shape
    mu = x.mean(0)
    std = np.sqrt(((x - mu) ** 2).mean(0) + eps)
    xhat = (x - mu) / std
    dx = np.empty_like(x)
    for j in range(d):
        jac = (np.eye(n) - 1.0 / n - np.outer(xhat[:, j], xhat[:, j]) / n) / std[j]
        dx[:, j] = jac.T @ (dout[:, j] * gamma[j])
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def batchnorm_backward__centred_means(dout, x, gamma, eps=1e-5):
    """dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = gamma * dout."""
    xc = x - x.mean(0, keepdims=True)
    rstd = 1 / np.sqrt(np.mean(xc * xc, axis=0, keepdims=True) + eps)
    xhat = xc * rstd
    g = dout * gamma
    dx = rstd * (g - g.mean(0, keepdims=True) - xhat * (g * xhat).mean(0, keepdims=True))
    return dx, np.einsum("nd,nd->d", dout, xhat), dout.sum(0)


def batchnorm_running_stats__rescaled_biased(running_mean, running_var, x, momentum=0.1):
    """The biased variance times N / (N - 1); moving averages by interpolation."""
    n = x.shape[0]
    var = x.var(axis=0) * n / (n - 1)
    return running_mean + momentum * (x.mean(0) - running_mean), running_var + momentum * (var - running_var)


def batchnorm_running_stats__list_result(running_mean, running_var, x, momentum=0.1):
    """Returns a list [mean, var], ddof=1."""
    return [running_mean * (1 - momentum) + x.mean(0) * momentum,
            running_var * (1 - momentum) + np.var(x, axis=0, ddof=1) * momentum]


def batchnorm_inference__affine_fold(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """x * a + (beta - mean * a) with a = gamma / sqrt(var + eps)."""
    a = gamma / np.sqrt(running_var + eps)
    return x * a + (beta - running_mean * a)


def batchnorm_inference__rows_stacked(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """A list of normalised rows turned into an array."""
    return np.array([(row - running_mean) / np.sqrt(running_var + eps) * gamma + beta for row in x])


def layernorm_forward__rows_of_reshape(x, gamma, beta, eps=1e-5):
    """Leading axes flattened to rows, normalised one row at a time, reshaped back."""
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty_like(rows)
    for i, row in enumerate(rows):
        m = row.mean()
        out[i] = gamma * (row - m) / np.sqrt(((row - m) ** 2).mean() + eps) + beta
    return out.reshape(x.shape)


def layernorm_forward__std_squared(x, gamma, beta, eps=1e-5):
    """np.std squared back into the variance, [..., None] instead of keepdims."""
    mu = np.mean(x, axis=-1)[..., None]
    sd = np.std(x, axis=-1)[..., None]
    return gamma * (x - mu) / np.sqrt(sd ** 2 + eps) + beta


def layernorm_backward__chain_rule_rows(dout, x, gamma, eps=1e-5):
    """The step-by-step chain rule (dvar, dmu) on rows of the flattened input."""
    d = x.shape[-1]
    X, G = x.reshape(-1, d), dout.reshape(-1, d)
    xc = X - X.mean(1, keepdims=True)
    istd = ((xc ** 2).mean(1, keepdims=True) + eps) ** -0.5
    xhat = xc * istd
    dxhat = G * gamma
    dvar = np.sum(dxhat * xc, axis=1, keepdims=True) * -0.5 * istd ** 3
    dmu = np.sum(-dxhat * istd, axis=1, keepdims=True) + dvar * np.mean(-2.0 * xc, axis=1, keepdims=True)
    dX = dxhat * istd + dvar * 2.0 * xc / d + dmu / d
    return dX.reshape(x.shape), (G * xhat).sum(0), G.sum(0)


def layernorm_backward__batched_jacobian(dout, x, gamma, eps=1e-5):
    """A (..., D, D) Jacobian per row applied with np.einsum."""
    d = x.shape[-1]
    mu = x.mean(-1, keepdims=True)
    inv = 1 / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps)
    xhat = (x - mu) * inv
    jac = (np.eye(d) - 1.0 / d - xhat[..., :, None] * xhat[..., None, :] / d) * inv[..., None]
    dx = np.einsum("...ij,...i->...j", jac, dout * gamma)
    lead = tuple(range(x.ndim - 1))
    return dx, np.sum(dout * xhat, axis=lead), np.sum(dout, axis=lead)
