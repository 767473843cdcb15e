"""Model answers for ``rnn``: a vanilla RNN (step, sequence, backpropagation through time) and
one LSTM step, with weights applied as ``x @ Wx``."""

from __future__ import annotations

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def rnn_step(x, h_prev, Wx, Wh, b):
    """One step of a vanilla RNN: tanh(x @ Wx + h_prev @ Wh + b)."""
    return np.tanh(x @ Wx + h_prev @ Wh + b)


def rnn_forward(x, h0, Wx, Wh, b):
    """Every hidden state of the sequence ``x (N, T, D)``, stacked as ``(N, T, H)``."""
    N, T, _ = x.shape
    states = np.empty((N, T, h0.shape[1]))
    h = h0
    for t in range(T):
        h = rnn_step(x[:, t], h, Wx, Wh, b)
        states[:, t] = h
    return states


def rnn_backward(dh, x, h0, Wx, Wh, b):
    """Backpropagation through time for the loss ``sum(dh * rnn_forward(x, h0, Wx, Wh, b))``."""
    states = rnn_forward(x, h0, Wx, Wh, b)
    T = x.shape[1]
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dnext = np.zeros_like(h0)                        # gradient arriving from step t + 1
    for t in reversed(range(T)):
        h_prev = states[:, t - 1] if t > 0 else h0
        dz = (dh[:, t] + dnext) * (1.0 - states[:, t] ** 2)   # through the tanh
        dx[:, t] = dz @ Wx.T
        dWx += x[:, t].T @ dz
        dWh += h_prev.T @ dz
        db += dz.sum(axis=0)
        dnext = dz @ Wh.T
    return dx, dnext, dWx, dWh, db


def lstm_step(x, h_prev, c_prev, Wx, Wh, b):
    """One LSTM step with gate blocks in PyTorch's order: input, forget, cell (g), output."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i = _sigmoid(a[:, :H])
    f = _sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = _sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c
