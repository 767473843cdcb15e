"""Oracles for ``activations``: ``torch.sigmoid``, ``torch.tanh``, ``torch.relu``,
``F.leaky_relu``, ``torch.softmax`` and ``torch.log_softmax`` in float64; every ``*_grad`` is the
derivative with respect to the input, taken by autograd (the elementwise functions are summed, so
the gradient of each element is its own derivative).  At exactly 0 PyTorch's ReLU backward gives
0 and its leaky ReLU backward gives ``negative_slope``, the conventions of the contract.

Below the oracles, the catalogued mistakes: wrong implementations students really write, named
``<function>__<mistake>`` and written in plain NumPy.  Those that overflow do so on purpose;
their warnings are silenced so the project's tests stay readable.
"""

from __future__ import annotations

import numpy as np

from reference._torch import F, array, tensor, torch


def _input_grad(fn, x):
    """d fn(x)_i / d x_i for an elementwise ``fn``, by autograd."""
    xt = tensor(x, requires_grad=True)
    fn(xt).sum().backward()
    return array(xt.grad)


def sigmoid(x):
    return array(torch.sigmoid(tensor(x)))


def sigmoid_grad(x):
    return _input_grad(torch.sigmoid, x)


def tanh(x):
    return array(torch.tanh(tensor(x)))


def tanh_grad(x):
    return _input_grad(torch.tanh, x)


def relu(x):
    return array(torch.relu(tensor(x)))


def relu_grad(x):
    return _input_grad(torch.relu, x)


def leaky_relu(x, alpha=0.01):
    return array(F.leaky_relu(tensor(x), negative_slope=alpha))


def leaky_relu_grad(x, alpha=0.01):
    return _input_grad(lambda t: F.leaky_relu(t, negative_slope=alpha), x)


def softmax(x, axis=-1):
    return array(torch.softmax(tensor(x), dim=axis))


def log_softmax(x, axis=-1):
    return array(torch.log_softmax(tensor(x), dim=axis))


# Mistakes -----------------------------------------------------------------------------------
# Correct NumPy pieces the mistakes build on.

def _stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _exp_tanh(x):
    """The textbook formula, which gives inf/inf = NaN once exp overflows (|x| > ~709.78)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


def _stable_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _stable_log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# sigmoid

def sigmoid__flipped_sign(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(x))


def sigmoid__exp_ratio_overflows(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(x) / (1.0 + np.exp(x))


def sigmoid__abs_trick_without_branch(x):
    e = np.exp(-np.abs(x))
    return e / (1.0 + e)


def sigmoid__minus_in_denominator(x):
    with np.errstate(over="ignore", divide="ignore"):
        return 1.0 / (1.0 - np.exp(-x))


# sigmoid_grad

def sigmoid_grad__in_terms_of_output(x):
    return x * (1.0 - x)


def sigmoid_grad__exp_formula_overflows(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(-x) / (1.0 + np.exp(-x)) ** 2


def sigmoid_grad__one_minus_square(x):
    return 1.0 - _stable_sigmoid(x) ** 2


def sigmoid_grad__returned_sigmoid(x):
    return _stable_sigmoid(x)


# tanh

def tanh__exp_formula_overflows(x):
    return _exp_tanh(x)


def tanh__exp_minus_2x_overflows(x):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-2.0 * x)
        return (1.0 - e) / (1.0 + e)


def tanh__sigmoid_identity_without_2x(x):
    return 2.0 * _stable_sigmoid(x) - 1.0


def tanh__returned_sigmoid(x):
    return _stable_sigmoid(x)


# tanh_grad

def tanh_grad__in_terms_of_output(x):
    return 1.0 - x ** 2


def tanh_grad__forgot_square(x):
    return 1.0 - np.tanh(x)


def tanh_grad__sigmoid_style(x):
    t = np.tanh(x)
    return t * (1.0 - t)


def tanh_grad__exp_formula_overflows(x):
    return 1.0 - _exp_tanh(x) ** 2


# relu

def relu__min_instead_of_max(x):
    return np.minimum(x, 0.0)


def relu__np_max_instead_of_maximum(x):
    return np.max(x, 0)


def relu__returned_mask(x):
    return (x > 0).astype(np.float64)


def relu__in_place(x):
    x[x < 0] = 0.0
    return x


# relu_grad

def relu_grad__one_at_zero(x):
    return (x >= 0).astype(np.float64)


def relu_grad__half_at_zero(x):
    return np.heaviside(x, 0.5)


def relu_grad__returned_relu(x):
    return np.maximum(x, 0.0)


def relu_grad__sign(x):
    return np.sign(x)


# leaky_relu

def leaky_relu__alpha_on_positives(x, alpha=0.01):
    return np.where(x > 0, alpha * x, x)


def leaky_relu__hard_coded_alpha(x, alpha=0.01):
    return np.where(x > 0, x, 0.01 * x)


def leaky_relu__ignored_alpha(x, alpha=0.01):
    return np.maximum(x, 0.0)


def leaky_relu__maximum_with_alpha(x, alpha=0.01):
    return np.maximum(alpha, x)


def leaky_relu__alpha_constant_for_negatives(x, alpha=0.01):
    return np.where(x > 0, x, alpha)


# leaky_relu_grad

def leaky_relu_grad__one_at_zero(x, alpha=0.01):
    return np.where(x >= 0, 1.0, alpha)


def leaky_relu_grad__zero_at_zero(x, alpha=0.01):
    return np.where(x > 0, 1.0, np.where(x < 0, alpha, 0.0))


def leaky_relu_grad__ignored_alpha(x, alpha=0.01):
    return (x > 0).astype(np.float64)


def leaky_relu_grad__alpha_on_positives(x, alpha=0.01):
    return np.where(x > 0, alpha, 1.0)


def leaky_relu_grad__hard_coded_alpha(x, alpha=0.01):
    return np.where(x > 0, 1.0, 0.01)


def leaky_relu_grad__returned_leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x)


# softmax

def softmax__no_max_subtraction(x, axis=-1):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)


def softmax__global_max_subtracted(x, axis=-1):
    with np.errstate(invalid="ignore"):
        e = np.exp(x - x.max())
        return e / e.sum(axis=axis, keepdims=True)


def softmax__ignored_axis(x, axis=-1):
    return _stable_softmax(x, -1)


def softmax__normalised_over_axis_0(x, axis=-1):
    return _stable_softmax(x, 0)


def softmax__over_all_elements(x, axis=-1):
    e = np.exp(x - x.max())
    return e / e.sum()


# log_softmax

def log_softmax__log_of_softmax(x, axis=-1):
    with np.errstate(divide="ignore"):
        return np.log(_stable_softmax(x, axis))


def log_softmax__no_max_subtraction(x, axis=-1):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


def log_softmax__forgot_max_in_logsumexp(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def log_softmax__forgot_log_sum(x, axis=-1):
    return x - x.max(axis=axis, keepdims=True)


def log_softmax__ignored_axis(x, axis=-1):
    return _stable_log_softmax(x, -1)


def log_softmax__over_all_elements(x, axis=-1):
    shifted = x - x.max()
    return shifted - np.log(np.exp(shifted).sum())
