"""Attention: the building block of transformers.

A sequence model has to decide, for every position, which other positions matter.  Attention
makes that decision with arithmetic: each position sends out a *query*, every position offers a
*key* and a *value*, and the output for a query is an average of the values weighted by how well
the query matches each key.  Because all positions are handled at once with matrix products,
a transformer processes a whole sequence in parallel, unlike a recurrent network.

In this module you build, in NumPy:

1. ``scaled_dot_product_attention`` -- the core operation, with an optional mask;
2. ``causal_mask`` -- the mask that stops a position from looking at the future;
3. ``multi_head_attention`` -- several attentions side by side on slices of the features;
4. ``positional_encoding`` -- the sine/cosine signal that tells the model where a token is.

Conventions: arrays are float64, batch axes come first, weights are applied as ``x @ W``.
A mask is a boolean array where True means "this query may attend to this key".  Do not modify
any input array in place.  Only ``numpy``, ``math`` and the standard library may be imported.
"""

import math

import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    """Attention of queries ``q`` over keys ``k`` and values ``v``.

    Each query is compared with every key by a dot product.  The scores are divided by
    sqrt(d) so their spread does not grow with the vector size d (large scores would make the
    softmax almost one-hot and its gradients vanish).  A softmax over the keys turns each
    query's scores into weights that sum to 1, and the output is the weighted sum of values:

        scores  = q @ k^T / sqrt(d)             (the transpose swaps the LAST TWO axes only)
        scores  = -inf where mask is False       (only when a mask is given)
        weights = softmax(scores, over the keys axis, the last one)
        out     = weights @ v

    Shapes (``...`` is any number of leading batch axes, the same for q, k and v; it may be
    none at all):
        q: (..., Tq, d)    k: (..., Tk, d)    v: (..., Tk, dv)
        mask: None, or boolean, broadcastable to (..., Tq, Tk) -- e.g. (Tq, Tk) shared by a
              whole batch; True = may attend.  Every query row keeps at least one key.

    Returns ``(out, weights)``: out (..., Tq, dv) and weights (..., Tq, Tk).

    Pitfall: divide by sqrt(d) (not by d), where d is the size of the query/key vectors
    (``q.shape[-1]``), not the value size dv; and apply the mask to the scores BEFORE the
    softmax -- zeroing weights afterwards leaves rows that no longer sum to 1.  ``k.T``
    reverses every axis of a batched array; use ``np.swapaxes(k, -1, -2)``.
    """
    raise NotImplementedError(
        "attention.scaled_dot_product_attention: compute softmax(q k^T / sqrt(d)) v with the mask")


def causal_mask(t):
    """The mask for a sequence of length ``t`` that forbids looking ahead.

    When a model predicts token i from tokens 0..i, query i must not see keys j > i.  The causal
    mask is True where key j may be attended by query i, that is where j <= i: on and below
    the diagonal.

        mask[i, j] = (j <= i)

    Returns a boolean array (dtype bool) of shape (t, t).

    Pitfall: ``np.ones`` makes float64 by default; a 0/1 float or integer array is not a
    boolean mask (``~mask`` of an integer array is -1/-2, not the opposite mask).  Ask for
    ``dtype=bool``.
    """
    raise NotImplementedError(
        "attention.causal_mask: return a boolean lower-triangular (t, t) mask")


def multi_head_attention(x, Wq, Wk, Wv, Wo, num_heads, mask=None):
    """Self-attention with ``num_heads`` heads, each working on its own slice of features.

    One attention can only produce one weighted average per query.  Multi-head attention
    projects x to queries, keys and values, cuts the E features into H contiguous blocks of
    size E/H, runs scaled dot-product attention separately in each block (a "head"), glues the
    heads' outputs back together in the same order and mixes them with an output projection:

        Q, K, V = x @ Wq, x @ Wk, x @ Wv                       each (N, T, E)
        split:   (N, T, E) -> (N, T, H, E/H) -> (N, H, T, E/H)  (reshape, then swap axes 1, 2)
        heads:   attention of each head, scale 1/sqrt(E/H)     (N, H, T, E/H)
        merge:   (N, H, T, E/H) -> (N, T, H, E/H) -> (N, T, E)  (swap back, then reshape)
        out    = merged @ Wo

    Shapes: x (N, T, E); Wq, Wk, Wv, Wo (E, E), applied as ``x @ W``, no biases;
    ``num_heads`` divides E; mask None or boolean broadcastable to (N, H, T, T) -- a (T, T)
    mask applies to every batch element and every head.

    Returns an array of shape (N, T, E).

    Pitfall: reshaping (N, T, E) directly to (N, H, T, E/H) gives the right shape and the wrong
    numbers -- it mixes time steps into heads.  Reshape to (N, T, H, E/H) first, then transpose.
    Your ``scaled_dot_product_attention`` already handles the leading (N, H) axes.
    """
    raise NotImplementedError(
        "attention.multi_head_attention: project, split heads, attend, merge, project out")


def positional_encoding(seq_len, d_model):
    """The sinusoidal position signal added to token embeddings.

    Attention itself ignores order: shuffling the tokens shuffles the outputs the same way.
    To tell the model where each token sits, the original transformer adds a fixed pattern of
    sines and cosines.  Each pair of columns (2i, 2i+1) oscillates at its own frequency, from
    fast (i = 0) to very slow, so every position gets a distinct code:

        angle[p, i]   = p / 10000 ** (2i / d_model)      p = 0 .. seq_len-1, i = 0 .. d_model/2-1
        PE[p, 2i]     = sin(angle[p, i])
        PE[p, 2i + 1] = cos(angle[p, i])

    ``d_model`` is even.  Returns a float64 array of shape (seq_len, d_model).

    Pitfall: sines and cosines interleave (column 2i is the sine, column 2i+1 the cosine of the
    same angle); they are not two blocks side by side.  The exponent uses 2i, the even column
    index, for both columns of a pair.
    """
    raise NotImplementedError(
        "attention.positional_encoding: fill sines in even columns, cosines in odd ones")
