"""The ``conv`` oracles agree with independent computations: hand-worked examples, a plain
NumPy loop over every window written here, and central finite differences of that loop (NumPy
only, so the gradient tests do not lean on PyTorch at all)."""

from __future__ import annotations

import numpy as np
import pytest

from reference import conv as ref
from tests.support import numeric_grad


def _loop_conv(x, w, b, stride, padding):
    """out[n, f, i, j] = b[f] + sum_{c,u,v} xp[n, c, i*s + u, j*s + v] * w[f, c, u, v], one by one."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    xp[:, :, padding:padding + H, padding:padding + W] = x
    Ho, Wo = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    out = np.empty((N, F, Ho, Wo))
    for n, f, i, j in np.ndindex(N, F, Ho, Wo):
        total = b[f]
        for c, u, v in np.ndindex(C, kh, kw):
            total += xp[n, c, i * stride + u, j * stride + v] * w[f, c, u, v]
        out[n, f, i, j] = total
    return out


def _loop_pool(x, k, stride):
    N, C, H, W = x.shape
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    out = np.empty((N, C, Ho, Wo))
    for n, c, i, j in np.ndindex(N, C, Ho, Wo):
        out[n, c, i, j] = max(x[n, c, i * stride + u, j * stride + v] for u in range(k) for v in range(k))
    return out


def _assert_array(value, shape):
    assert isinstance(value, np.ndarray) and value.dtype == np.float64 and value.shape == shape


# (N, C, F, H, W, kh, kw, stride, padding): stride 1 and more, padding 0 and more, windows that
# tile the padded input and windows that leave a remainder
CASES = [(2, 3, 4, 5, 4, 3, 2, 1, 0), (3, 2, 2, 6, 7, 2, 3, 2, 1), (2, 2, 3, 7, 5, 3, 1, 3, 2),
         (1, 3, 2, 6, 5, 2, 3, 2, 0), (2, 1, 3, 5, 7, 3, 2, 3, 1)]


# conv2d --------------------------------------------------------------------------------------

def test_conv2d_hand_worked():
    # w = [[1, 0], [0, -1]]: each output is (top-left - bottom-right) of its window, plus 0.5;
    # cross-correlation, so the kernel is not flipped (flipped, the sign would change)
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    b = np.array([0.5])
    np.testing.assert_allclose(ref.conv2d(x, w, b), [[[[-3.5, -3.5], [-3.5, -3.5]]]], atol=1e-14)
    # padding 1 on every side, stride 2: the padded 5x5 image gives 2x2 windows at rows/cols 0, 2;
    # e.g. window (0, 1) is xp[0, 2] - xp[1, 3] = 0 - x[0, 2] = -2
    out = ref.conv2d(x, w, b, stride=2, padding=1)
    np.testing.assert_allclose(out, [[[[0.5, -1.5], [-5.5, -3.5]]]], atol=1e-14)


@pytest.mark.parametrize("case", CASES)
def test_conv2d_matches_loops(case):
    N, C, F, H, W, kh, kw, stride, padding = case
    gen = np.random.default_rng(sum(case))
    x, w, b = gen.uniform(-1, 1, (N, C, H, W)), gen.uniform(-1, 1, (F, C, kh, kw)), gen.uniform(-1, 1, F)
    out = ref.conv2d(x, w, b, stride=stride, padding=padding)
    _assert_array(out, ((N, F, (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1)))
    np.testing.assert_allclose(out, _loop_conv(x, w, b, stride, padding), rtol=1e-12, atol=1e-13)


def test_conv2d_defaults_are_stride_one_no_padding():
    gen = np.random.default_rng(3)
    x, w, b = gen.uniform(-1, 1, (2, 2, 5, 4)), gen.uniform(-1, 1, (3, 2, 2, 3)), gen.uniform(-1, 1, 3)
    np.testing.assert_allclose(ref.conv2d(x, w, b), _loop_conv(x, w, b, 1, 0), rtol=1e-12, atol=1e-13)


# conv2d_backward -----------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES[1:4])
def test_conv2d_backward_finite_differences(case):
    N, C, F, H, W, kh, kw, stride, padding = case
    gen = np.random.default_rng(10 + sum(case))
    x, w, b = gen.uniform(-1, 1, (N, C, H, W)), gen.uniform(-1, 1, (F, C, kh, kw)), gen.uniform(-1, 1, F)
    dout = gen.uniform(-1, 1, _loop_conv(x, w, b, stride, padding).shape)
    dx, dw, db = ref.conv2d_backward(dout, x, w, stride=stride, padding=padding)
    loss = lambda: float(np.sum(dout * _loop_conv(x, w, b, stride, padding)))
    _assert_array(dx, x.shape)
    _assert_array(dw, w.shape)
    _assert_array(db, (F,))
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dw, numeric_grad(loss, w), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, numeric_grad(loss, b), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)), rtol=1e-13)


def test_conv2d_backward_dropped_rows_get_zero_gradient():
    # H = 6, kh = 3, stride 2, no padding: windows start at rows 0 and 2, so row 5 is never read
    gen = np.random.default_rng(4)
    x, w = gen.uniform(-1, 1, (2, 2, 6, 7)), gen.uniform(-1, 1, (3, 2, 3, 2))
    dout = gen.uniform(-1, 1, (2, 3, 2, 3))
    dx, _, _ = ref.conv2d_backward(dout, x, w, stride=2, padding=0)
    _assert_array(dx, x.shape)
    assert np.all(dx[:, :, 5, :] == 0) and np.all(dx[:, :, :, 6] == 0)
    assert np.all(np.abs(dx[:, :, :5, :6]).sum(axis=(0, 1)) > 0)


def test_conv2d_backward_hand_worked():
    # one 1x1 output over a 2x2 image: dx = dout * w, dw = dout * x, db = dout
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    w = np.array([[[[0.5, -1.0], [2.0, 0.0]]]])
    dx, dw, db = ref.conv2d_backward(np.array([[[[3.0]]]]), x, w)
    np.testing.assert_allclose(dx, 3.0 * w, atol=1e-14)
    np.testing.assert_allclose(dw, 3.0 * x, atol=1e-14)
    np.testing.assert_allclose(db, [3.0], atol=1e-14)


# maxpool2d -----------------------------------------------------------------------------------

def test_maxpool2d_hand_worked():
    x = np.array([[[[1.0, 5.0, -2.0, 0.0, 9.0],
                    [3.0, -1.0, 4.0, 7.0, 8.0],
                    [-6.0, -5.0, -3.0, -4.0, 2.0],
                    [-8.0, -7.0, 6.0, -9.0, 1.0]]]])
    # default 2x2, stride 2: the fifth column is the leftover and is dropped
    out = ref.maxpool2d(x)
    _assert_array(out, (1, 1, 2, 2))
    np.testing.assert_array_equal(out, [[[[5.0, 7.0], [-5.0, 6.0]]]])
    # 3x3 windows at stride 1 overlap: 2x3 outputs
    np.testing.assert_array_equal(ref.maxpool2d(x, kernel_size=3, stride=1),
                                  [[[[5.0, 7.0, 9.0], [6.0, 7.0, 8.0]]]])


@pytest.mark.parametrize("shape,k,stride", [((2, 3, 6, 5), 2, 2), ((3, 2, 7, 8), 3, 2), ((2, 2, 5, 9), 2, 3),
                                            ((1, 3, 6, 7), 3, 1), ((2, 1, 8, 10), 3, 3)])
def test_maxpool2d_matches_loops(shape, k, stride):
    gen = np.random.default_rng(sum(shape) + k + stride)
    x = gen.permutation(np.prod(shape)).reshape(shape) / 10.0 - 3.0
    out = ref.maxpool2d(x, kernel_size=k, stride=stride)
    _assert_array(out, shape[:2] + ((shape[2] - k) // stride + 1, (shape[3] - k) // stride + 1))
    np.testing.assert_array_equal(out, _loop_pool(x, k, stride))
