"""Recurrent networks: a vanilla RNN, backpropagation through time, and an LSTM step, in NumPy.

A recurrent network reads a sequence one element at a time and keeps a *hidden state* ``h``,
a vector that summarises what it has seen so far.  At every step the same weights combine the
new input with the previous state:

    h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)

Because the weights are shared across time, one small set of parameters handles sequences of
any length.  Training unrolls the loop into one long computation and backpropagates through
it, from the last step to the first ("backpropagation through time"): each state affects the
loss directly and through every later state, so the gradient of ``h_t`` collects both paths.

Multiplying by ``Wh`` and by tanh's derivative again and again makes long-range gradients
shrink (or blow up).  The LSTM fixes this with a separate *cell state* ``c`` that is updated
additively and controlled by three gates (numbers between 0 and 1 from a sigmoid): what to
forget from the old cell, what to write into it, and what to show as the output.

Conventions: float64 arrays, batch axis first; a sequence is ``(N, T, D)`` (batch, time,
features); weights are applied on the right (``x @ Wx``), so ``Wx`` is ``(D, H)`` -- the
transpose of PyTorch's ``weight_ih``; a single bias ``b`` per layer.  Never modify an input
array in place; gradients have their parameter's shape.  Only ``numpy``, ``math`` and the
standard library may be imported.
"""

import numpy as np


def rnn_step(x, h_prev, Wx, Wh, b):
    """One step of a vanilla (Elman) RNN.

        h_next = tanh(x @ Wx + h_prev @ Wh + b)

    Shapes: ``x (N, D)``, ``h_prev (N, H)``, ``Wx (D, H)``, ``Wh (H, H)``, ``b (H,)``.
    Returns: ``h_next``, an ``(N, H)`` array.
    Pitfall: the input goes through ``Wx`` and the state through ``Wh``; with D != H the
    swapped products cannot even be computed.  The nonlinearity is tanh, not a sigmoid.
    """
    raise NotImplementedError("rnn.rnn_step: return tanh(x @ Wx + h_prev @ Wh + b)")


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the RNN over a whole sequence.

    Starting from ``h0``, apply the step to ``x[:, 0]``, ``x[:, 1]``, ... in order, each time
    feeding the new state back in:

        h_1 = tanh(x[:, 0] @ Wx + h0 @ Wh + b)
        h_t = tanh(x[:, t-1] @ Wx + h_{t-1} @ Wh + b)        for t = 2 .. T

    Shapes: ``x (N, T, D)``, ``h0 (N, H)``, ``Wx (D, H)``, ``Wh (H, H)``, ``b (H,)``.
    Returns: every state after each input, ``(N, T, H)``: ``out[:, t]`` is the state after
    reading ``x[:, t]`` (h0 itself is not included), as ``torch.nn.RNN(batch_first=True)``.
    Pitfall: the time axis is axis 1, not axis 0; and return all T states, not just the last.
    """
    raise NotImplementedError("rnn.rnn_forward: step through time from h0 and stack every hidden state")


def rnn_backward(dh, x, h0, Wx, Wh, b):
    """Backpropagation through time for ``rnn_forward``.

    The loss is ``sum(dh * rnn_forward(x, h0, Wx, Wh, b))``: ``dh[:, t]`` is the upstream
    gradient of the state at step t.  Recompute the states, then walk backwards in time,
    carrying the gradient ``dnext`` that step t+1 sends to h_t (zero after the last step):

        dz_t       = (dh[:, t] + dnext) * (1 - h_t**2)      through the tanh (h_t after tanh)
        dx[:, t]   = dz_t @ Wx.T
        dWx       += x_t.T @ dz_t
        dWh       += h_{t-1}.T @ dz_t                       (h0 for the first step)
        db        += dz_t summed over the batch
        dnext      = dz_t @ Wh.T                            (goes to h_{t-1})

    After the first step has been processed, ``dnext`` is the gradient of ``h0``.

    Shapes: ``dh (N, T, H)``, ``x (N, T, D)``, ``h0 (N, H)``, ``Wx (D, H)``, ``Wh (H, H)``,
    ``b (H,)``.
    Returns: the tuple ``(dx, dh0, dWx, dWh, db)`` with shapes ``(N, T, D)``, ``(N, H)``,
    ``(D, H)``, ``(H, H)``, ``(H,)``.
    Pitfall: ``dh[:, t]`` alone is not h_t's whole gradient; add what flows back from step
    t+1.  And ``dWh`` pairs ``dz_t`` with the state that *entered* step t, h_{t-1}.
    """
    raise NotImplementedError("rnn.rnn_backward: return (dx, dh0, dWx, dWh, db) for the loss sum(dh * states)")


def lstm_step(x, h_prev, c_prev, Wx, Wh, b):
    """One step of an LSTM (as ``torch.nn.LSTMCell``).

    One matrix product computes all four blocks of pre-activations, each ``(N, H)``, in
    PyTorch's order input, forget, cell, output:

        a = x @ Wx + h_prev @ Wh + b                          (N, 4H)
        i = sigmoid(a[:, 0:H])        input gate: how much of the candidate to write
        f = sigmoid(a[:, H:2H])       forget gate: how much of the old cell to keep
        g = tanh(a[:, 2H:3H])         candidate values for the cell
        o = sigmoid(a[:, 3H:4H])      output gate: how much of the cell to show
        c = f * c_prev + i * g
        h = o * tanh(c)

    with ``sigmoid(z) = 1 / (1 + exp(-z))``.

    Shapes: ``x (N, D)``, ``h_prev`` and ``c_prev (N, H)``, ``Wx (D, 4H)``, ``Wh (H, 4H)``,
    ``b (4H,)``.
    Returns: the tuple ``(h, c)``, both ``(N, H)``.
    Pitfall: the block order is i, f, g, o (not i, f, o, g, as some tutorials use); g is
    squashed with tanh, the gates with sigmoids; and h uses tanh(c), not c.
    """
    raise NotImplementedError("rnn.lstm_step: compute the four gates from one product and return (h, c)")
