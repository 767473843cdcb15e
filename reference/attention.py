"""Oracles for ``attention``, computed with PyTorch in float64.

- ``scaled_dot_product_attention``: the output is ``F.scaled_dot_product_attention`` with a
  boolean ``attn_mask`` (True = may attend, PyTorch's meaning too); the weights come from an
  explicit ``softmax(q k^T / sqrt(d))`` with blocked scores set to ``-inf``.
- ``causal_mask``: ``torch.tril`` of a boolean matrix of ones.
- ``multi_head_attention``: the projections, the head split ``(N, T, E) -> (N, T, H, E/H) ->
  (N, H, T, E/H)``, ``F.scaled_dot_product_attention`` per head, the merge back and ``@ Wo``,
  all as torch operations (tests/test_reference_attention.py cross-checks it against
  ``F.multi_head_attention_forward``).
- ``positional_encoding``: the closed form, written as in the PyTorch tutorials
  (frequencies ``exp(-2i * ln(10000) / d)``).

Below the oracles, the catalogued mistakes: wrong implementations students really write,
named ``<function>__<mistake>`` and written in plain NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from reference._torch import F, array, tensor, torch


def _bool_mask(mask):
    """The mask as a boolean tensor of at least two axes (SDPA rejects a 1-D ``(Tk,)`` mask,
    which broadcasts exactly like ``(1, Tk)``)."""
    if mask is None:
        return None
    return torch.as_tensor(np.asarray(mask, dtype=bool).copy()).reshape(
        (1,) * max(0, 2 - np.ndim(mask)) + np.shape(mask))


def scaled_dot_product_attention(q, k, v, mask=None):
    tq, tk, tv = tensor(q), tensor(k), tensor(v)
    allowed = _bool_mask(mask)
    out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=allowed)
    scores = tq @ tk.transpose(-2, -1) / math.sqrt(tq.shape[-1])
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return array(out), array(weights)


def causal_mask(t):
    return torch.tril(torch.ones(t, t, dtype=torch.bool)).numpy().copy()


def multi_head_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    tx = tensor(x)
    n, t, e = tx.shape
    head_dim = e // num_heads

    def heads(a):  # (N, T, E) -> (N, T, H, E/H) -> (N, H, T, E/H)
        return a.reshape(n, t, num_heads, head_dim).transpose(1, 2)

    q, k, v = heads(tx @ tensor(Wq)), heads(tx @ tensor(Wk)), heads(tx @ tensor(Wv))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=_bool_mask(mask))
    merged = out.transpose(1, 2).reshape(n, t, e)
    return array(merged @ tensor(Wo))


def positional_encoding(seq_len, d_model):
    position = torch.arange(seq_len, dtype=torch.float64).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64)
                          * (-math.log(10000.0) / d_model))
    pe = torch.zeros(seq_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * frequency)
    pe[:, 1::2] = torch.cos(position * frequency)
    return array(pe)


# Mistakes -----------------------------------------------------------------------------------
# Shared NumPy pieces (correct unless a mistake says otherwise).

def _softmax(x, axis=-1):
    with np.errstate(invalid="ignore", divide="ignore"):  # all -inf slices give NaN, quietly
        shifted = x - np.max(x, axis=axis, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=axis, keepdims=True)


def _attend(q, k, v, mask=None, scale=None, axis=-1, masking="inf"):
    """Attention with a configurable scale, softmax axis and way of applying the mask."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None and masking == "inf":
        scores = np.where(mask, scores, -np.inf)
    elif mask is not None and masking == "inverted":
        scores = np.where(mask, -np.inf, scores)
    elif mask is not None and masking == "zero":
        scores = np.where(mask, scores, 0.0)
    weights = _softmax(scores, axis=axis)
    if mask is not None and masking == "after_softmax":
        weights = weights * mask
    return weights @ v, weights


# scaled_dot_product_attention

def scaled_dot_product_attention__no_scale(q, k, v, mask=None):
    return _attend(q, k, v, mask, scale=1.0)


def scaled_dot_product_attention__scale_by_d(q, k, v, mask=None):
    return _attend(q, k, v, mask, scale=1.0 / q.shape[-1])


def scaled_dot_product_attention__scale_by_dv(q, k, v, mask=None):
    return _attend(q, k, v, mask, scale=1.0 / math.sqrt(v.shape[-1]))


def scaled_dot_product_attention__softmax_over_queries(q, k, v, mask=None):
    return _attend(q, k, v, mask, axis=-2)


def scaled_dot_product_attention__mask_ignored(q, k, v, mask=None):
    return _attend(q, k, v, None)


def scaled_dot_product_attention__mask_inverted(q, k, v, mask=None):
    return _attend(q, k, v, mask, masking="inverted")


def scaled_dot_product_attention__masked_scores_set_to_zero(q, k, v, mask=None):
    return _attend(q, k, v, mask, masking="zero")


def scaled_dot_product_attention__mask_after_softmax(q, k, v, mask=None):
    return _attend(q, k, v, mask, masking="after_softmax")


# causal_mask

def causal_mask__upper_triangle(t):
    return np.triu(np.ones((t, t), dtype=bool))


def causal_mask__true_means_blocked(t):
    return np.triu(np.ones((t, t), dtype=bool), k=1)


def causal_mask__diagonal_excluded(t):
    return np.tril(np.ones((t, t), dtype=bool), k=-1)


def causal_mask__int_dtype(t):
    return np.tril(np.ones((t, t), dtype=np.int64))


def causal_mask__float_dtype(t):
    return np.tril(np.ones((t, t)))


# multi_head_attention

def _mha(x, Wq, Wk, Wv, Wo, num_heads, mask=None, split="blocks", merge="blocks",
         head_scale=True, project_out=True, transpose_weights=False):
    n, t, e = x.shape
    hd = e // num_heads
    if transpose_weights:
        Wq, Wk, Wv, Wo = Wq.T, Wk.T, Wv.T, Wo.T

    def heads(a):
        if split == "interleaved":  # (N, T, E) -> (N, T, E/H, H) -> (N, H, T, E/H)
            return a.reshape(n, t, hd, num_heads).transpose(0, 3, 1, 2)
        if split == "reshape_only":  # (N, T, E) -> (N, H, T, E/H) with no transpose
            return a.reshape(n, num_heads, t, hd)
        return a.reshape(n, t, num_heads, hd).transpose(0, 2, 1, 3)

    scale = 1.0 / math.sqrt(hd if head_scale else e)
    out, _ = _attend(heads(x @ Wq), heads(x @ Wk), heads(x @ Wv), mask, scale=scale)
    if merge == "interleaved":  # (N, H, T, E/H) -> (N, T, E/H, H) -> (N, T, E)
        merged = out.transpose(0, 2, 3, 1).reshape(n, t, e)
    elif merge == "reshape_only":  # (N, H, T, E/H) -> (N, T, E) with no transpose
        merged = out.reshape(n, t, e)
    else:
        merged = out.transpose(0, 2, 1, 3).reshape(n, t, e)
    return merged @ Wo if project_out else merged


def multi_head_attention__heads_split_interleaved(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    return _mha(x, Wq, Wk, Wv, Wo, num_heads, mask, split="interleaved", merge="interleaved")


def multi_head_attention__split_reshape_without_transpose(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    return _mha(x, Wq, Wk, Wv, Wo, num_heads, mask, split="reshape_only", merge="reshape_only")


def multi_head_attention__merge_reshape_without_transpose(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    return _mha(x, Wq, Wk, Wv, Wo, num_heads, mask, merge="reshape_only")


def multi_head_attention__heads_concatenated_interleaved(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    return _mha(x, Wq, Wk, Wv, Wo, num_heads, mask, merge="interleaved")


def multi_head_attention__scale_by_sqrt_embed_dim(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    return _mha(x, Wq, Wk, Wv, Wo, num_heads, mask, head_scale=False)


def multi_head_attention__missing_output_projection(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    return _mha(x, Wq, Wk, Wv, Wo, num_heads, mask, project_out=False)


def multi_head_attention__weights_transposed(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    return _mha(x, Wq, Wk, Wv, Wo, num_heads, mask, transpose_weights=True)


def multi_head_attention__mask_ignored(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    return _mha(x, Wq, Wk, Wv, Wo, num_heads, None)


# positional_encoding

def _pe(seq_len, d_model, base=10000.0, exponent="pairs", layout="interleaved", first=0,
        swap=False):
    position = np.arange(first, first + seq_len, dtype=np.float64)[:, None]
    pair = np.arange(d_model // 2)
    if exponent == "pairs":  # 2i / d
        sin_exp = cos_exp = 2 * pair / d_model
    elif exponent == "no_factor_2":  # i / d
        sin_exp = cos_exp = pair / d_model
    else:  # the column index j / d: 2i/d for the sine column, (2i+1)/d for the cosine column
        sin_exp, cos_exp = 2 * pair / d_model, (2 * pair + 1) / d_model
    sines = np.sin(position / base ** sin_exp)
    cosines = np.cos(position / base ** cos_exp)
    if swap:
        sines, cosines = cosines, sines
    if layout == "blocks":
        return np.concatenate([sines, cosines], axis=1)
    pe = np.empty((seq_len, d_model))
    pe[:, 0::2], pe[:, 1::2] = sines, cosines
    return pe


def positional_encoding__sin_cos_swapped(seq_len, d_model):
    return _pe(seq_len, d_model, swap=True)


def positional_encoding__sin_block_then_cos_block(seq_len, d_model):
    return _pe(seq_len, d_model, layout="blocks")


def positional_encoding__exponent_without_factor_2(seq_len, d_model):
    return _pe(seq_len, d_model, exponent="no_factor_2")


def positional_encoding__exponent_uses_column_index(seq_len, d_model):
    return _pe(seq_len, d_model, exponent="column")


def positional_encoding__base_1000(seq_len, d_model):
    return _pe(seq_len, d_model, base=1000.0)


def positional_encoding__positions_start_at_one(seq_len, d_model):
    return _pe(seq_len, d_model, first=1)
