"""Oracles for ``rnn``: ``torch.nn.RNNCell``, ``torch.nn.RNN`` and ``torch.nn.LSTMCell`` in
float64, with autograd through ``torch.nn.RNN`` for backpropagation through time (the loss is
``sum(dh * hidden states)``, so the gradients are vector-Jacobian products with ``dh``).

The contract applies weights as ``x @ Wx``; PyTorch stores ``weight_ih`` as ``(H, D)`` (or
``(4H, D)``) and computes ``x @ weight_ih.T``, so ``weight_ih = Wx.T`` and ``weight_hh = Wh.T``.
PyTorch adds two biases; the contract's single ``b`` is ``bias_ih`` with ``bias_hh = 0``.
The LSTM's four gate blocks are in PyTorch's order: input, forget, cell (g), output.

The layers are built once per size on PyTorch's ``meta`` device (shapes only: no values and
no draws from torch's random generator) and called through ``torch.func.functional_call`` with
the contract's weights as their parameters.

Below the oracles, the catalogued mistakes: wrong implementations students really write,
named ``<function>__<mistake>`` and written in plain NumPy.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from reference._torch import array, lazy, tensor, torch

functional_call = lazy("torch.func", "functional_call")


def _params(Wx, Wh, b, suffix=""):
    """PyTorch's parameters for the contract's ``Wx``, ``Wh``, ``b`` (tensors or arrays)."""
    Wx, Wh, b = (v if isinstance(v, torch.Tensor) else tensor(v) for v in (Wx, Wh, b))
    return {f"weight_ih{suffix}": Wx.T, f"weight_hh{suffix}": Wh.T, f"bias_ih{suffix}": b,
            f"bias_hh{suffix}": torch.zeros_like(b)}


@lru_cache(maxsize=None)
def _layer(kind, D, H):
    """A parameter-free template of ``torch.nn.<kind>`` for D inputs and H hidden units."""
    if kind == "LSTMCell":
        return torch.nn.LSTMCell(D, H, device="meta")
    options = {"batch_first": True} if kind == "RNN" else {}
    return getattr(torch.nn, kind)(D, H, nonlinearity="tanh", device="meta", **options)


def rnn_step(x, h_prev, Wx, Wh, b):
    cell = _layer("RNNCell", *np.shape(Wx))
    return array(functional_call(cell, _params(Wx, Wh, b), (tensor(x), tensor(h_prev))))


def _rnn_states(x, h0, Wx, Wh, b):
    """All hidden states ``(N, T, H)`` from ``torch.nn.RNN`` (tensors in, tensor out)."""
    rnn = _layer("RNN", *Wx.shape)
    states, _ = functional_call(rnn, _params(Wx, Wh, b, "_l0"), (x, h0.unsqueeze(0)))
    return states


def rnn_forward(x, h0, Wx, Wh, b):
    return array(_rnn_states(tensor(x), tensor(h0), tensor(Wx), tensor(Wh), tensor(b)))


def rnn_backward(dh, x, h0, Wx, Wh, b):
    leaves = [tensor(v, requires_grad=True) for v in (x, h0, Wx, Wh, b)]
    (_rnn_states(*leaves) * tensor(dh)).sum().backward()
    return tuple(array(v.grad) for v in leaves)


def lstm_step(x, h_prev, c_prev, Wx, Wh, b):
    D, four_h = np.shape(Wx)
    cell = _layer("LSTMCell", D, four_h // 4)
    h, c = functional_call(cell, _params(Wx, Wh, b), (tensor(x), (tensor(h_prev), tensor(c_prev))))
    return array(h), array(c)


# Mistakes -----------------------------------------------------------------------------------
# Shared NumPy pieces (correct unless a mistake says otherwise).

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _step(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh + b)


def _states(x, h0, Wx, Wh, b):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, Wx, Wh, b)
        states.append(h)
    return np.stack(states, axis=1)


# rnn_step

def rnn_step__tanh_missing(x, h_prev, Wx, Wh, b):
    return x @ Wx + h_prev @ Wh + b


def rnn_step__sigmoid_instead_of_tanh(x, h_prev, Wx, Wh, b):
    return _sigmoid(x @ Wx + h_prev @ Wh + b)


def rnn_step__forgot_bias(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh)


def rnn_step__ignored_h_prev(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + b)


def rnn_step__hidden_weights_transposed(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + h_prev @ Wh.T + b)


# rnn_forward

def rnn_forward__last_state_only(x, h0, Wx, Wh, b):
    return _states(x, h0, Wx, Wh, b)[:, -1]


def rnn_forward__h0_every_step(x, h0, Wx, Wh, b):
    return np.stack([_step(x[:, t], h0, Wx, Wh, b) for t in range(x.shape[1])], axis=1)


def rnn_forward__states_shifted(x, h0, Wx, Wh, b):
    # h0, h1, ..., h_{T-1} instead of h1, ..., hT
    return np.concatenate([h0[:, None], _states(x, h0, Wx, Wh, b)[:, :-1]], axis=1)


def rnn_forward__time_reversed(x, h0, Wx, Wh, b):
    return _states(x[:, ::-1], h0, Wx, Wh, b)[:, ::-1]


def rnn_forward__time_major_reshaped(x, h0, Wx, Wh, b):
    # the states collected time-major, (T, N, H), then reshaped (not transposed) to (N, T, H)
    N, T = x.shape[:2]
    return _states(x, h0, Wx, Wh, b).transpose(1, 0, 2).reshape(N, T, -1)


# rnn_backward

def _bptt(dh, x, h0, Wx, Wh, b, local=lambda h, a: 1.0 - h ** 2, carry=True, dWh_from_current=False):
    """Backpropagation through time; ``local(h, a)`` is the derivative of the nonlinearity from
    the state ``h`` and the pre-activation ``a``."""
    states = _states(x, h0, Wx, Wh, b)
    prev = np.concatenate([h0[:, None], states[:, :-1]], axis=1)
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dnext = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        a = x[:, t] @ Wx + prev[:, t] @ Wh + b
        dz = (dh[:, t] + dnext) * local(states[:, t], a)
        dx[:, t] = dz @ Wx.T
        dWx += x[:, t].T @ dz
        dWh += (states[:, t] if dWh_from_current else prev[:, t]).T @ dz
        db += dz.sum(axis=0)
        dprev = dz @ Wh.T
        dnext = dprev if carry else np.zeros_like(dprev)
    return dx, dprev, dWx, dWh, db


def rnn_backward__no_tanh_derivative(dh, x, h0, Wx, Wh, b):
    return _bptt(dh, x, h0, Wx, Wh, b, local=lambda h, a: np.ones_like(h))


def rnn_backward__tanh_derivative_of_preactivation(dh, x, h0, Wx, Wh, b):
    return _bptt(dh, x, h0, Wx, Wh, b, local=lambda h, a: 1.0 - a ** 2)


def rnn_backward__no_carried_gradient(dh, x, h0, Wx, Wh, b):
    return _bptt(dh, x, h0, Wx, Wh, b, carry=False)


def rnn_backward__dWh_uses_current_state(dh, x, h0, Wx, Wh, b):
    return _bptt(dh, x, h0, Wx, Wh, b, dWh_from_current=True)


def rnn_backward__db_kept_dims(dh, x, h0, Wx, Wh, b):
    dx, dh0, dWx, dWh, db = _bptt(dh, x, h0, Wx, Wh, b)
    return dx, dh0, dWx, dWh, db[None, :]


def rnn_backward__dh0_missing(dh, x, h0, Wx, Wh, b):
    dx, _, dWx, dWh, db = _bptt(dh, x, h0, Wx, Wh, b)
    return dx, np.zeros_like(h0), dWx, dWh, db


def rnn_backward__dWx_transposed(dh, x, h0, Wx, Wh, b):
    dx, dh0, dWx, dWh, db = _bptt(dh, x, h0, Wx, Wh, b)
    return dx, dh0, dWx.T.copy(), dWh, db


# lstm_step

def _blocks(x, h_prev, Wx, Wh, b):
    """The four (N, H) blocks of the pre-activations, in column order."""
    return np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)


def lstm_step__gates_ifog(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ao, ag = _blocks(x, h_prev, Wx, Wh, b)
    c = _sigmoid(af) * c_prev + _sigmoid(ai) * np.tanh(ag)
    return _sigmoid(ao) * np.tanh(c), c


def lstm_step__sigmoid_for_g(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = _sigmoid(af) * c_prev + _sigmoid(ai) * _sigmoid(ag)
    return _sigmoid(ao) * np.tanh(c), c


def lstm_step__tanh_for_gates(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = np.tanh(af) * c_prev + np.tanh(ai) * np.tanh(ag)
    return np.tanh(ao) * np.tanh(c), c


def lstm_step__forget_applied_to_g(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = _sigmoid(ai) * c_prev + _sigmoid(af) * np.tanh(ag)
    return _sigmoid(ao) * np.tanh(c), c


def lstm_step__h_without_tanh(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = _sigmoid(af) * c_prev + _sigmoid(ai) * np.tanh(ag)
    return _sigmoid(ao) * c, c


def lstm_step__h_from_previous_cell(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = _sigmoid(af) * c_prev + _sigmoid(ai) * np.tanh(ag)
    return _sigmoid(ao) * np.tanh(c_prev), c


def lstm_step__returned_c_then_h(x, h_prev, c_prev, Wx, Wh, b):
    ai, af, ag, ao = _blocks(x, h_prev, Wx, Wh, b)
    c = _sigmoid(af) * c_prev + _sigmoid(ai) * np.tanh(ag)
    return c, _sigmoid(ao) * np.tanh(c)
