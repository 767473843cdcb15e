"""Model answers for ``batchnorm``: batch normalisation and layer normalisation in NumPy."""

from __future__ import annotations

import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch norm: normalise each column with the batch's biased statistics."""
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta


def batchnorm_backward(dout, x, gamma, eps=1e-5):
    """Gradients of ``sum(dout * batchnorm_forward(x, gamma, beta, eps))``."""
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    dgamma = (dout * x_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0))
    return dx, dgamma, dbeta


def batchnorm_running_stats(running_mean, running_var, x, momentum=0.1):
    """PyTorch's update: blend in the batch mean and the unbiased batch variance."""
    new_mean = (1 - momentum) * running_mean + momentum * x.mean(axis=0)
    new_var = (1 - momentum) * running_var + momentum * x.var(axis=0, ddof=1)
    return new_mean, new_var


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Inference-mode batch norm: normalise with the running statistics."""
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Normalise every vector along the last axis with its own biased statistics."""
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def layernorm_backward(dout, x, gamma, eps=1e-5):
    """Gradients of ``sum(dout * layernorm_forward(x, gamma, beta, eps))``."""
    inv_std = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=-1, keepdims=True)) * inv_std
    leading = tuple(range(x.ndim - 1))
    dgamma = (dout * x_hat).sum(axis=leading)
    dbeta = dout.sum(axis=leading)
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - dx_hat.mean(axis=-1, keepdims=True)
                    - x_hat * (dx_hat * x_hat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
