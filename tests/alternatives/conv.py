"""Correct ``conv`` answers written differently from solutions/conv.py.

Each ``<function>__<variant>`` follows the CURRICULUM contract exactly and must score full marks.
"""

import math

import numpy as np


def _zero_padded(x, p):
    """Padding by assignment into a bigger zero array instead of np.pad."""
    N, C, H, W = x.shape
    xp = np.zeros((N, C, H + 2 * p, W + 2 * p))
    xp[:, :, p:p + H, p:p + W] = x
    return xp


# conv2d --------------------------------------------------------------------------------------

def conv2d__naive_loops(x, w, b, stride=1, padding=0):
    """CS231n's four nested loops, one window at a time; sizes with math.floor."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    Ho = 1 + math.floor((H + 2 * padding - kh) / stride)
    Wo = 1 + math.floor((W + 2 * padding - kw) / stride)
    xp = np.pad(x, [(0, 0), (0, 0), (padding, padding), (padding, padding)], mode="constant")
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


def conv2d__im2col_matmul(x, w, b, stride=1, padding=0):
    """Windows unrolled into the rows of a (N*Ho*Wo, C*kh*kw) matrix, then one matrix product."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    Ho = (H + 2 * padding - kh) // stride + 1
    Wo = (W + 2 * padding - kw) // stride + 1
    xp = _zero_padded(x, padding)
    cols = np.empty((N, Ho, Wo, C, kh, kw))
    for i in range(Ho):
        for j in range(Wo):
            cols[:, i, j] = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
    out = cols.reshape(N * Ho * Wo, -1) @ w.reshape(F, -1).T + b
    return out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)


def conv2d__tap_accumulation(x, w, b, stride=1, padding=0):
    """Loops over the kernel taps: each tap multiplies a strided grid of inputs by a (F, C) matrix."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    Ho = (H + 2 * padding - kh) // stride + 1
    Wo = (W + 2 * padding - kw) // stride + 1
    xp = _zero_padded(x, padding)
    out = np.broadcast_to(b.reshape(1, F, 1, 1), (N, F, Ho, Wo)).copy()
    for u in range(kh):
        for v in range(kw):
            grid = xp[:, :, u:u + stride * (Ho - 1) + 1:stride, v:v + stride * (Wo - 1) + 1:stride]
            out += np.einsum("nchw,fc->nfhw", grid, w[:, :, u, v])
    return out


def conv2d__fft(x, w, b, stride=1, padding=0):
    """Cross-correlation through the FFT (conj of the kernel's transform), valid part, subsampled."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = _zero_padded(x, padding)
    Hp, Wp = xp.shape[2:]
    Ho = (Hp - kh) // stride + 1
    Wo = (Wp - kw) // stride + 1
    X = np.fft.rfft2(xp)                       # (N, C, Hp, Wp//2+1)
    K = np.conj(np.fft.rfft2(w, s=(Hp, Wp)))   # (F, C, Hp, Wp//2+1)
    full = np.fft.irfft2(np.einsum("nchw,fchw->nfhw", X, K), s=(Hp, Wp))
    return full[:, :, :(Ho - 1) * stride + 1:stride, :(Wo - 1) * stride + 1:stride] + b[:, None, None]


# conv2d_backward -----------------------------------------------------------------------------

def conv2d_backward__naive_loops(dout, x, w, stride=1, padding=0):
    """CS231n's loops: every output sends dout * w back to its window and dout * window to dw."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.zeros(F)
    for n in range(N):
        for f in range(F):
            db[f] += dout[n, f].sum()
            for i in range(Ho):
                for j in range(Wo):
                    rows = slice(i * stride, i * stride + kh)
                    cols = slice(j * stride, j * stride + kw)
                    dxp[n, :, rows, cols] += w[f] * dout[n, f, i, j]
                    dw[f] += xp[n, :, rows, cols] * dout[n, f, i, j]
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, db


def conv2d_backward__im2col_col2im(dout, x, w, stride=1, padding=0):
    """Matrix products on the unrolled windows, then col2im with np.add.at; returned as a list."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    _, _, Ho, Wo = dout.shape
    xp = _zero_padded(x, padding)
    # index arrays of every window element: rows (Ho, kh) and columns (Wo, kw) of the padded input
    r = (np.arange(Ho) * stride)[:, None] + np.arange(kh)[None, :]
    c = (np.arange(Wo) * stride)[:, None] + np.arange(kw)[None, :]
    cols = xp[:, :, r[:, None, :, None], c[None, :, None, :]]          # (N, C, Ho, Wo, kh, kw)
    cols = cols.transpose(0, 2, 3, 1, 4, 5).reshape(N * Ho * Wo, C * kh * kw)
    d = dout.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, F)
    dw = (d.T @ cols).reshape(w.shape)
    dcols = (d @ w.reshape(F, -1)).reshape(N, Ho, Wo, C, kh, kw).transpose(0, 3, 1, 2, 4, 5)
    dxp = np.zeros_like(xp)
    np.add.at(dxp, (slice(None), slice(None), r[:, None, :, None], c[None, :, None, :]), dcols)
    return [dxp[:, :, padding:padding + H, padding:padding + W], dw, np.sum(d, axis=0)]


def conv2d_backward__dilated_full_correlation(dout, x, w, stride=1, padding=0):
    """The textbook form: dout dilated by the stride; dx is its full correlation with the kernel
    rotated by 180 degrees, dw its correlation with the padded input."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    _, _, Ho, Wo = dout.shape
    Hp, Wp = H + 2 * padding, W + 2 * padding
    dil = np.zeros((N, F, (Ho - 1) * stride + 1, (Wo - 1) * stride + 1))
    dil[:, :, ::stride, ::stride] = dout
    # full correlation: pad the dilated gradient by k - 1 (and up to the padded size at the end)
    Dh, Dw = dil.shape[2:]
    full = np.zeros((N, F, Hp + kh - 1, Wp + kw - 1))
    full[:, :, kh - 1:kh - 1 + Dh, kw - 1:kw - 1 + Dw] = dil
    rot = w[:, :, ::-1, ::-1]
    dxp = np.zeros((N, C, Hp, Wp))
    for u in range(kh):
        for v in range(kw):
            dxp += np.einsum("nfhw,fc->nchw", full[:, :, u:u + Hp, v:v + Wp], rot[:, :, u, v])
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dw = np.empty_like(w)
    for u in range(kh):
        for v in range(kw):
            dw[:, :, u, v] = np.einsum("nchw,nfhw->fc", xp[:, :, u:u + Dh, v:v + Dw], dil)
    db = np.einsum("nfhw->f", dout)
    return dxp[:, :, padding:Hp - padding, padding:Wp - padding], dw, db


# maxpool2d -----------------------------------------------------------------------------------

def maxpool2d__loops(x, kernel_size=2, stride=2):
    """One window at a time over all samples and channels, sizes from math.floor."""
    N, C, H, W = x.shape
    Ho = math.floor((H - kernel_size) / stride) + 1
    Wo = math.floor((W - kernel_size) / stride) + 1
    out = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def maxpool2d__tap_maximum(x, kernel_size=2, stride=2):
    """A running np.maximum over the k*k strided grids, started from -inf."""
    N, C, H, W = x.shape
    Ho = (H - kernel_size) // stride + 1
    Wo = (W - kernel_size) // stride + 1
    out = np.full((N, C, Ho, Wo), -np.inf)
    for u in range(kernel_size):
        for v in range(kernel_size):
            out = np.maximum(out, x[:, :, u:u + stride * (Ho - 1) + 1:stride, v:v + stride * (Wo - 1) + 1:stride])
    return out


def maxpool2d__argmax_gather(x, kernel_size=2, stride=2):
    """Windows flattened to k*k, argmax, then the values gathered with take_along_axis (the
    indices a backward pass would keep); negated min as a cross-check of the same windows."""
    k = kernel_size
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    flat = win.reshape(win.shape[:4] + (k * k,))
    idx = np.argmax(flat, axis=-1)
    out = np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]
    assert np.array_equal(out, -np.min(-flat, axis=-1))
    return out


# Written for the outside review of modules 8-14 -----------------------------------------------

def _windows_as_strided(xp, kh, kw, stride, out_h, out_w):
    """The windows by hand with as_strided (the view numpy's sliding_window_view builds)."""
    sn, sc, sh, sw = xp.strides
    return np.lib.stride_tricks.as_strided(xp, (xp.shape[0], xp.shape[1], out_h, out_w, kh, kw),
                                           (sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def conv2d__as_strided_tensordot(x, w, b, stride=1, padding=0):
    """Explicit as_strided windows contracted with np.tensordot, channels moved last and back."""
    kh, kw = w.shape[2:]
    xp = np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))))
    out_h = (xp.shape[2] - kh) // stride + 1
    out_w = (xp.shape[3] - kw) // stride + 1
    out = np.tensordot(_windows_as_strided(xp, kh, kw, stride, out_h, out_w), w, axes=([1, 4, 5], [1, 2, 3]))
    return np.moveaxis(out + b, -1, 1)


def _im2col_indices(C, H, W, kh, kw, stride, padding):
    """CS231n's fancy-index arrays: (channel, row, column) of every column entry of im2col."""
    out_h = (H + 2 * padding - kh) // stride + 1
    out_w = (W + 2 * padding - kw) // stride + 1
    rows = np.tile(np.repeat(np.arange(kh), kw), C)[:, None] + stride * np.repeat(np.arange(out_h), out_w)[None, :]
    cols = np.tile(np.arange(kw), kh * C)[:, None] + stride * np.tile(np.arange(out_w), out_h)[None, :]
    chans = np.repeat(np.arange(C), kh * kw)[:, None]
    return chans, rows, cols, out_h, out_w


def conv2d__fancy_index_im2col_double_flip(x, w, b, stride=1, padding=0):
    """Fancy-indexed im2col, with the kernel flipped twice (a no-op some students leave in)."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    chans, rows, cols, out_h, out_w = _im2col_indices(C, H, W, kh, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2))
    twice = w[:, :, ::-1, ::-1][:, :, ::-1, ::-1]
    out = np.einsum("fk,nkl->nfl", twice.reshape(F, -1), xp[:, chans, rows, cols]) + b.reshape(1, F, 1)
    return out.reshape(N, F, out_h, out_w)


def conv2d_backward__window_loops_tensordot(dout, x, w, stride=1, padding=0):
    """One loop over the output positions; each adds its window's share with np.tensordot."""
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            r, c = i * stride, j * stride
            g = dout[:, :, i, j]
            dw += np.tensordot(g, xp[:, :, r:r + kh, c:c + kw], axes=([0], [0]))
            dxp[:, :, r:r + kh, c:c + kw] += np.tensordot(g, w, axes=([1], [0]))
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, np.einsum("nfhw->f", dout)


def conv2d_backward__fancy_index_add_at(dout, x, w, stride=1, padding=0):
    """im2col by fancy indexing; col2im with np.add.at; the padding cut with end - padding."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    chans, rows, cols, _, _ = _im2col_indices(C, H, W, kh, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2))
    d = dout.reshape(N, F, -1)
    dw = np.einsum("nfl,nkl->fk", d, xp[:, chans, rows, cols]).reshape(w.shape)
    dxp = np.zeros_like(xp)
    np.add.at(dxp, (slice(None), chans, rows, cols), np.einsum("fk,nfl->nkl", w.reshape(F, -1), d))
    dx = dxp[:, :, padding:dxp.shape[2] - padding, padding:dxp.shape[3] - padding]
    return dx.copy(), dw, d.sum(axis=2).sum(axis=0)


def maxpool2d__as_strided_view(x, kernel_size=2, stride=2):
    """as_strided windows of a contiguous copy, maximum over the last two axes."""
    x = np.ascontiguousarray(x)
    out_h = (x.shape[2] - kernel_size) // stride + 1
    out_w = (x.shape[3] - kernel_size) // stride + 1
    return _windows_as_strided(x, kernel_size, kernel_size, stride, out_h, out_w).max(axis=(-2, -1))


def maxpool2d__sorted_windows(x, kernel_size=2, stride=2):
    """Loops over the windows, each flattened and sorted; the maximum is the last element."""
    N, C, H, W = x.shape
    out_h = 1 + (H - kernel_size) // stride
    out_w = 1 + (W - kernel_size) // stride
    out = np.full((N, C, out_h, out_w), -np.inf)
    for i in range(out_h):
        for j in range(out_w):
            win = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            out[:, :, i, j] = np.sort(win.reshape(N, C, -1), axis=-1)[..., -1]
    return out
