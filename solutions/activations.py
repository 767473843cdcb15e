"""Model answers for ``activations``: stable elementwise activations, their input derivatives,
and softmax / log-softmax along any axis, in NumPy."""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    """1 / (1 + exp(-x)) from e = exp(-|x|), which never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(x):
    """s * (1 - s) with s = sigmoid(x)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    """NumPy's tanh is accurate and finite everywhere."""
    return np.tanh(x)


def tanh_grad(x):
    """1 - tanh(x)**2."""
    return 1.0 - np.tanh(x) ** 2


def relu(x):
    """max(x, 0) elementwise, in a new array."""
    return np.maximum(x, 0.0)


def relu_grad(x):
    """1 where x > 0, 0 elsewhere (0 at exactly 0)."""
    return (x > 0).astype(np.float64)


def leaky_relu(x, alpha=0.01):
    """x where x > 0, alpha * x elsewhere."""
    return np.where(x > 0, x, alpha * x)


def leaky_relu_grad(x, alpha=0.01):
    """1 where x > 0, alpha elsewhere (alpha at exactly 0)."""
    return np.where(x > 0, 1.0, alpha)


def softmax(x, axis=-1):
    """exp(x - m) / sum(exp(x - m)) along ``axis``, m the maximum of each slice."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """(x - m) - log(sum(exp(x - m))) along ``axis``, m the maximum of each slice."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
