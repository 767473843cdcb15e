"""Convolutional layers: 2-D convolution, its gradients, and max pooling, in NumPy.

An image is a grid, and a useful pattern (an edge, a corner, a patch of texture) means the same
thing wherever it appears.  A convolutional layer therefore slides one small set of weights,
the *kernel*, over every position of the image and computes, at each position, the weighted sum
of the window under it.  Sharing the kernel across positions keeps the number of weights small
and makes the layer respond to a pattern wherever it is.  A *pooling* layer then summarises
each small window by its largest value, halving the resolution and making the output less
sensitive to exact positions.

Layout (as in PyTorch): arrays are NCHW -- ``x`` is ``(N, C, H, W)``: N samples, C channels,
H rows, W columns.  A layer with F filters has weights ``w (F, C, kh, kw)`` (each filter looks
at every input channel) and a bias ``b (F,)``, and produces ``(N, F, Ho, Wo)``.

Two numbers shape the sliding:

- ``padding`` p adds p rows/columns of zeros on *each* side of the image (top and bottom,
  left and right), so the kernel can be centred on border pixels;
- ``stride`` s is the step between windows; window (i, j) starts at row ``i*s`` and column
  ``j*s`` of the padded image.

Only windows that fit completely are used, so the output size is

    Ho = (H + 2*p - kh) // s + 1        Wo = (W + 2*p - kw) // s + 1

with floor division: when the windows do not tile the padded image exactly, the leftover rows
and columns at the bottom/right are simply not covered (PyTorch's default).

Conventions: float64 arrays; never modify an input array in place; ``stride`` and ``padding``
are plain ints (the same along both axes); a gradient has its parameter's shape.  Only
``numpy``, ``math`` and the standard library may be imported.
"""

import numpy as np


def conv2d(x, w, b, stride=1, padding=0):
    """The forward pass of a convolutional layer (``F.conv2d``).

    Deep-learning "convolution" is a cross-correlation: the kernel is NOT flipped.  With
    ``xp`` the zero-padded input:

        out[n, f, i, j] = b[f] + sum over c, u, v of
                          xp[n, c, i*stride + u, j*stride + v] * w[f, c, u, v]

    for u < kh and v < kw: the window starting at (i*stride, j*stride), multiplied elementwise
    by filter f across all channels, summed, plus the filter's bias.

    Shapes: ``x (N, C, H, W)``, ``w (F, C, kh, kw)``, ``b (F,)``; ``stride >= 1`` and
    ``padding >= 0`` are ints.
    Returns: ``out``, an ``(N, F, Ho, Wo)`` array with Ho = (H + 2p - kh) // stride + 1 and
    Wo = (W + 2p - kw) // stride + 1.
    Pitfall: ``np.pad(x, p)`` pads every axis, samples and channels included; pad only the last
    two, on both sides: ``np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))``.  And do not flip the
    kernel (``scipy.signal.convolve2d`` does; PyTorch does not).
    """
    raise NotImplementedError("conv.conv2d: slide each filter over the zero-padded input and add its bias")


def conv2d_backward(dout, x, w, stride=1, padding=0):
    """Gradients of the convolutional layer.

    The loss is ``sum(dout * conv2d(x, w, b, stride, padding))``, so ``dout (N, F, Ho, Wo)`` is
    the upstream gradient of every output.  Output (n, f, i, j) was ``b[f]`` plus the sum of
    window (i, j) of sample n times ``w[f]``, so:

        db[f]  = sum of dout[:, f, :, :]                         (every sample and position)
        dw[f] += dout[n, f, i, j] * window(n, i, j)              (summed over n, i, j)
        dxp[n, :, window(i, j)] += dout[n, f, i, j] * w[f]       (summed over f, i, j)

    where ``dxp`` is the gradient of the *padded* input; ``dx`` is ``dxp`` with the padding
    cut off again, ``dxp[:, :, p:p+H, p:p+W]``.  Rows and columns that no window covered get
    a zero gradient.

    Shapes: ``dout (N, F, Ho, Wo)``, ``x (N, C, H, W)``, ``w (F, C, kh, kw)``.
    Returns: the tuple ``(dx, dw, db)`` with shapes ``(N, C, H, W)``, ``(F, C, kh, kw)``, ``(F,)``.
    Pitfall: ``dxp[:, :, p:-p, p:-p]`` is empty when p = 0; and ``dw`` must accumulate (+=)
    over the whole batch, not keep the last sample's contribution.
    """
    raise NotImplementedError("conv.conv2d_backward: return (dx, dw, db) for the loss sum(dout * out)")


def maxpool2d(x, kernel_size=2, stride=2):
    """Max pooling over square windows (``F.max_pool2d``, no padding).

    Each channel of each sample is pooled on its own:

        out[n, c, i, j] = max of x[n, c, i*stride : i*stride + k, j*stride : j*stride + k]

    with ``k = kernel_size``.  The windows overlap when ``stride < k`` and leave gaps when
    ``stride > k``; an incomplete last window is dropped, as in the convolution.

    Shapes: ``x (N, C, H, W)``; ``kernel_size`` and ``stride`` are ints.
    Returns: ``out``, an ``(N, C, Ho, Wo)`` array with Ho = (H - k) // stride + 1 and
    Wo = (W - k) // stride + 1.
    Pitfall: take the maximum over the two window axes only (``axis=(2, 3)`` of
    ``x[:, :, rows, cols]``); a bare ``.max()`` mixes all samples and channels.  A running
    maximum must not start at 0: windows may be entirely negative.
    """
    raise NotImplementedError("conv.maxpool2d: take the maximum of every kernel_size x kernel_size window")
