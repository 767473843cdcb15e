"""Correct ``rnn`` answers written differently from solutions/rnn.py.

Each ``<function>__<variant>`` follows the CURRICULUM contract exactly and must score full marks.
"""

import math

import numpy as np


# rnn_step ------------------------------------------------------------------------------------

def rnn_step__concatenated_weights(x, h_prev, Wx, Wh, b):
    """[x, h_prev] @ [[Wx], [Wh]]: one product with the stacked weights."""
    return np.tanh(np.concatenate([x, h_prev], axis=1) @ np.vstack([Wx, Wh]) + b)


def rnn_step__einsum_tanh_from_exp(x, h_prev, Wx, Wh, b):
    """einsum products and tanh written as (1 - e^(-2a)) / (1 + e^(-2a)) (accurate for |a| of a few units)."""
    a = np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", h_prev, Wh) + b
    e = np.exp(-2.0 * a)
    return (1.0 - e) / (1.0 + e)


def rnn_step__row_loop(x, h_prev, Wx, Wh, b):
    """One example at a time, with math.tanh on every entry; returned as a float64 array."""
    rows = []
    for xi, hi in zip(x, h_prev):
        a = xi @ Wx + hi @ Wh + b
        rows.append([math.tanh(v) for v in a])
    return np.array(rows)


# rnn_forward ---------------------------------------------------------------------------------

def rnn_forward__list_stack(x, h0, Wx, Wh, b):
    """States collected in a list and stacked along axis 1."""
    h, states = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
        states.append(h)
    return np.stack(states, axis=1)


def rnn_forward__input_projection_first(x, h0, Wx, Wh, b):
    """x @ Wx + b for every step at once ((N, T, D) @ (D, H)), then the recurrence, time-major."""
    xw = x @ Wx + b                                  # (N, T, H)
    out = np.zeros((x.shape[1],) + h0.shape)         # (T, N, H)
    h = h0.copy()
    for t, xw_t in enumerate(np.transpose(xw, (1, 0, 2))):
        h = np.tanh(xw_t + h @ Wh)
        out[t] = h
    return out.transpose(1, 0, 2)


def rnn_forward__per_sample(x, h0, Wx, Wh, b):
    """Each sequence of the batch on its own, vectors only."""
    N, T, _ = x.shape
    out = np.empty((N, T, Wh.shape[0]))
    for n in range(N):
        h = h0[n]
        for t in range(T):
            h = np.tanh(Wx.T @ x[n, t] + Wh.T @ h + b)
            out[n, t] = h
    return out


# rnn_backward --------------------------------------------------------------------------------

def rnn_backward__cs231n_step_backward(dh, x, h0, Wx, Wh, b):
    """CS231n layout: a forward pass that caches each step, a step_backward, and a loop over time."""
    def step_forward(x_t, h_prev):
        h_next = np.tanh(x_t @ Wx + h_prev @ Wh + b)
        return h_next, (x_t, h_prev, h_next)

    def step_backward(dnext, cache):
        x_t, h_prev, h_next = cache
        da = dnext * (1 - h_next * h_next)
        return da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, np.sum(da, axis=0)

    N, T, D = x.shape
    caches, h = [], h0
    for t in range(T):
        h, cache = step_forward(x[:, t, :], h)
        caches.append(cache)
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(b.shape)
    dprev = np.zeros(h0.shape)
    for t in range(T - 1, -1, -1):
        dx_t, dprev, dWx_t, dWh_t, db_t = step_backward(dh[:, t, :] + dprev, caches[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev, dWx, dWh, db


def rnn_backward__batched_weight_grads(dh, x, h0, Wx, Wh, b):
    """Only the recurrence is a loop: it collects every dz_t; then dx, dWx, dWh and db come from
    einsums over all steps at once, with the pre-activations' tanh recomputed; returned as a list."""
    N, T, _ = x.shape
    a = np.empty((N, T, Wh.shape[0]))
    h = h0
    for t in range(T):
        a[:, t] = x[:, t] @ Wx + h @ Wh + b
        h = np.tanh(a[:, t])
    hs = np.tanh(a)
    prev = np.concatenate([h0[:, np.newaxis, :], hs[:, :-1, :]], axis=1)
    dz = np.empty_like(a)
    carry = np.zeros_like(h0)
    for t in reversed(range(T)):
        dz[:, t] = (dh[:, t] + carry) / np.cosh(a[:, t]) ** 2       # tanh' = sech^2
        carry = dz[:, t] @ Wh.T
    dx = np.einsum("nth,dh->ntd", dz, Wx)
    dWx = np.einsum("ntd,nth->dh", x, dz)
    dWh = np.einsum("ntk,nth->kh", prev, dz)
    db = dz.sum(axis=(0, 1))
    return [dx, carry, dWx, dWh, db]


def rnn_backward__per_sample(dh, x, h0, Wx, Wh, b):
    """Sample by sample with vectors and np.outer; the weight gradients accumulate across samples."""
    N, T, D = x.shape
    H = Wh.shape[0]
    dx, dh0 = np.zeros_like(x), np.zeros_like(h0)
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    for n in range(N):
        hs = [h0[n]]
        for t in range(T):
            hs.append(np.tanh(x[n, t] @ Wx + hs[-1] @ Wh + b))
        g = np.zeros(H)
        for t in range(T - 1, -1, -1):
            dz = (dh[n, t] + g) * (1.0 - hs[t + 1] ** 2)
            dx[n, t] = Wx @ dz
            dWx += np.outer(x[n, t], dz)
            dWh += np.outer(hs[t], dz)
            db += dz
            g = Wh @ dz
        dh0[n] = g
    return dx, dh0, dWx, dWh, db


# lstm_step -----------------------------------------------------------------------------------

def lstm_step__split_tanh_sigmoid(x, h_prev, c_prev, Wx, Wh, b):
    """np.split into four blocks; the sigmoid written as 0.5 * (1 + tanh(z / 2))."""
    sig = lambda z: 0.5 * (1.0 + np.tanh(0.5 * z))
    ai, af, ag, ao = np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)
    c = sig(af) * c_prev + sig(ai) * np.tanh(ag)
    return sig(ao) * np.tanh(c), c


def lstm_step__reshaped_gates(x, h_prev, c_prev, Wx, Wh, b):
    """Pre-activations reshaped to (N, 4, H); sigmoid on all four then g fixed via tanh; a list."""
    N, H = h_prev.shape
    a = (np.hstack([x, h_prev]) @ np.vstack([Wx, Wh]) + b).reshape(N, 4, H)
    gates = 1.0 / (1.0 + np.exp(-a))
    i, f, o = gates[:, 0], gates[:, 1], gates[:, 3]
    g = np.tanh(a[:, 2])
    c = f * c_prev + i * g
    return [o * np.tanh(c), c]


def lstm_step__per_gate_weights(x, h_prev, c_prev, Wx, Wh, b):
    """Slices the weights per gate first (as separate W_i, W_f, ... matrices), stable sigmoid."""
    H = h_prev.shape[1]

    def sigmoid(z):
        out = np.empty_like(z)
        pos = z >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
        ez = np.exp(z[~pos])
        out[~pos] = ez / (1.0 + ez)
        return out

    def pre(k):
        cols = slice(k * H, (k + 1) * H)
        return x @ Wx[:, cols] + h_prev @ Wh[:, cols] + b[cols]

    i, f, g, o = sigmoid(pre(0)), sigmoid(pre(1)), np.tanh(pre(2)), sigmoid(pre(3))
    c = c_prev * f + g * i
    h = o * np.tanh(c)
    return h, c


# Written for the outside review of modules 8-14 -----------------------------------------------

def rnn_step__einsum_tanh_from_one_minus(x, h_prev, Wx, Wh, b):
    """einsum products; tanh(a) = 1 - 2 / (exp(2a) + 1), which cannot overflow into nan."""
    a = np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", h_prev, Wh) + b
    return 1.0 - 2.0 / (np.exp(2.0 * a) + 1.0)


def rnn_forward__moveaxis_stack(x, h0, Wx, Wh, b):
    """Iterates over the time-major view of x and stacks the states on axis 1."""
    states = [h0]
    for x_t in np.moveaxis(x, 1, 0):
        states.append(np.tanh(x_t @ Wx + states[-1] @ Wh + b))
    return np.stack(states[1:], axis=1)


def rnn_backward__cosh_from_preactivations(dh, x, h0, Wx, Wh, b):
    """Keeps the pre-activations, uses tanh' = 1/cosh^2, then every weight gradient in one product."""
    N, T, D = x.shape
    H = h0.shape[1]
    pre, before = np.zeros((N, T, H)), np.zeros((N, T, H))
    h = h0
    for t in range(T):
        before[:, t] = h
        pre[:, t] = x[:, t] @ Wx + h @ Wh + b
        h = np.tanh(pre[:, t])
    dz, carry = np.zeros((N, T, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dz[:, t] = (dh[:, t] + carry) / np.cosh(pre[:, t]) ** 2
        carry = dz[:, t] @ Wh.T
    dWx = x.reshape(N * T, D).T @ dz.reshape(N * T, H)
    return dz @ Wx.T, carry, dWx, np.einsum("ntk,nth->kh", before, dz), dz.sum(axis=(0, 1))


def rnn_backward__scalar_loops_fsum(dh, x, h0, Wx, Wh, b):
    """Every scalar of every gradient by explicit loops, the carried gradient summed with math.fsum."""
    N, T, D = x.shape
    H = h0.shape[1]
    hs = np.zeros((N, T, H))
    for n in range(N):
        h = h0[n]
        for t in range(T):
            h = np.tanh(x[n, t] @ Wx + h @ Wh + b)
            hs[n, t] = h
    dx, dh0 = np.zeros((N, T, D)), np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    for n in range(N):
        carry = [0.0] * H
        for t in reversed(range(T)):
            prev = hs[n, t - 1] if t else h0[n]
            dz = [(float(dh[n, t, j]) + carry[j]) * (1.0 - float(hs[n, t, j]) ** 2) for j in range(H)]
            for j in range(H):
                db[j] += dz[j]
                for d in range(D):
                    dWx[d, j] += x[n, t, d] * dz[j]
                    dx[n, t, d] += Wx[d, j] * dz[j]
                for k in range(H):
                    dWh[k, j] += prev[k] * dz[j]
            carry = [math.fsum(Wh[k, j] * dz[j] for j in range(H)) for k in range(H)]
        dh0[n] = carry
    return dx, dh0, dWx, dWh, db


def _piecewise_sigmoid(a):
    """The stable two-branch sigmoid: exp(a) / (1 + exp(a)) for negative a."""
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def lstm_step__np_split_piecewise_sigmoid(x, h_prev, c_prev, Wx, Wh, b):
    """np.split into the four gate blocks, the two-branch sigmoid."""
    ai, af, ag, ao = np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)
    c = _piecewise_sigmoid(af) * c_prev + _piecewise_sigmoid(ai) * np.tanh(ag)
    return _piecewise_sigmoid(ao) * np.tanh(c), c
