"""Oracles for ``batchnorm``: ``F.batch_norm`` and ``F.layer_norm`` in float64, with autograd
for the backward passes (the loss is ``sum(dout * out)``, so the gradients are vector-Jacobian
products with ``dout``).

Below the oracles, the catalogued mistakes: wrong implementations students really write,
named ``<function>__<mistake>`` and written in plain NumPy.
"""

from __future__ import annotations

import numpy as np

from reference._torch import F, array, tensor, torch


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    out = F.batch_norm(tensor(x), None, None, weight=tensor(gamma), bias=tensor(beta),
                       training=True, eps=eps)
    return array(out)


def batchnorm_backward(dout, x, gamma, eps=1e-5):
    xt = tensor(x, requires_grad=True)
    gt = tensor(gamma, requires_grad=True)
    bt = torch.zeros_like(gt, requires_grad=True)
    out = F.batch_norm(xt, None, None, weight=gt, bias=bt, training=True, eps=eps)
    (out * tensor(dout)).sum().backward()
    return array(xt.grad), array(gt.grad), array(bt.grad)


def batchnorm_running_stats(running_mean, running_var, x, momentum=0.1):
    mean_t = tensor(running_mean)
    var_t = tensor(running_var)
    # In training mode F.batch_norm updates the running buffers in place, with the unbiased
    # batch variance, exactly as nn.BatchNorm1d does.
    F.batch_norm(tensor(x), mean_t, var_t, training=True, momentum=momentum)
    return array(mean_t), array(var_t)


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    out = F.batch_norm(tensor(x), tensor(running_mean), tensor(running_var), weight=tensor(gamma),
                       bias=tensor(beta), training=False, eps=eps)
    return array(out)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    x = np.asarray(x)
    out = F.layer_norm(tensor(x), (x.shape[-1],), weight=tensor(gamma), bias=tensor(beta), eps=eps)
    return array(out)


def layernorm_backward(dout, x, gamma, eps=1e-5):
    x = np.asarray(x)
    xt = tensor(x, requires_grad=True)
    gt = tensor(gamma, requires_grad=True)
    bt = torch.zeros_like(gt, requires_grad=True)
    out = F.layer_norm(xt, (x.shape[-1],), weight=gt, bias=bt, eps=eps)
    (out * tensor(dout)).sum().backward()
    return array(xt.grad), array(gt.grad), array(bt.grad)


# Mistakes -----------------------------------------------------------------------------------
# Shared NumPy pieces (correct unless a mistake says otherwise).

def _normalise(x, axis, eps, ddof=0):
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


def _norm_backward(dout, x, gamma, eps, axis, ddof=0):
    """The compact backward formula over ``axis`` (scalar or tuple), with ``ddof`` variance."""
    n = np.prod([x.shape[a] for a in np.atleast_1d(axis)])
    inv_std = 1.0 / np.sqrt(x.var(axis=axis, ddof=ddof, keepdims=True) + eps)
    xhat = (x - x.mean(axis=axis, keepdims=True)) * inv_std
    g = dout * gamma
    dx = inv_std / n * (n * g - g.sum(axis=axis, keepdims=True)
                        - xhat * (g * xhat).sum(axis=axis, keepdims=True))
    return dx, xhat


# batchnorm_forward

def batchnorm_forward__unbiased_variance(x, gamma, beta, eps=1e-5):
    return gamma * _normalise(x, 0, eps, ddof=1) + beta


def batchnorm_forward__eps_outside_sqrt(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean(axis=0)) / (x.std(axis=0) + eps) + beta


def batchnorm_forward__normalised_over_features(x, gamma, beta, eps=1e-5):
    return gamma * _normalise(x, 1, eps) + beta


def batchnorm_forward__forgot_gamma_beta(x, gamma, beta, eps=1e-5):
    return _normalise(x, 0, eps)


def batchnorm_forward__no_mean_subtraction(x, gamma, beta, eps=1e-5):
    return gamma * x / np.sqrt(x.var(axis=0) + eps) + beta


def batchnorm_forward__statistics_over_all_elements(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean()) / np.sqrt(x.var() + eps) + beta


# batchnorm_backward

def batchnorm_backward__no_mean_terms(dout, x, gamma, eps=1e-5):
    _, xhat = _norm_backward(dout, x, gamma, eps, 0)
    dx = dout * gamma / np.sqrt(x.var(axis=0) + eps)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward__missing_variance_term(dout, x, gamma, eps=1e-5):
    _, xhat = _norm_backward(dout, x, gamma, eps, 0)
    g = dout * gamma
    dx = (g - g.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward__dgamma_without_xhat(dout, x, gamma, eps=1e-5):
    dx, _ = _norm_backward(dout, x, gamma, eps, 0)
    return dx, dout.sum(axis=0), dout.sum(axis=0)


def batchnorm_backward__dbeta_averaged(dout, x, gamma, eps=1e-5):
    dx, xhat = _norm_backward(dout, x, gamma, eps, 0)
    return dx, (dout * xhat).sum(axis=0), dout.mean(axis=0)


def batchnorm_backward__unbiased_variance(dout, x, gamma, eps=1e-5):
    dx, xhat = _norm_backward(dout, x, gamma, eps, 0, ddof=1)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward__kept_batch_axis(dout, x, gamma, eps=1e-5):
    dx, xhat = _norm_backward(dout, x, gamma, eps, 0)
    return dx, (dout * xhat).sum(axis=0, keepdims=True), dout.sum(axis=0, keepdims=True)


def batchnorm_backward__dx_missing_gamma(dout, x, gamma, eps=1e-5):
    dx, xhat = _norm_backward(dout, x, np.ones_like(gamma), eps, 0)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


# batchnorm_running_stats

def _batch_stats(x):
    return x.mean(axis=0), x.var(axis=0, ddof=1)


def batchnorm_running_stats__biased_variance(running_mean, running_var, x, momentum=0.1):
    return ((1 - momentum) * running_mean + momentum * x.mean(axis=0),
            (1 - momentum) * running_var + momentum * x.var(axis=0))


def batchnorm_running_stats__momentum_swapped(running_mean, running_var, x, momentum=0.1):
    mean, var = _batch_stats(x)
    return (momentum * running_mean + (1 - momentum) * mean,
            momentum * running_var + (1 - momentum) * var)


def batchnorm_running_stats__std_instead_of_var(running_mean, running_var, x, momentum=0.1):
    mean, var = _batch_stats(x)
    return ((1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * np.sqrt(var))


def batchnorm_running_stats__returned_batch_stats(running_mean, running_var, x, momentum=0.1):
    return _batch_stats(x)


# batchnorm_inference

def batchnorm_inference__used_batch_statistics(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * _normalise(x, 0, eps) + beta


def batchnorm_inference__eps_outside_sqrt(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (x - running_mean) / (np.sqrt(running_var) + eps) + beta


def batchnorm_inference__forgot_gamma_beta(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return (x - running_mean) / np.sqrt(running_var + eps)


def batchnorm_inference__var_as_std(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (x - running_mean) / (running_var + eps) + beta


# layernorm_forward

def layernorm_forward__normalised_over_batch(x, gamma, beta, eps=1e-5):
    return gamma * _normalise(x, 0, eps) + beta


def layernorm_forward__axis_1_not_last(x, gamma, beta, eps=1e-5):
    return gamma * _normalise(x, 1, eps) + beta


def layernorm_forward__unbiased_variance(x, gamma, beta, eps=1e-5):
    return gamma * _normalise(x, -1, eps, ddof=1) + beta


def layernorm_forward__eps_outside_sqrt(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / (x.std(axis=-1, keepdims=True) + eps) + beta


def layernorm_forward__forgot_gamma_beta(x, gamma, beta, eps=1e-5):
    return _normalise(x, -1, eps)


# layernorm_backward

def layernorm_backward__params_summed_over_first_axis_only(dout, x, gamma, eps=1e-5):
    dx, xhat = _norm_backward(dout, x, gamma, eps, -1)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def _ln_param_grads(dout, xhat):
    lead = tuple(range(dout.ndim - 1))
    return (dout * xhat).sum(axis=lead), dout.sum(axis=lead)


def layernorm_backward__no_mean_terms(dout, x, gamma, eps=1e-5):
    _, xhat = _norm_backward(dout, x, gamma, eps, -1)
    dx = dout * gamma / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    return (dx, *_ln_param_grads(dout, xhat))


def layernorm_backward__missing_variance_term(dout, x, gamma, eps=1e-5):
    _, xhat = _norm_backward(dout, x, gamma, eps, -1)
    g = dout * gamma
    dx = (g - g.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    return (dx, *_ln_param_grads(dout, xhat))


def layernorm_backward__normalised_over_batch(dout, x, gamma, eps=1e-5):
    dx, xhat = _norm_backward(dout, x, gamma, eps, 0)
    return (dx, *_ln_param_grads(dout, xhat))


def layernorm_backward__dgamma_without_xhat(dout, x, gamma, eps=1e-5):
    dx, xhat = _norm_backward(dout, x, gamma, eps, -1)
    _, dbeta = _ln_param_grads(dout, xhat)
    return dx, dbeta.copy(), dbeta


def layernorm_backward__unbiased_variance(dout, x, gamma, eps=1e-5):
    dx, xhat = _norm_backward(dout, x, gamma, eps, -1, ddof=1)
    return (dx, *_ln_param_grads(dout, xhat))


def layernorm_backward__dx_missing_gamma(dout, x, gamma, eps=1e-5):
    dx, xhat = _norm_backward(dout, x, np.ones_like(gamma), eps, -1)
    return (dx, *_ln_param_grads(dout, xhat))
