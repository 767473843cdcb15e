"""The ``rnn`` oracles agree with independent computations: hand-worked examples that pin the
weight layout and the LSTM's gate order, plain NumPy loops written here from the formulas, and
central finite differences of those loops (NumPy only, so the gradient tests do not lean on
PyTorch at all)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference import rnn as ref
from tests.support import numeric_grad


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _loop_states(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    out = np.empty((N, T, h0.shape[1]))
    h = h0
    for t in range(T):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        out[:, t] = h
    return out


def _params(gen, D, H, G):
    return gen.uniform(-1, 1, (D, G)), gen.uniform(-1, 1, (H, G)), gen.uniform(-1, 1, G)


def _assert_array(value, shape):
    assert isinstance(value, np.ndarray) and value.dtype == np.float64 and value.shape == shape


# rnn_step ------------------------------------------------------------------------------------

def test_rnn_step_hand_worked():
    # D = 2, H = 1: x @ Wx = 0.5*1 + 1*(-0.5) = 0, h @ Wh = 0.5*2 = 1, b = -0.5 -> tanh(0.5)
    out = ref.rnn_step(np.array([[0.5, 1.0]]), np.array([[0.5]]), np.array([[1.0], [-0.5]]),
                       np.array([[2.0]]), np.array([-0.5]))
    np.testing.assert_allclose(out, [[math.tanh(0.5)]], rtol=1e-14)
    # the layout: Wx (D, H) maps input j to unit k through Wx[j, k], not Wx[k, j]
    Wx = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])   # input 0 drives unit 1 only
    out = ref.rnn_step(np.array([[0.7, -0.2]]), np.zeros((1, 3)), Wx, np.zeros((3, 3)), np.zeros(3))
    np.testing.assert_allclose(out, [[0.0, math.tanh(0.7), 0.0]], atol=1e-15)
    Wh = np.zeros((3, 3))
    Wh[2, 0] = 1.0                                        # unit 2 of h_prev drives unit 0 only
    out = ref.rnn_step(np.zeros((1, 2)), np.array([[0.0, 0.0, 0.4]]), np.zeros((2, 3)), Wh, np.zeros(3))
    np.testing.assert_allclose(out, [[math.tanh(0.4), 0.0, 0.0]], atol=1e-15)


@pytest.mark.parametrize("N,D,H", [(3, 4, 5), (2, 6, 3), (5, 2, 4)])
def test_rnn_step_closed_form(N, D, H):
    gen = np.random.default_rng(N * 100 + D * 10 + H)
    x, h = gen.uniform(-1, 1, (N, D)), gen.uniform(-1, 1, (N, H))
    Wx, Wh, b = _params(gen, D, H, H)
    out = ref.rnn_step(x, h, Wx, Wh, b)
    _assert_array(out, (N, H))
    np.testing.assert_allclose(out, np.tanh(x @ Wx + h @ Wh + b), rtol=1e-13, atol=1e-15)


# rnn_forward ---------------------------------------------------------------------------------

@pytest.mark.parametrize("N,T,D,H", [(3, 2, 4, 5), (2, 4, 3, 6), (4, 3, 5, 2)])
def test_rnn_forward_closed_form(N, T, D, H):
    gen = np.random.default_rng(N + T + D + H)
    x, h0 = gen.uniform(-1, 1, (N, T, D)), gen.uniform(-1, 1, (N, H))
    Wx, Wh, b = _params(gen, D, H, H)
    out = ref.rnn_forward(x, h0, Wx, Wh, b)
    _assert_array(out, (N, T, H))
    np.testing.assert_allclose(out, _loop_states(x, h0, Wx, Wh, b), rtol=1e-13, atol=1e-15)
    # the first state is one step from h0, and each later one from the previous state
    np.testing.assert_allclose(out[:, 0], ref.rnn_step(x[:, 0], h0, Wx, Wh, b), rtol=1e-13)
    np.testing.assert_allclose(out[:, 1], ref.rnn_step(x[:, 1], out[:, 0], Wx, Wh, b), rtol=1e-13)


def test_rnn_forward_hand_worked():
    # H = D = 1, Wx = 1, Wh = 1, b = 0: h1 = tanh(0.5 + 0.2), h2 = tanh(-0.3 + h1)
    out = ref.rnn_forward(np.array([[[0.5], [-0.3]]]), np.array([[0.2]]), np.array([[1.0]]),
                          np.array([[1.0]]), np.array([0.0]))
    h1 = math.tanh(0.7)
    np.testing.assert_allclose(out, [[[h1], [math.tanh(-0.3 + h1)]]], rtol=1e-14)


# rnn_backward --------------------------------------------------------------------------------

@pytest.mark.parametrize("N,T,D,H", [(2, 3, 4, 5), (3, 2, 5, 4), (2, 4, 3, 2)])
def test_rnn_backward_finite_differences(N, T, D, H):
    gen = np.random.default_rng(10 * N + T + D + H)
    x, h0 = gen.uniform(-1, 1, (N, T, D)), gen.uniform(-1, 1, (N, H))
    Wx, Wh, b = _params(gen, D, H, H)
    dh = gen.uniform(-1, 1, (N, T, H))
    grads = ref.rnn_backward(dh, x, h0, Wx, Wh, b)
    loss = lambda: float(np.sum(dh * _loop_states(x, h0, Wx, Wh, b)))
    assert isinstance(grads, tuple) and len(grads) == 5
    for grad, param in zip(grads, (x, h0, Wx, Wh, b)):
        _assert_array(grad, param.shape)
        np.testing.assert_allclose(grad, numeric_grad(loss, param), rtol=1e-6, atol=1e-8)


def test_rnn_backward_hand_worked_single_unit():
    # D = H = 1, T = 2, upstream gradient on the last state only:
    # dL/dh1 = (1 - h2^2) * Wh, so dx[0] = (1 - h1^2) * dL/dh1 * Wx and dh0 = (1 - h1^2) * dL/dh1 * Wh
    x, h0 = np.array([[[0.3], [-0.6]]]), np.array([[0.1]])
    Wx, Wh, b = np.array([[0.8]]), np.array([[-0.5]]), np.array([0.2])
    h1 = math.tanh(0.3 * 0.8 + 0.1 * -0.5 + 0.2)
    h2 = math.tanh(-0.6 * 0.8 + h1 * -0.5 + 0.2)
    dx, dh0, dWx, dWh, db = ref.rnn_backward(np.array([[[0.0], [1.0]]]), x, h0, Wx, Wh, b)
    dz2 = 1 - h2 ** 2
    dz1 = dz2 * -0.5 * (1 - h1 ** 2)
    np.testing.assert_allclose(dx, [[[dz1 * 0.8], [dz2 * 0.8]]], rtol=1e-13)
    np.testing.assert_allclose(dh0, [[dz1 * -0.5]], rtol=1e-13)
    np.testing.assert_allclose(dWx, [[0.3 * dz1 - 0.6 * dz2]], rtol=1e-13)
    np.testing.assert_allclose(dWh, [[0.1 * dz1 + h1 * dz2]], rtol=1e-13)
    np.testing.assert_allclose(db, [dz1 + dz2], rtol=1e-13)


# lstm_step -----------------------------------------------------------------------------------

def _lstm(x, h, c, Wx, Wh, b):
    H = h.shape[1]
    a = x @ Wx + h @ Wh + b
    i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def test_lstm_step_gate_order_hand_worked():
    # zero weights, so each gate is set by its bias block alone (sigmoid(+-40) is 1 or 0 to 1e-17)
    H = 2
    x, h_prev, c_prev = np.array([[0.3, -0.7, 0.1]]), np.array([[0.5, -0.5]]), np.array([[0.8, -1.5]])
    Wx, Wh = np.zeros((3, 4 * H)), np.zeros((H, 4 * H))
    g = math.atanh(0.5)
    # input open, forget open, candidate 0.5, output closed: c = c_prev + 0.5, h = 0
    b = np.repeat([40.0, 40.0, g, -40.0], H)
    h, c = ref.lstm_step(x, h_prev, c_prev, Wx, Wh, b)
    np.testing.assert_allclose(c, c_prev + 0.5, rtol=1e-14)
    np.testing.assert_allclose(h, 0.0, atol=1e-15)
    # input closed, forget open, output open: c = c_prev, h = tanh(c_prev)
    b = np.repeat([-40.0, 40.0, g, 40.0], H)
    h, c = ref.lstm_step(x, h_prev, c_prev, Wx, Wh, b)
    np.testing.assert_allclose(c, c_prev, rtol=1e-14)
    np.testing.assert_allclose(h, np.tanh(c_prev), rtol=1e-14)
    # input open, forget closed, output open: c = g = 0.5, h = tanh(0.5)
    b = np.repeat([40.0, -40.0, g, 40.0], H)
    h, c = ref.lstm_step(x, h_prev, c_prev, Wx, Wh, b)
    np.testing.assert_allclose(c, 0.5, rtol=1e-14)
    np.testing.assert_allclose(h, math.tanh(0.5), rtol=1e-14)


@pytest.mark.parametrize("N,D,H", [(3, 4, 5), (2, 5, 3), (4, 2, 6)])
def test_lstm_step_closed_form(N, D, H):
    gen = np.random.default_rng(7 * N + D + H)
    x, h, c = gen.uniform(-1, 1, (N, D)), gen.uniform(-1, 1, (N, H)), gen.uniform(-2, 2, (N, H))
    Wx, Wh, b = _params(gen, D, H, 4 * H)
    out = ref.lstm_step(x, h, c, Wx, Wh, b)
    assert isinstance(out, tuple) and len(out) == 2
    _assert_array(out[0], (N, H))
    _assert_array(out[1], (N, H))
    want = _lstm(x, h, c, Wx, Wh, b)
    np.testing.assert_allclose(out[0], want[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(out[1], want[1], rtol=1e-13, atol=1e-15)
