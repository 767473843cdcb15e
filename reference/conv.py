"""Oracles for ``conv``: ``F.conv2d`` and ``F.max_pool2d`` in float64, and autograd through
``F.conv2d`` for the backward pass (the loss is ``sum(dout * conv2d(x, w, b))``, so the
gradients are vector-Jacobian products with ``dout``; the bias gradient does not depend on the
bias's value, so a zero bias stands in for it).

Below the oracles, the catalogued mistakes: wrong implementations students really write,
named ``<function>__<mistake>`` and written in plain NumPy.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reference._torch import F, array, tensor, torch


def conv2d(x, w, b, stride=1, padding=0):
    return array(F.conv2d(tensor(x), tensor(w), tensor(b), stride=stride, padding=padding))


def conv2d_backward(dout, x, w, stride=1, padding=0):
    xt = tensor(x, requires_grad=True)
    wt = tensor(w, requires_grad=True)
    bt = torch.zeros(np.shape(w)[0], dtype=torch.float64, requires_grad=True)
    out = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    (out * tensor(dout)).sum().backward()
    return array(xt.grad), array(wt.grad), array(bt.grad)


def maxpool2d(x, kernel_size=2, stride=2):
    return array(F.max_pool2d(tensor(x), kernel_size, stride))


# Mistakes -----------------------------------------------------------------------------------
# Shared NumPy pieces (correct unless a mistake says otherwise).

def _pad(x, top, bottom, left, right, value=0.0):
    """Pad the two spatial axes of an NCHW array."""
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def _windows(xp, kh, kw, stride, out_h, out_w):
    """The first ``out_h x out_w`` windows of ``xp`` at ``stride``: (N, C, out_h, out_w, kh, kw)."""
    return sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :out_h, :out_w]


def _correlate(xp, w, b, stride, out_h, out_w):
    """Cross-correlation of the (already padded) ``xp`` with ``w`` plus the bias."""
    win = _windows(xp, w.shape[2], w.shape[3], stride, out_h, out_w)
    return np.einsum("nchwij,fcij->nfhw", win, w) + b[:, None, None]


def _out_size(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def _conv(x, w, b, stride, padding):
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    return _correlate(_pad(x, padding, padding, padding, padding), w, b, stride,
                      _out_size(H, kh, stride, padding), _out_size(W, kw, stride, padding))


def _scatter(dout, w, stride, shape):
    """dL/d(padded input) of shape ``shape``: each output's gradient times the kernel, added back
    onto the window that output was computed from."""
    dxp = np.zeros(shape)
    out_h, out_w = dout.shape[2:]
    for i in range(w.shape[2]):
        for j in range(w.shape[3]):
            dxp[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += \
                np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    return dxp


def _dw(dout, x, w, stride, padding):
    out_h, out_w = dout.shape[2:]
    win = _windows(_pad(x, padding, padding, padding, padding), w.shape[2], w.shape[3], stride, out_h, out_w)
    return np.einsum("nfhw,nchwij->fcij", dout, win)


def _padded_shape(x, padding):
    N, C, H, W = x.shape
    return (N, C, H + 2 * padding, W + 2 * padding)


def _backward(dout, x, w, stride, padding):
    """Correct (dx padded, dw, db)."""
    return (_scatter(dout, w, stride, _padded_shape(x, padding)), _dw(dout, x, w, stride, padding),
            dout.sum(axis=(0, 2, 3)))


def _unpad(dxp, padding):
    H, W = dxp.shape[2:]
    return dxp[:, :, padding:H - padding, padding:W - padding]


# conv2d

def conv2d__flipped_kernel(x, w, b, stride=1, padding=0):
    return _conv(x, w[:, :, ::-1, ::-1], b, stride, padding)


def conv2d__forgot_bias(x, w, b, stride=1, padding=0):
    return _conv(x, w, np.zeros_like(b), stride, padding)


def conv2d__padding_one_side(x, w, b, stride=1, padding=0):
    # np.pad(x, ((0, 0), (0, 0), (0, p), (0, p))): zeros after the image only
    xp = _pad(x, 0, padding, 0, padding)
    kh, kw = w.shape[2:]
    return _correlate(xp, w, b, stride, (xp.shape[2] - kh) // stride + 1, (xp.shape[3] - kw) // stride + 1)


def conv2d__padding_ignored(x, w, b, stride=1, padding=0):
    return _conv(x, w, b, stride, 0)


def conv2d__output_size_ignores_padding(x, w, b, stride=1, padding=0):
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    return _correlate(_pad(x, padding, padding, padding, padding), w, b, stride,
                      (H - kh) // stride + 1, (W - kw) // stride + 1)


def conv2d__output_size_missing_plus_one(x, w, b, stride=1, padding=0):
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    return _correlate(_pad(x, padding, padding, padding, padding), w, b, stride,
                      (H + 2 * padding - kh) // stride, (W + 2 * padding - kw) // stride)


def conv2d__partial_window_kept(x, w, b, stride=1, padding=0):
    # ceil((H + 2p - kh) / s) + 1 windows; the last one reads zeros past the padding
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    out_h = -(-(H + 2 * padding - kh) // stride) + 1
    out_w = -(-(W + 2 * padding - kw) // stride) + 1
    xp = _pad(x, padding, padding + stride, padding, padding + stride)
    return _correlate(xp, w, b, stride, out_h, out_w)


def conv2d__stride_ignored(x, w, b, stride=1, padding=0):
    return _conv(x, w, b, 1, padding)


def conv2d__window_start_not_strided(x, w, b, stride=1, padding=0):
    # the output size is right, but window (i, j) starts at row i, column j instead of i*stride, j*stride
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    return _correlate(_pad(x, padding, padding, padding, padding), w, b, 1,
                      _out_size(H, kh, stride, padding), _out_size(W, kw, stride, padding))


# conv2d_backward

def conv2d_backward__dx_flipped_kernel(dout, x, w, stride=1, padding=0):
    _, dw, db = _backward(dout, x, w, stride, padding)
    dxp = _scatter(dout, w[:, :, ::-1, ::-1], stride, _padded_shape(x, padding))
    return _unpad(dxp, padding), dw, db


def conv2d_backward__dx_padding_not_removed(dout, x, w, stride=1, padding=0):
    return _backward(dout, x, w, stride, padding)


def conv2d_backward__dx_padding_sliced_p_minus_p(dout, x, w, stride=1, padding=0):
    dxp, dw, db = _backward(dout, x, w, stride, padding)
    return dxp[:, :, padding:-padding, padding:-padding], dw, db


def conv2d_backward__dx_padding_cropped_at_end(dout, x, w, stride=1, padding=0):
    dxp, dw, db = _backward(dout, x, w, stride, padding)
    H, W = x.shape[2:]
    return dxp[:, :, :H, :W], dw, db


def conv2d_backward__dx_sized_from_windows(dout, x, w, stride=1, padding=0):
    # the padded gradient sized (Ho - 1) * s + kh, which misses rows no window reached
    _, dw, db = _backward(dout, x, w, stride, padding)
    N, C = x.shape[:2]
    out_h, out_w = dout.shape[2:]
    shape = (N, C, (out_h - 1) * stride + w.shape[2], (out_w - 1) * stride + w.shape[3])
    return _unpad(_scatter(dout, w, stride, shape), padding), dw, db


def conv2d_backward__dw_last_sample_only(dout, x, w, stride=1, padding=0):
    dxp, _, db = _backward(dout, x, w, stride, padding)
    dw = _dw(dout[-1:], x[-1:], w, stride, padding)
    return _unpad(dxp, padding), dw, db


def conv2d_backward__dw_averaged(dout, x, w, stride=1, padding=0):
    dxp, dw, db = _backward(dout, x, w, stride, padding)
    return _unpad(dxp, padding), dw / x.shape[0], db


def conv2d_backward__db_not_summed_over_space(dout, x, w, stride=1, padding=0):
    dxp, dw, _ = _backward(dout, x, w, stride, padding)
    return _unpad(dxp, padding), dw, dout.sum(axis=0)


def conv2d_backward__db_kept_dims(dout, x, w, stride=1, padding=0):
    dxp, dw, _ = _backward(dout, x, w, stride, padding)
    return _unpad(dxp, padding), dw, dout.sum(axis=(0, 2, 3), keepdims=True)


def conv2d_backward__stride_ignored(dout, x, w, stride=1, padding=0):
    dxp, dw, db = _backward(dout, x, w, 1, padding)
    return _unpad(dxp, padding), dw, db


def conv2d_backward__dx_assigned_not_accumulated(dout, x, w, stride=1, padding=0):
    # CS231n's naive loops with `=` for `+=`: where windows overlap, the last (filter, window) written wins
    _, dw, db = _backward(dout, x, w, stride, padding)
    dxp = np.zeros(_padded_shape(x, padding))
    kh, kw = w.shape[2:]
    out_h, out_w = dout.shape[2:]
    for f in range(w.shape[0]):
        for i in range(out_h):
            for j in range(out_w):
                dxp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw] = \
                    dout[:, f, i, j][:, None, None, None] * w[f]
    return _unpad(dxp, padding), dw, db


# maxpool2d

def _pool(x, kernel_size, stride, reduce=np.max):
    return reduce(sliding_window_view(x, (kernel_size, kernel_size), axis=(2, 3))[:, :, ::stride, ::stride],
                  axis=(-2, -1))


def maxpool2d__average_pooling(x, kernel_size=2, stride=2):
    return _pool(x, kernel_size, stride, np.mean)


def maxpool2d__stride_ignored(x, kernel_size=2, stride=2):
    return _pool(x, kernel_size, 1)


def maxpool2d__kernel_as_stride(x, kernel_size=2, stride=2):
    return _pool(x, kernel_size, kernel_size)


def maxpool2d__max_over_batch_and_channels(x, kernel_size=2, stride=2):
    # x[:, :, rows, cols].max() without an axis: one number for all samples and channels
    win = sliding_window_view(x, (kernel_size, kernel_size), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.broadcast_to(win.max(axis=(0, 1, 4, 5)), win.shape[:4]).copy()


def maxpool2d__loop_range_misses_last_window(x, kernel_size=2, stride=2):
    # for i in range(0, H - k, stride): the stop is exclusive, so a last window starting exactly at
    # H - k is never visited (windows that do not tile happen to come out right)
    H, W = x.shape[2:]
    rows, cols = range(0, H - kernel_size, stride), range(0, W - kernel_size, stride)
    return _pool(x, kernel_size, stride)[:, :, :len(rows), :len(cols)]


def maxpool2d__max_initialised_to_zero(x, kernel_size=2, stride=2):
    return np.maximum(_pool(x, kernel_size, stride), 0.0)


def maxpool2d__partial_window_kept(x, kernel_size=2, stride=2):
    # ceil((H - k) / s) + 1 windows, the last one cut off at the edge (ceil_mode=True)
    H, W = x.shape[2:]
    out_h = -(-(H - kernel_size) // stride) + 1
    out_w = -(-(W - kernel_size) // stride) + 1
    xp = _pad(x, 0, stride, 0, stride, value=-np.inf)
    return _pool(xp, kernel_size, stride)[:, :, :out_h, :out_w]


def maxpool2d__height_width_swapped(x, kernel_size=2, stride=2):
    return _pool(x, kernel_size, stride).transpose(0, 1, 3, 2).copy()
