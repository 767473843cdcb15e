"""Model answers for ``conv``: 2-D cross-correlation forward and backward, and max pooling, NCHW."""

from __future__ import annotations

import numpy as np


def _windows(xp, kh, kw, stride, out_h, out_w):
    """View of the windows of ``xp``: ``(N, C, out_h, out_w, kh, kw)``, without copying."""
    return np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[
        :, :, ::stride, ::stride][:, :, :out_h, :out_w]


def conv2d(x, w, b, stride=1, padding=0):
    """Cross-correlation as F.conv2d: pad, take every window at the stride, contract with w."""
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    out_h = (H + 2 * padding - kh) // stride + 1
    out_w = (W + 2 * padding - kw) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = _windows(xp, kh, kw, stride, out_h, out_w)
    return np.einsum("nchwij,fcij->nfhw", win, w) + b[None, :, None, None]


def conv2d_backward(dout, x, w, stride=1, padding=0):
    """Gradients of ``sum(dout * conv2d(x, w, b, stride, padding))``: (dx, dw, db)."""
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    out_h, out_w = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    db = dout.sum(axis=(0, 2, 3))
    dw = np.einsum("nfhw,nchwij->fcij", dout, _windows(xp, kh, kw, stride, out_h, out_w))
    # every kernel tap (i, j) saw the strided grid of inputs starting at (i, j); send the gradient back there
    dxp = np.zeros_like(xp)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += \
                np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    dx = dxp[:, :, padding:padding + H, padding:padding + W]
    return dx, dw, db


def maxpool2d(x, kernel_size=2, stride=2):
    """The largest value of every ``kernel_size x kernel_size`` window, windows ``stride`` apart."""
    win = np.lib.stride_tricks.sliding_window_view(x, (kernel_size, kernel_size), axis=(2, 3))
    return win[:, :, ::stride, ::stride].max(axis=(4, 5))
