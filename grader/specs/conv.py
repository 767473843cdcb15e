"""Checks for ``conv``: 2-D cross-correlation (forward and backward) and max pooling, NCHW,
against ``F.conv2d``, autograd through it, and ``F.max_pool2d``, in float64.

Every input has more than one sample, input channel and filter (``N, C, F`` distinct, in
2..4), a non-square image (``H != W``) and a non-square kernel (``kh != kw``, in 1..3), so a
transposed axis, a flipped kernel or a sum over the wrong axis changes the shape or the values.
Strides and paddings are drawn per check: stride 1 or 2..3, padding 0, 1 or 2, always with at
least two windows along each axis so that the stride shows.  The sizes either make the windows
tile the padded input exactly (``(H + 2p - kh) % stride == 0``) or, in the ``partial_windows``
checks, leave a remainder on both axes, so a wrong rule for the last, incomplete window loses
only those points.  Values are uniform in [-1, 1] (biases in 0.1..1 in size, so a forgotten
bias shows); an output is a sum of at most C*kh*kw = 24 products, a gradient entry a sum of at
most N*Ho*Wo = 360, so any correct float64 order agrees with PyTorch to ~1e-13 while every
catalogued mistake changes a shape or moves some value by more than 1e-2.  Pooling inputs are a
shuffled set of distinct values in [-3, 1), at least 7e-3 apart (no ties within a window, so
every correct argmax picks the same element; most windows entirely negative); a maximum is one
of its inputs, so correct answers agree exactly and a mistake moves a value by at least the
spacing.  A few mistakes coincide on some strided inputs (ignoring the padding and padding one
side only, when the extra zeros add no window; a size formula without the padding and one
without the +1, at padding 1 and stride 2): the catalogue lists the more common mistake first,
so that one is named there, and both messages give the correct formula.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec, part
from grader.strategies import away_from_zero, rng, seeds, uniform
from reference import conv as ref

spec = ModuleSpec("conv", "Convolutions and pooling", reference=ref)

FWD_TOL = Tolerance(1e-9, 1e-11, "each output is a bias plus at most 24 products of numbers in [-1, 1]: "
                    "any summation order (loops, im2col, einsum) agrees with F.conv2d to ~1e-14; "
                    "every catalogued mistake changes the shape or moves an output by >1e-2")
GRAD_TOL = Tolerance(1e-8, 1e-10, "each gradient entry sums at most 360 products of numbers in [-1, 1]: "
                     "scatter loops, col2im and full correlations agree with autograd to ~1e-13; "
                     "every catalogued mistake changes a shape or moves a gradient by >1e-2")
POOL_TOL = Tolerance(1e-12, 1e-12, "a maximum is one of its inputs, so every correct answer is exact; the "
                     "drawn values are distinct and at least 7e-3 apart")
GRADS = ("dx", "dw", "db")


def out_size(n, k, stride, padding=0):
    return (n + 2 * padding - k) // stride + 1


@lru_cache(maxsize=None)
def spatial_sizes(kh, kw, stride, padding, tiling, sizes, clipped_last=False):
    """A strategy for ``(H, W)`` with ``H != W`` from ``sizes`` giving at least two windows per
    axis, whose windows tile the padded input exactly (``tiling``) or leave a remainder on both
    axes (cached: one sampled_from per configuration).

    ``clipped_last``: the extra window a ceil rule would add must still start inside the input
    (PyTorch's ``ceil_mode`` convention), so that mistake is well defined.
    """
    def fits(n, k):
        span = n + 2 * padding - k
        if span < stride or (span % stride == 0) != tiling:
            return False
        return tiling or not clipped_last or -(-span // stride) * stride < n
    return st.sampled_from([(h, w) for h, w in itertools.product(sizes, sizes)
                            if h != w and fits(h, kh) and fits(w, kw)])


CONV_SIZES = range(3, 8)
POOL_SIZES = range(3, 11)
#: (N, C, F): distinct, 2..4.  (kh, kw): distinct, 1..3, kernels with two rows and columns first.
#: One sampled_from each: much cheaper to draw and to shrink than lists of unique integers.
CHANNELS = st.sampled_from(list(itertools.permutations((2, 3, 4))))
KERNELS = st.sampled_from([(2, 3), (3, 2), (1, 2), (2, 1), (1, 3), (3, 1)])


@st.composite
def conv_inputs(draw, strides=st.just(1), paddings=st.sampled_from([1, 2, 0]), tiling=True,
                backward=False, defaults=False):
    """``x (N, C, H, W)``, ``w (F, C, kh, kw)`` and ``b (F,)`` (or ``dout``), stride, padding."""
    N, C, F = draw(CHANNELS)
    kh, kw = draw(KERNELS)
    stride, padding = draw(strides), draw(paddings)
    H, W = draw(spatial_sizes(kh, kw, stride, padding, tiling, CONV_SIZES))
    gen = rng(draw(seeds))
    x, w = uniform(gen, (N, C, H, W)), uniform(gen, (F, C, kh, kw))
    if backward:
        dout = uniform(gen, (N, F, out_size(H, kh, stride, padding), out_size(W, kw, stride, padding)))
        args = {"dout": dout, "x": x, "w": w}
    else:
        args = {"x": x, "w": w, "b": away_from_zero(gen, (F,), 0.1, 1.0)}
    if not defaults:
        args.update(stride=stride, padding=padding)
    return args


STRIDED = st.sampled_from([2, 3])
PARTIAL_PADDINGS = st.sampled_from([1, 0, 2])


# conv2d --------------------------------------------------------------------------------------
spec.check("conv2d", "matches_torch", points=1,
           description="stride 1 with padding 0, 1 or 2 equals F.conv2d (cross-correlation, zero padding "
                       "on all four sides, bias per filter)",
           inputs=conv_inputs(), oracle=ref.conv2d, tol=FWD_TOL)
spec.check("conv2d", "defaults", points=1,
           description="called without stride and padding: stride 1, no padding",
           inputs=conv_inputs(paddings=st.just(0), defaults=True), oracle=ref.conv2d, tol=FWD_TOL)
spec.check("conv2d", "strided", points=1,
           description="stride 2 or 3 (windows that tile the padded input) equals F.conv2d",
           inputs=conv_inputs(strides=STRIDED), oracle=ref.conv2d, tol=FWD_TOL)
spec.check("conv2d", "partial_windows", points=1,
           description="when (H + 2p - kh) is not a multiple of the stride, the incomplete last window "
                       "is dropped: (H + 2p - kh) // stride + 1 outputs, as in F.conv2d",
           inputs=conv_inputs(strides=STRIDED, paddings=PARTIAL_PADDINGS, tiling=False),
           oracle=ref.conv2d, tol=FWD_TOL)
spec.mistakes(
    "conv2d",
    flipped_kernel=("You flipped the kernel (a true convolution, as scipy.signal.convolve2d computes). Deep-learning "
                    "'convolution' is a cross-correlation: out[n, f, i, j] = sum(window * w[f]) with the kernel "
                    "as it is, no w[..., ::-1, ::-1]."),
    forgot_bias="Your output is missing the bias: add b[f] to every output of filter f (b[None, :, None, None]).",
    padding_ignored=("You ignored `padding`: pad H and W with p zeros on each side before sliding the kernel, "
                     "which gives (H + 2p - kh) // stride + 1 rows."),
    padding_one_side=("You padded only after the image (bottom and right). Zero padding goes on both sides of each "
                      "spatial axis: np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))."),
    output_size_missing_plus_one=("Your output has one row and one column too few: the number of windows is "
                                  "(H + 2*padding - kh) // stride + 1 (the +1 counts the first window)."),
    output_size_ignores_padding=("You padded the input but computed the output size from the unpadded H and W, so "
                                 "the last windows are missing: Ho = (H + 2*padding - kh) // stride + 1."),
    partial_window_kept=("You kept an incomplete last window (a ceil in the output size). When the windows do not "
                         "tile the padded input, the leftover rows and columns are dropped: "
                         "Ho = (H + 2*padding - kh) // stride + 1, with floor division."),
    stride_ignored=("You slid the kernel one step at a time, ignoring `stride`: window (i, j) starts at row "
                    "i*stride and column j*stride, and Ho = (H + 2*padding - kh) // stride + 1."),
    window_start_not_strided=("Your output has the right size but window (i, j) starts at row i and column j: "
                              "with a stride it starts at row i*stride and column j*stride, "
                              "x_pad[:, :, i*stride:i*stride + kh, j*stride:j*stride + kw]."),
)

# conv2d_backward -----------------------------------------------------------------------------
for index, name in enumerate(GRADS):
    shape = {"dx": "(N, C, H, W)", "dw": "(F, C, kh, kw)", "db": "(F,)"}[name]
    spec.check("conv2d_backward", f"{name}_matches_autograd", points=1,
               description=f"stride 1, padding 0, 1 or 2: {name} {shape} equals the autograd gradient "
                           "of sum(dout * conv2d(x, w, b))",
               inputs=conv_inputs(backward=True), oracle=ref.conv2d_backward, tol=GRAD_TOL,
               run=part("conv2d_backward", index, name, 3))
spec.check("conv2d_backward", "strided", points=1,
           description="stride 2 or 3 (windows that tile the padded input): (dx, dw, db) equal autograd",
           inputs=conv_inputs(strides=STRIDED, backward=True), oracle=ref.conv2d_backward, tol=GRAD_TOL,
           outputs=GRADS)
spec.check("conv2d_backward", "partial_windows", points=1,
           description="windows that do not tile the input: dx is zero on the dropped rows and columns "
                       "and still has x's shape",
           inputs=conv_inputs(strides=STRIDED, paddings=PARTIAL_PADDINGS, tiling=False, backward=True),
           oracle=ref.conv2d_backward, tol=GRAD_TOL, outputs=GRADS)
spec.mistakes(
    "conv2d_backward",
    dx_flipped_kernel=("Your dx uses the kernel flipped the wrong way round. Each output's gradient flows back onto "
                       "the window it came from: dx_pad[n, :, window] += dout[n, f, i, j] * w[f] (as a full "
                       "correlation of dout, that is the kernel rotated by 180 degrees)."),
    dx_padding_not_removed=("Your dx has the padded shape (H + 2p, W + 2p). The padding zeros are not inputs: cut "
                            "p rows and columns from each side so dx has x's shape."),
    dx_padding_sliced_p_minus_p=("Your dx is empty when padding is 0: dx_pad[:, :, p:-p, p:-p] with p = 0 is the "
                                 "slice 0:0. Use dx_pad[:, :, p:p + H, p:p + W]."),
    dx_padding_cropped_at_end=("You cut the padding off the end only (dx_pad[:, :, :H, :W]). The padding sits on "
                               "both sides: take dx_pad[:, :, p:p + H, p:p + W]."),
    dx_sized_from_windows=("Your dx is sized from the windows, (Ho - 1)*stride + kh - 2p rows, which misses the rows "
                           "and columns no window reached when the windows do not tile the input. dx must have x's "
                           "shape; those rows get a zero gradient."),
    dw_last_sample_only=("Your dw comes from one sample only: accumulate (+=) the contributions of every sample "
                         "in the batch, the weights are shared by all of them."),
    dw_averaged=("You divided dw by the batch size. dout already carries any 1/N of the loss; dw sums the "
                 "contributions of every sample."),
    db_not_summed_over_space=("Your db is summed over the batch only, shape (F, Ho, Wo). The bias of filter f is "
                              "added at every position too: db = dout.sum(axis=(0, 2, 3)), shape (F,)."),
    db_kept_dims=("Your db has shape (1, F, 1, 1) (a sum with keepdims=True). b has shape (F,), and so must its "
                  "gradient: dout.sum(axis=(0, 2, 3))."),
    stride_ignored=("Your gradients treat the windows as one step apart, ignoring `stride`: window (i, j) starts at "
                    "row i*stride and column j*stride in the backward pass as in the forward pass."),
    dx_assigned_not_accumulated=("Your dx assigns (=) each window's gradient instead of adding it (+=): where "
                                 "windows overlap, and over the filters, every contribution must be summed, "
                                 "dx_pad[n, :, window] += dout[n, f, i, j] * w[f]."),
)

# maxpool2d -----------------------------------------------------------------------------------

@st.composite
def pool_inputs(draw, kernels=st.sampled_from([3, 2]), strides=st.sampled_from([2, 1, 3]), tiling=True,
                defaults=False):
    """``x (N, C, H, W)`` of distinct values, kernel_size and stride (omitted for the defaults)."""
    N, C = draw(st.sampled_from([(2, 3), (3, 2)]))
    k, stride = (2, 2) if defaults else (draw(kernels), draw(strides))
    H, W = draw(spatial_sizes(k, k, stride, 0, tiling, POOL_SIZES, clipped_last=True))
    gen = rng(draw(seeds))
    size = N * C * H * W
    x = gen.permutation(size).reshape(N, C, H, W) * (4.0 / size) - 3.0
    return {"x": x} if defaults else {"x": x, "kernel_size": k, "stride": stride}


spec.check("maxpool2d", "matches_torch", points=1,
           description="kernel 2 or 3 with stride 1, 2 or 3 (overlapping, adjacent and gapped windows "
                       "that tile the input) equals F.max_pool2d",
           inputs=pool_inputs(), oracle=ref.maxpool2d, tol=POOL_TOL)
spec.check("maxpool2d", "defaults", points=1,
           description="called without kernel_size and stride: 2x2 windows, stride 2",
           inputs=pool_inputs(defaults=True), oracle=ref.maxpool2d, tol=POOL_TOL)
spec.check("maxpool2d", "partial_windows", points=1,
           description="when (H - k) is not a multiple of the stride, the incomplete last window is "
                       "dropped: (H - k) // stride + 1 outputs, as in F.max_pool2d",
           inputs=pool_inputs(strides=STRIDED, tiling=False), oracle=ref.maxpool2d, tol=POOL_TOL)
spec.mistakes(
    "maxpool2d",
    average_pooling="You averaged each window; max pooling keeps the largest value of each window.",
    stride_ignored=("You slid the window one step at a time, ignoring `stride`: window (i, j) starts at row "
                    "i*stride, column j*stride, and Ho = (H - kernel_size) // stride + 1."),
    kernel_as_stride=("You used kernel_size as the step between windows. The step is `stride`, which may be "
                      "smaller (overlapping windows) or larger (gaps) than the window."),
    max_over_batch_and_channels=("You took one maximum over the whole (N, C, k, k) block, mixing samples and "
                                 "channels. Pool each sample and channel on its own: .max(axis=(2, 3)) of the "
                                 "window x[:, :, rows, cols]."),
    max_initialised_to_zero=("Your maxima are never negative: a running maximum started at 0 stays 0 for a window "
                             "of negative values. Start from the window's first value (or -inf), or use .max()."),
    partial_window_kept=("You kept an incomplete last window (a ceil in the output size, PyTorch's ceil_mode=True). "
                         "By default the leftover rows and columns are dropped: "
                         "Ho = (H - kernel_size) // stride + 1, with floor division."),
    height_width_swapped=("Your output has its height and width axes swapped. Keep NCHW: out has shape "
                          "(N, C, Ho, Wo) with Ho from H (axis 2) and Wo from W (axis 3)."),
    loop_range_misses_last_window=("Your loop over window starts stops one window early: range(0, H - kernel_size, "
                                   "stride) excludes the start H - kernel_size itself. Use range(0, H - kernel_size "
                                   "+ 1, stride), i.e. Ho = (H - kernel_size) // stride + 1 windows."),
)
