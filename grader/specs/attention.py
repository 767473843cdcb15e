"""Checks for ``attention``: scaled dot-product attention, the causal mask, multi-head
attention and the sinusoidal positional encoding, compared with PyTorch in float64.

Every attention input is drawn with distinct sizes (``Tq != Tk``, ``d != dv``, batch and head
counts different from the sequence lengths, ``E/H != T``), so a transposed product, a softmax
over the wrong axis or a mis-reshaped head split changes the shape or the values.  Queries and
keys are large enough (``|q|, |k| < 2``) that the scores spread over several units: a wrong
scale or a wrong axis moves the weights by 1e-2 or more, while any correct float64 order of
operations agrees with PyTorch to ~1e-15.  Random masks keep at least one allowed and at least
one blocked key in every row, so every correct answer is finite and every way of misusing the
mask (ignored, inverted, zeroed scores, applied after the softmax) shows; multi-head attention
also gets the causal mask.  The causal mask is graded on its 0/1 pattern and, separately, on
its boolean dtype; positional encodings at small and at transformer sizes.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from grader.compare import EXACT, Tolerance, compare
from grader.spec import ModuleSpec, single_call
from grader.strategies import dims, rng, seeds, uniform
from reference import attention as ref

spec = ModuleSpec("attention", "Attention", reference=ref)

ATTN_TOL = Tolerance(1e-9, 1e-12, "softmax and short float64 matmuls in any order agree with "
                     "PyTorch to ~1e-15; the nearest mistake (1/sqrt(dv) for 1/sqrt(d)) moves "
                     "outputs or weights by >1e-2 on every drawn unmasked input")
MHA_TOL = Tolerance(1e-9, 1e-12, "three projections, attention and the output projection in "
                    "float64 agree with PyTorch to ~1e-14; a wrong head split, scale or missing "
                    "Wo moves the output by >1e-3")
PE_TOL = Tolerance(0.0, 1e-9, "sin/cos of angles below 600 computed as p/10000**(2i/d) or "
                   "p*exp(-2i ln(10000)/d) agree to ~1e-13; every mistake moves some entry by "
                   ">1e-3")


# ---------------------------------------------------------------------------------------------
# Shared drawing helpers

def _mask(gen, shape):
    """A random boolean mask whose every row (last axis) has >= 1 True and >= 1 False."""
    mask = gen.random(shape) < 0.5
    keys = shape[-1]
    rows = shape[:-1] + (1,)
    allowed = gen.integers(0, keys, size=rows)
    blocked = (allowed + gen.integers(1, keys, size=rows)) % keys
    np.put_along_axis(mask, allowed, True, axis=-1)
    np.put_along_axis(mask, blocked, False, axis=-1)
    return mask


def _broadcast_shapes(full):
    """Every shape strictly smaller than ``full`` that broadcasts to it, keeping the key axis:
    each other axis kept or set to 1, then leading axes possibly dropped."""
    shapes = set()
    for kept in itertools.product((True, False), repeat=len(full) - 1):
        shape = tuple(n if keep else 1 for n, keep in zip(full[:-1], kept)) + (full[-1],)
        shapes.update(shape[start:] for start in range(len(shape)))
    shapes.discard(tuple(full))
    return sorted(shapes, key=lambda s: (len(s), s))


# scaled_dot_product_attention ---------------------------------------------------------------

@st.composite
def sdpa_inputs(draw, lead_dims=(0,), mask=None):
    """q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv) with distinct sizes; ``mask`` is None,
    "full" (the scores' shape) or "any" (the full shape or a smaller one that broadcasts)."""
    n_lead = draw(st.sampled_from(lead_dims))
    sizes = draw(dims(4 + n_lead, high=9).filter(lambda s: s[n_lead + 3] != s[n_lead + 2] ** 2))
    lead, (tq, tk, d, dv) = tuple(sizes[:n_lead]), sizes[n_lead:]
    gen = rng(draw(seeds))
    args = {"q": uniform(gen, lead + (tq, d), -2, 2), "k": uniform(gen, lead + (tk, d), -2, 2),
            "v": uniform(gen, lead + (tk, dv))}
    if mask == "full":
        args["mask"] = _mask(gen, lead + (tq, tk))
    elif mask == "any":
        full = lead + (tq, tk)
        args["mask"] = _mask(gen, draw(st.sampled_from([full] + _broadcast_shapes(full))))
    return args


def sdpa_check(name, description, inputs):
    spec.check("scaled_dot_product_attention", name, points=1, description=description,
               inputs=inputs, oracle=ref.scaled_dot_product_attention, tol=ATTN_TOL,
               outputs=("out", "weights"))


sdpa_check("unbatched", "2-D q (Tq, d), k (Tk, d), v (Tk, dv), no mask: out and weights equal "
           "PyTorch's", sdpa_inputs())
sdpa_check("batched", "leading batch axes (B, ...) or (B, H, ...), no mask",
           sdpa_inputs(lead_dims=(1, 2)))
sdpa_check("mask", "2-D inputs with a boolean (Tq, Tk) mask; True = may attend",
           sdpa_inputs(mask="full"))
sdpa_check("mask_batched_broadcast", "batched inputs with a mask of the scores' shape "
           "(..., Tq, Tk) or one that broadcasts to it: (Tq, Tk) shared by the batch, (B, 1, Tk) "
           "key padding, (Tk,) ...", sdpa_inputs(lead_dims=(1, 2), mask="any"))

spec.mistakes(
    "scaled_dot_product_attention",
    no_scale=("You did not scale the scores: divide q @ k^T by sqrt(d), where d is the last axis "
              "of q and k, before the softmax."),
    scale_by_d="You divided the scores by d; scaled dot-product attention divides by sqrt(d).",
    scale_by_dv=("You scaled by sqrt(dv), the value size (v.shape[-1]); the scale is 1/sqrt(d) "
                 "with d = q.shape[-1], the size the dot products sum over."),
    softmax_over_queries=("Your softmax normalises over the queries (axis -2): each query's "
                          "weights over the keys (axis -1) must sum to 1."),
    mask_ignored=("You ignored the mask: scores where mask is False must get -inf (or a very large "
                  "negative number) before the softmax."),
    mask_inverted=("You blocked the keys where mask is True; True means 'may attend', so set the "
                   "scores to -inf where mask is False."),
    masked_scores_set_to_zero=("You set blocked scores to 0, which still gives them weight exp(0); "
                               "set them to -inf before the softmax."),
    mask_after_softmax=("You zeroed the blocked weights after the softmax, so the rows no longer "
                        "sum to 1; mask the scores with -inf before the softmax."),
)


# causal_mask ----------------------------------------------------------------------------------

@single_call
def mask_pattern(fn, args):
    """The 0/1 pattern: any boolean, integer or float array holding only 0 and 1 counts as the
    boolean array it stands for (the dtype has a check of its own)."""
    out = fn(**args)
    if (isinstance(out, np.ndarray) and out.dtype.kind in "biuf"
            and np.isin(out, (0, 1)).all()):
        return out.astype(bool)
    return out


def pattern_verify(got, want, args):
    if isinstance(got, np.ndarray) and got.dtype.kind in "f":
        return ("causal_mask returned values other than 0 and 1 (or non-finite values); it must "
                "return True (1) on and below the diagonal and False (0) above it")
    return compare(got, want, EXACT, label="the mask")


def bool_dtype_verify(got, want, args):
    if not isinstance(got, np.ndarray):
        return compare(got, want, EXACT, label="the mask")
    if got.dtype != np.bool_:
        return (f"causal_mask returned an array of dtype {got.dtype}; the contract asks for a "
                "boolean array (dtype bool), because a mask is used as a condition: ~mask of an "
                "integer array gives -1/-2 instead of the opposite mask, and indexing with an "
                "integer or float array does not select entries. Build it with dtype=bool "
                "(np.tril(np.ones((t, t), dtype=bool))) or convert with .astype(bool).")
    return None


# t >= 2: at t = 1 every triangle (upper, lower, strict) is the same single entry, so the
# catalogued patterns could not be told apart there, and a correct answer gains nothing from it.
t_values = st.builds(lambda t: {"t": t}, st.integers(2, 12))
spec.check("causal_mask", "pattern", points=1, description="True on and below the diagonal, "
           "False above it, shape (t, t) (any 0/1 dtype counts here)", inputs=t_values,
           oracle=ref.causal_mask, tol=EXACT, run=mask_pattern, verify=pattern_verify)
spec.check("causal_mask", "boolean_dtype", points=1, description="the mask is a boolean "
           "array (dtype bool), whatever its pattern (the pattern has its own check)",
           inputs=t_values, oracle=ref.causal_mask, tol=EXACT, verify=bool_dtype_verify)

spec.mistakes(
    "causal_mask",
    upper_triangle=("Your mask is True on and above the diagonal: a causal mask lets query i "
                    "attend to keys j <= i, the lower triangle (np.tril)."),
    true_means_blocked=("Your mask is True strictly above the diagonal, the positions to block; in "
                        "this course True means 'may attend', so return the lower triangle "
                        "including the diagonal."),
    diagonal_excluded=("Your mask leaves out the diagonal: every position may attend to itself, so "
                       "the diagonal must be True (np.tril with k=0)."),
    int_dtype="Your mask holds integers 0/1; return a boolean array (dtype=bool).",
    float_dtype=("Your mask holds floats 0.0/1.0 (np.ones is float64 by default); return a boolean "
                 "array (dtype=bool)."),
)


# multi_head_attention -------------------------------------------------------------------------

@st.composite
def mha_inputs(draw, mask=None):
    """x (N, T, E) with E = H * (E/H), H > 1, and N, T, H, E/H, E all different; ``mask`` is
    None, "shared" (T, T), causal or random, or "4d": (N, 1, T, T), (1, H, T, T) or
    (N, H, T, T)."""
    n, t, h, hd = draw(dims(4, high=6).filter(lambda s: s[2] * s[3] not in (s[0], s[1])))
    e = h * hd
    gen = rng(draw(seeds))
    w_scale = 1.5 / np.sqrt(e)
    args = {"x": uniform(gen, (n, t, e), -1.5, 1.5)}
    for name in ("Wq", "Wk", "Wv", "Wo"):
        args[name] = uniform(gen, (e, e), -w_scale, w_scale)
    args["num_heads"] = h
    if mask == "shared":  # half the time the causal mask, half a random one
        args["mask"] = np.tril(np.ones((t, t), dtype=bool)) if draw(st.booleans()) else _mask(gen, (t, t))
    elif mask == "4d":
        shape = draw(st.sampled_from([(n, 1, t, t), (1, h, t, t), (n, h, t, t)]))
        args["mask"] = _mask(gen, shape)
    return args


def mha_check(name, description, inputs):
    spec.check("multi_head_attention", name, points=1, description=description, inputs=inputs,
               oracle=ref.multi_head_attention, tol=MHA_TOL)


mha_check("no_mask", "x (N, T, E), H > 1 heads of size E/H, no mask: equals PyTorch",
          mha_inputs())
mha_check("mask_shared", "a (T, T) boolean mask applies to every batch element and head",
          mha_inputs(mask="shared"))
mha_check("mask_4d", "a mask of shape (N, 1, T, T), (1, H, T, T) or (N, H, T, T)",
          mha_inputs(mask="4d"))

spec.mistakes(
    "multi_head_attention",
    heads_split_interleaved=("You split the heads as (N, T, E/H, H), so head h takes every H-th "
                             "feature; head h owns the contiguous block of columns h*E/H ... "
                             "(h+1)*E/H - 1: reshape to (N, T, H, E/H) and then transpose to (N, "
                             "H, T, E/H)."),
    split_reshape_without_transpose=("You reshaped (N, T, E) straight to (N, H, T, E/H), which "
                                     "mixes time steps into heads; reshape to (N, T, H, E/H) "
                                     "first, then swap axes 1 and 2."),
    merge_reshape_without_transpose=("You reshaped the heads' output (N, H, T, E/H) straight to "
                                     "(N, T, E); transpose back to (N, T, H, E/H) before the "
                                     "reshape so each time step gets its own heads."),
    heads_concatenated_interleaved=("You merged the heads as (N, T, E/H, H), interleaving their "
                                    "features; concatenate the heads in order: (N, H, T, E/H) -> "
                                    "(N, T, H, E/H) -> (N, T, E)."),
    scale_by_sqrt_embed_dim=("You scaled the scores by 1/sqrt(E); each head attends in E/H "
                             "dimensions, so the scale is 1/sqrt(E/H)."),
    missing_output_projection=("You returned the concatenated heads without the output projection: "
                               "multiply by Wo at the end."),
    weights_transposed=("You applied the weights as x @ W.T (nn.Linear's layout); here the weights "
                        "are (E_in, E_out) and are applied as x @ W."),
    mask_ignored=("You ignored the mask: pass it to the attention of every head (it broadcasts "
                  "against the (N, H, T, T) scores)."),
)


# positional_encoding --------------------------------------------------------------------------

even = st.integers(1, 8).map(lambda half: 2 * half)
spec.check("positional_encoding", "small_sizes", points=1, description="PE[p, 2i] = "
           "sin(p / 10000**(2i/d)), PE[p, 2i+1] = cos(...), shape (seq_len, d_model)",
           inputs=st.fixed_dictionaries({"seq_len": st.integers(1, 12), "d_model": even}),
           oracle=ref.positional_encoding, tol=PE_TOL)
spec.check("positional_encoding", "transformer_sizes", points=1, description="the same at "
           "transformer sizes: seq_len up to 512, d_model up to 256",
           inputs=st.fixed_dictionaries({"seq_len": st.integers(32, 512),
                                         "d_model": st.sampled_from([16, 32, 64, 128, 256])}),
           oracle=ref.positional_encoding, tol=PE_TOL)

spec.mistakes(
    "positional_encoding",
    sin_cos_swapped=("You put the cosine in the even columns and the sine in the odd ones; PE[p, "
                     "2i] is the sine and PE[p, 2i+1] the cosine."),
    sin_block_then_cos_block=("You concatenated all the sines and then all the cosines; they "
                              "interleave: column 2i is a sine, column 2i+1 the cosine of the same "
                              "angle."),
    exponent_without_factor_2=("Your frequencies use 10000**(i/d) with i the pair index; the "
                               "exponent is 2i/d (np.arange(0, d, 2) / d)."),
    exponent_uses_column_index=("Your cosine column 2i+1 uses the exponent (2i+1)/d; the sine and "
                                "the cosine of a pair share the angle p / 10000**(2i/d)."),
    base_1000="Your frequencies use the base 1000; the sinusoidal encoding uses 10000.",
    positions_start_at_one=("Your positions start at 1; they are 0, 1, ..., seq_len-1, so the "
                            "first row is [0, 1, 0, 1, ...]."),
)
