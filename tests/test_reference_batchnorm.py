"""The ``batchnorm`` oracles agree with independent computations: hand-worked examples, plain
NumPy closed forms written here, and central finite differences of those closed forms (NumPy
only, so the gradient tests do not lean on PyTorch at all)."""

from __future__ import annotations

import numpy as np
import pytest

from reference import batchnorm as ref
from tests.support import numeric_grad


def _data(seed, shape):
    gen = np.random.default_rng(seed)
    x = gen.uniform(-2, 2, size=shape[-1]) + gen.uniform(1, 3, size=shape[-1]) * gen.standard_normal(shape)
    d = shape[-1]
    return gen, x, gen.uniform(0.5, 2, size=d), gen.uniform(-1, 1, size=d)




def _bn(x, gamma, beta, eps):
    mu = x.mean(axis=0)
    return gamma * (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=0) + eps) + beta


def _ln(x, gamma, beta, eps):
    mu = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps) + beta


def _assert_array(value, shape):
    assert isinstance(value, np.ndarray) and value.dtype == np.float64 and value.shape == shape


# batchnorm_forward ---------------------------------------------------------------------------

def test_batchnorm_forward_hand_worked():
    # column 0: mean 2, biased var 1; column 1: mean 4, biased var 4 -> x_hat = [-1, 1] each
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    gamma, beta = np.array([2.0, -1.0]), np.array([0.5, 3.0])
    out = ref.batchnorm_forward(x, gamma, beta, eps=1e-14)  # torch refuses eps=0 in training
    np.testing.assert_allclose(out, [[-1.5, 4.0], [2.5, 2.0]], rtol=0, atol=1e-12)
    # with eps the denominators are sqrt(1 + eps) and sqrt(4 + eps)
    out = ref.batchnorm_forward(x, gamma, beta, eps=0.5)
    np.testing.assert_allclose(out[1], [0.5 + 2 / np.sqrt(1.5), 3.0 - 2 / np.sqrt(4.5)], rtol=1e-14)


@pytest.mark.parametrize("seed,shape,eps", [(0, (5, 3), 1e-5), (1, (3, 7), 0.8), (2, (8, 2), 1e-3)])
def test_batchnorm_forward_closed_form(seed, shape, eps):
    _, x, gamma, beta = _data(seed, shape)
    out = ref.batchnorm_forward(x, gamma, beta, eps=eps)
    mu = x.sum(axis=0) / x.shape[0]
    var = ((x - mu) ** 2).sum(axis=0) / x.shape[0]
    _assert_array(out, shape)
    np.testing.assert_allclose(out, gamma * (x - mu) / np.sqrt(var + eps) + beta, rtol=1e-12, atol=1e-13)


# batchnorm_backward --------------------------------------------------------------------------

@pytest.mark.parametrize("seed,shape,eps", [(3, (4, 3), 1e-5), (4, (3, 5), 1.0)])
def test_batchnorm_backward_finite_differences(seed, shape, eps):
    gen, x, gamma, beta = _data(seed, shape)
    dout = gen.uniform(-1, 1, size=shape)
    dx, dgamma, dbeta = ref.batchnorm_backward(dout, x, gamma, eps=eps)
    loss = lambda: float(np.sum(dout * _bn(x, gamma, beta, eps)))
    _assert_array(dx, shape)
    _assert_array(dgamma, (shape[1],))
    _assert_array(dbeta, (shape[1],))
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dgamma, numeric_grad(loss, gamma), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dbeta, numeric_grad(loss, beta), rtol=1e-6, atol=1e-8)


def test_batchnorm_backward_properties():
    # each column of dx sums to zero (shifting a column leaves the output unchanged); with
    # dout = x_hat, dbeta = sum(x_hat) = 0 and dgamma = sum(x_hat**2) = N (eps ~ 0)
    gen, x, gamma, _ = _data(5, (6, 4))
    dout = gen.uniform(-1, 1, size=x.shape)
    dx, _, _ = ref.batchnorm_backward(dout, x, gamma)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0))
    _, dgamma, dbeta = ref.batchnorm_backward(x_hat, x, gamma, eps=1e-14)
    np.testing.assert_allclose(dgamma, 6.0, rtol=1e-10)
    np.testing.assert_allclose(dbeta, 0.0, atol=1e-12)


# batchnorm_running_stats ---------------------------------------------------------------------

def test_running_stats_hand_worked():
    # batch mean 2, unbiased var 2: 0.9*0 + 0.1*2 = 0.2 and 0.9*1 + 0.1*2 = 1.1
    x = np.array([[1.0], [3.0]])
    running_mean, running_var = np.array([0.0]), np.array([1.0])
    mean, var = ref.batchnorm_running_stats(running_mean, running_var, x)
    np.testing.assert_allclose(mean, [0.2], rtol=1e-14)
    np.testing.assert_allclose(var, [1.1], rtol=1e-14)
    assert running_mean[0] == 0.0 and running_var[0] == 1.0  # inputs untouched


@pytest.mark.parametrize("seed,shape,momentum", [(6, (5, 3), 0.1), (7, (2, 4), 0.7), (8, (7, 2), 0.01)])
def test_running_stats_closed_form(seed, shape, momentum):
    gen, x, _, _ = _data(seed, shape)
    rm, rv = gen.uniform(-1, 1, size=shape[1]), gen.uniform(0.5, 2, size=shape[1])
    mean, var = ref.batchnorm_running_stats(rm.copy(), rv.copy(), x, momentum=momentum)
    n = shape[0]
    batch_var = ((x - x.mean(0)) ** 2).sum(0) / (n - 1)
    _assert_array(mean, (shape[1],))
    _assert_array(var, (shape[1],))
    np.testing.assert_allclose(mean, (1 - momentum) * rm + momentum * x.mean(0), rtol=1e-13)
    np.testing.assert_allclose(var, (1 - momentum) * rv + momentum * batch_var, rtol=1e-13)


# batchnorm_inference -------------------------------------------------------------------------

def test_inference_hand_worked_and_closed_form():
    x = np.array([[3.0, 0.0]])
    out = ref.batchnorm_inference(x, np.array([2.0, 1.0]), np.array([1.0, 0.0]),
                                  np.array([1.0, 2.0]), np.array([4.0, 1.0]), eps=0.0)
    np.testing.assert_allclose(out, [[3.0, -2.0]], atol=1e-14)  # 2*(3-1)/2+1, (0-2)/1
    gen, x, gamma, beta = _data(9, (5, 4))
    rm, rv = gen.uniform(-1, 1, size=4), gen.uniform(0.5, 3, size=4)
    for eps in (1e-5, 1.5):
        out = ref.batchnorm_inference(x, gamma, beta, rm, rv, eps=eps)
        _assert_array(out, (5, 4))
        np.testing.assert_allclose(out, gamma * (x - rm) / np.sqrt(rv + eps) + beta, rtol=1e-12, atol=1e-13)


# layernorm_forward ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed,shape,eps", [(10, (4, 5), 1e-5), (11, (3, 4, 6), 1e-5), (12, (2, 5, 3), 2.0)])
def test_layernorm_forward_closed_form(seed, shape, eps):
    _, x, gamma, beta = _data(seed, shape)
    out = ref.layernorm_forward(x, gamma, beta, eps=eps)
    _assert_array(out, shape)
    expected = np.empty_like(x)
    for idx in np.ndindex(shape[:-1]):  # one vector at a time, no broadcasting tricks
        v = x[idx]
        mu = sum(v) / len(v)
        var = sum((vi - mu) ** 2 for vi in v) / len(v)
        expected[idx] = gamma * (v - mu) / np.sqrt(var + eps) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-13)


def test_layernorm_forward_hand_worked():
    # the row [1, 3] has mean 2 and biased var 1 -> x_hat = [-1, 1]
    out = ref.layernorm_forward(np.array([[1.0, 3.0]]), np.array([3.0, 0.5]), np.array([0.0, 1.0]), eps=0.0)
    np.testing.assert_allclose(out, [[-3.0, 1.5]], atol=1e-14)


# layernorm_backward --------------------------------------------------------------------------

@pytest.mark.parametrize("seed,shape,eps", [(13, (3, 4), 1e-5), (14, (2, 3, 5), 1e-5), (15, (3, 2, 4), 1.2)])
def test_layernorm_backward_finite_differences(seed, shape, eps):
    gen, x, gamma, beta = _data(seed, shape)
    dout = gen.uniform(-1, 1, size=shape)
    dx, dgamma, dbeta = ref.layernorm_backward(dout, x, gamma, eps=eps)
    loss = lambda: float(np.sum(dout * _ln(x, gamma, beta, eps)))
    _assert_array(dx, shape)
    _assert_array(dgamma, (shape[-1],))
    _assert_array(dbeta, (shape[-1],))
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dgamma, numeric_grad(loss, gamma), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dbeta, numeric_grad(loss, beta), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dbeta, dout.reshape(-1, shape[-1]).sum(0), rtol=1e-13)
