"""Model answers for ``attention``: scaled dot-product attention, the causal mask, multi-head
attention and the sinusoidal positional encoding, in vectorised NumPy."""

import math

import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    """softmax(q k^T / sqrt(d)) v over the last two axes; blocked scores become -inf."""
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    exp = np.exp(scores)
    weights = exp / exp.sum(axis=-1, keepdims=True)
    return weights @ v, weights


def causal_mask(t):
    """True where key j <= query i (the lower triangle, diagonal included)."""
    return np.tril(np.ones((t, t), dtype=bool))


def multi_head_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    """Project, split into contiguous heads, attend per head, concatenate, project out."""
    n, t, e = x.shape
    head_dim = e // num_heads

    def split(a):  # (N, T, E) -> (N, T, H, E/H) -> (N, H, T, E/H)
        return a.reshape(n, t, num_heads, head_dim).transpose(0, 2, 1, 3)

    out, _ = scaled_dot_product_attention(split(x @ Wq), split(x @ Wk), split(x @ Wv), mask)
    return out.transpose(0, 2, 1, 3).reshape(n, t, e) @ Wo


def positional_encoding(seq_len, d_model):
    """Sines in the even columns, cosines in the odd ones, of p / 10000**(2i/d)."""
    position = np.arange(seq_len)[:, None]
    angles = position / 10000.0 ** (np.arange(0, d_model, 2) / d_model)
    pe = np.empty((seq_len, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe
