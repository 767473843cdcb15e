"""The ``attention`` oracles agree with independent computations: hand-worked numbers, plain
Python loops over the contract's formulas, and ``F.multi_head_attention_forward``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference import attention as ref


def _softmax_rows(scores):
    """Row-wise softmax written with Python floats (``-inf`` entries get weight 0)."""
    out = np.zeros_like(scores)
    for idx in np.ndindex(scores.shape[:-1]):
        row = scores[idx]
        top = max(s for s in row if s != -math.inf)
        exps = [0.0 if s == -math.inf else math.exp(s - top) for s in row]
        out[idx] = [e / sum(exps) for e in exps]
    return out


def _attention_loops(q, k, v, mask):
    """Scores by explicit dot products over every batch index, query and key."""
    d = q.shape[-1]
    scores = np.empty(q.shape[:-1] + (k.shape[-2],))
    allowed = np.broadcast_to(np.ones((1, 1), bool) if mask is None else mask, scores.shape)
    for idx in np.ndindex(scores.shape):
        *batch, i, j = idx
        dot = sum(q[(*batch, i, c)] * k[(*batch, j, c)] for c in range(d))
        scores[idx] = dot / math.sqrt(d) if allowed[idx] else -math.inf
    weights = _softmax_rows(scores)
    return np.einsum("...qk,...kv->...qv", weights, v), weights


def test_sdpa_hand_worked_example():
    q = np.array([[1.0, 0.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[1.0, 10.0], [3.0, 20.0]])
    out, weights = ref.scaled_dot_product_attention(q, k, v)
    a = math.exp(1 / math.sqrt(2))  # scores 1/sqrt(2) and 0
    w = np.array([[a / (a + 1), 1 / (a + 1)]])
    np.testing.assert_allclose(weights, w, rtol=1e-14)
    np.testing.assert_allclose(out, w @ v, rtol=1e-14)
    # Blocking the first key leaves all the weight on the second.
    out, weights = ref.scaled_dot_product_attention(q, k, v, mask=np.array([[False, True]]))
    np.testing.assert_array_equal(weights, [[0.0, 1.0]])
    np.testing.assert_allclose(out, [[3.0, 20.0]], rtol=1e-15)


@pytest.mark.parametrize("lead,mask_shape", [
    ((), None), ((), (3, 5)), ((), (5,)), ((2,), None), ((2,), (3, 5)), ((2,), (2, 1, 5)),
    ((2, 4), (2, 4, 3, 5)), ((2, 4), (3, 5)), ((2, 4), (2, 1, 1, 5)), ((2, 4), (1, 4, 3, 5)),
])
def test_sdpa_matches_loops_and_its_weights_reproduce_sdpa_output(lead, mask_shape):
    gen = np.random.default_rng(len(lead) * 10 + (0 if mask_shape is None else len(mask_shape)))
    q, k, v = (gen.uniform(-2, 2, lead + (3, 6)), gen.uniform(-2, 2, lead + (5, 6)),
               gen.uniform(-1, 1, lead + (5, 7)))
    mask = None
    if mask_shape is not None:
        mask = gen.random(mask_shape) < 0.5
        mask[..., 0] = True  # every row keeps a key
    out, weights = ref.scaled_dot_product_attention(q, k, v, mask)
    want_out, want_weights = _attention_loops(q, k, v, mask)
    assert out.shape == lead + (3, 7) and weights.shape == lead + (3, 5)
    np.testing.assert_allclose(weights, want_weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out, want_out, rtol=1e-12, atol=1e-15)
    # The explicit-softmax weights times v reproduce F.scaled_dot_product_attention's output.
    np.testing.assert_allclose(weights @ v, out, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-14)
    if mask is not None:
        assert (weights[~np.broadcast_to(mask, weights.shape)] == 0).all()


def test_causal_mask_is_the_lower_triangle():
    for t in (1, 2, 5):
        mask = ref.causal_mask(t)
        assert mask.dtype == np.bool_ and mask.shape == (t, t)
        assert all(mask[i, j] == (j <= i) for i in range(t) for j in range(t))


def _mha_per_head_loop(x, Wq, Wk, Wv, Wo, h, mask):
    """Head j uses the columns j*E/H .. (j+1)*E/H - 1 of the projections; heads concatenated."""
    e = x.shape[-1]
    hd = e // h
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    outs = []
    for j in range(h):
        cols = slice(j * hd, (j + 1) * hd)
        head_mask = None
        if mask is not None:
            full = np.broadcast_to(mask, (x.shape[0], h, x.shape[1], x.shape[1]))
            head_mask = full[:, j]
        outs.append(_attention_loops(q[..., cols], k[..., cols], v[..., cols], head_mask)[0])
    return np.concatenate(outs, axis=-1) @ Wo


def _torch_mha(x, Wq, Wk, Wv, Wo, h, mask):
    """``F.multi_head_attention_forward`` (nn.MultiheadAttention's kernel) with no biases.

    Its weights act as ``x @ W.T`` and its boolean ``attn_mask`` marks the *blocked* pairs, so
    the weights are transposed and the mask is negated; a 4-D mask becomes (N*H, T, T).
    """
    n, t, e = x.shape
    xt = torch.tensor(x).transpose(0, 1)  # (T, N, E)
    in_proj = torch.tensor(np.concatenate([Wq.T, Wk.T, Wv.T]))
    attn_mask = None
    if mask is not None:
        blocked = ~np.asarray(mask, bool)
        if blocked.ndim == 4:
            blocked = np.broadcast_to(blocked, (n, h, t, t)).reshape(n * h, t, t)
        attn_mask = torch.tensor(blocked)
    out, _ = F.multi_head_attention_forward(
        xt, xt, xt, e, h, in_proj, None, None, None, False, 0.0, torch.tensor(Wo.T), None,
        training=False, need_weights=False, attn_mask=attn_mask)
    return out.transpose(0, 1).numpy()


@pytest.mark.parametrize("n,t,h,hd,mask_kind", [
    (2, 3, 2, 4, None), (3, 5, 4, 2, "causal"), (2, 4, 3, 5, "random2d"), (2, 4, 2, 3, "4d"),
])
def test_mha_matches_torch_and_per_head_loop(n, t, h, hd, mask_kind):
    gen = np.random.default_rng(n * 100 + t * 10 + h)
    e = h * hd
    x = gen.uniform(-1.5, 1.5, (n, t, e))
    Wq, Wk, Wv, Wo = (gen.uniform(-1, 1, (e, e)) / math.sqrt(e) for _ in range(4))
    mask = None
    if mask_kind == "causal":
        mask = np.tril(np.ones((t, t), bool))
    elif mask_kind == "random2d":
        mask = gen.random((t, t)) < 0.5
        mask[:, -1] = True
    elif mask_kind == "4d":
        mask = gen.random((n, 1, t, t)) < 0.5
        mask[..., 0] = True
    got = ref.multi_head_attention(x, Wq, Wk, Wv, Wo, h, mask)
    assert got.shape == (n, t, e)
    np.testing.assert_allclose(got, _torch_mha(x, Wq, Wk, Wv, Wo, h, mask), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(got, _mha_per_head_loop(x, Wq, Wk, Wv, Wo, h, mask),
                               rtol=1e-11, atol=1e-13)


def test_positional_encoding_matches_the_formula():
    for seq_len, d in ((1, 2), (3, 4), (50, 16), (7, 64)):
        pe = ref.positional_encoding(seq_len, d)
        assert pe.shape == (seq_len, d) and pe.dtype == np.float64
        for p in range(seq_len):
            for i in range(d // 2):
                angle = p / 10000 ** (2 * i / d)
                assert abs(pe[p, 2 * i] - math.sin(angle)) < 1e-12
                assert abs(pe[p, 2 * i + 1] - math.cos(angle)) < 1e-12
    pe = ref.positional_encoding(2, 4)
    np.testing.assert_allclose(pe, [[0, 1, 0, 1], [math.sin(1), math.cos(1), math.sin(0.01),
                                                   math.cos(0.01)]], rtol=1e-13, atol=1e-15)
