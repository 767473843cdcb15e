"""The ``activations`` oracles against hand-worked numbers, 50-digit ``decimal`` arithmetic
(which neither overflows nor underflows at |x| = 1000) and finite differences, without torch."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

from grader.specs.activations import axes_in_order, extreme_logits
from reference import activations as ref
from tests.support import numeric_grad

# Points where the float64 formulas get delicate: both ends of the range, the band where
# exp(-x) overflows, the tails where sigmoid(x) rounds to 1 and values near 0.
POINTS = np.array([-1000.0, -745.0, -720.0, -709.5, -700.0, -30.0, -3.5, -1e-3, 0.0, 2e-3,
                   0.75, 15.0, 30.0, 709.9, 1000.0])


def _dec(fn, x):
    """``fn`` (of a Decimal) applied to every entry of ``x`` with 50 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 50
        return np.array([float(fn(Decimal(float(v)))) for v in np.ravel(x)]).reshape(np.shape(x))


def _dec_sigmoid(d):
    return 1 / (1 + (-d).exp())


def _dec_tanh(d):
    return ((2 * d).exp() - 1) / ((2 * d).exp() + 1)


def _dec_slices(x, axis, log=False):
    """Softmax (or log-softmax) of every slice along ``axis``, in 50-digit decimal."""
    out = np.empty_like(x)
    moved_in, moved_out = np.moveaxis(x, axis, -1), np.moveaxis(out, axis, -1)
    with localcontext() as ctx:
        ctx.prec = 50
        for idx in np.ndindex(moved_in.shape[:-1]):
            row = [Decimal(float(v)) for v in moved_in[idx]]
            total = sum(d.exp() for d in row)
            moved_out[idx] = [float(d - total.ln()) if log else float(d.exp() / total) for d in row]
    return out


def _assert_array(value, shape):
    assert isinstance(value, np.ndarray) and value.dtype == np.float64 and value.shape == shape


def _data(seed, shape, high=3.0, gap=1e-2):
    """Values of both signs with |x| in [gap, high] (clear of ReLU's kink)."""
    gen = np.random.default_rng(seed)
    return gen.uniform(gap, high, size=shape) * gen.choice([-1.0, 1.0], size=shape)


# sigmoid and its derivative -----------------------------------------------------------------

def test_sigmoid_hand_worked():
    # sigmoid(ln 3) = 1 / (1 + 1/3) = 3/4, sigmoid(-ln 3) = 1/4, sigmoid(0) = 1/2
    out = ref.sigmoid(np.array([np.log(3.0), -np.log(3.0), 0.0]))
    np.testing.assert_allclose(out, [0.75, 0.25, 0.5], rtol=1e-15)


def test_sigmoid_matches_decimal_over_the_contract_range():
    out = ref.sigmoid(POINTS)
    _assert_array(out, POINTS.shape)
    assert np.isfinite(out).all()
    # exact to ~1 ulp where the value is normal; below 1e-300 torch may flush to 0
    np.testing.assert_allclose(out, _dec(_dec_sigmoid, POINTS), rtol=1e-14, atol=1e-300)


def test_sigmoid_grad_matches_the_closed_form():
    # s (1 - s) in decimal; torch rounds s near 1, so its tails are exact to ~1e-16 absolute
    want = _dec(lambda d: _dec_sigmoid(d) * (1 - _dec_sigmoid(d)), POINTS)
    out = ref.sigmoid_grad(POINTS)
    _assert_array(out, POINTS.shape)
    np.testing.assert_allclose(out, want, rtol=1e-13, atol=1e-15)
    assert ref.sigmoid_grad(np.array([0.0]))[0] == 0.25


@pytest.mark.parametrize("seed,shape", [(0, (3, 4)), (1, (2, 3, 2))])
def test_sigmoid_grad_finite_differences(seed, shape):
    x = _data(seed, shape, high=6.0)
    loss = lambda: float(np.sum(1.0 / (1.0 + np.exp(-x))))
    out = ref.sigmoid_grad(x)
    _assert_array(out, shape)
    np.testing.assert_allclose(out, numeric_grad(loss, x), rtol=1e-6, atol=1e-9)


# tanh and its derivative --------------------------------------------------------------------

def test_tanh_matches_decimal_and_hand_worked():
    # tanh(ln 2) = (4 - 1) / (4 + 1) = 3/5
    np.testing.assert_allclose(ref.tanh(np.array([np.log(2.0)])), [0.6], rtol=1e-15)
    out = ref.tanh(POINTS)
    _assert_array(out, POINTS.shape)
    np.testing.assert_allclose(out, _dec(_dec_tanh, POINTS), rtol=1e-14, atol=1e-16)


def test_tanh_grad_matches_the_closed_form():
    # 1 - tanh**2 = 4 / (e^x + e^-x)**2; torch's 1 - t*t is exact to ~1e-16 absolute
    want = _dec(lambda d: 4 / (d.exp() + (-d).exp()) ** 2, POINTS)
    out = ref.tanh_grad(POINTS)
    _assert_array(out, POINTS.shape)
    np.testing.assert_allclose(out, want, rtol=1e-13, atol=1e-15)
    assert ref.tanh_grad(np.array([0.0]))[0] == 1.0


@pytest.mark.parametrize("seed,shape", [(2, (4, 3)), (3, (5,))])
def test_tanh_grad_finite_differences(seed, shape):
    x = _data(seed, shape)
    loss = lambda: float(np.sum(np.tanh(x)))
    np.testing.assert_allclose(ref.tanh_grad(x), numeric_grad(loss, x), rtol=1e-6, atol=1e-9)


# relu, leaky relu and their derivatives -----------------------------------------------------

def test_relu_and_relu_grad_hand_worked():
    x = np.array([[-2.0, 0.0, 3.5], [1000.0, -1000.0, 1e-3]])
    out = ref.relu(x)
    _assert_array(out, (2, 3))
    np.testing.assert_array_equal(out, [[0.0, 0.0, 3.5], [1000.0, 0.0, 1e-3]])
    grad = ref.relu_grad(x)
    _assert_array(grad, (2, 3))
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])  # 0 at exactly 0


@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.3, 0.999])
def test_leaky_relu_hand_worked(alpha):
    x = np.array([-4.0, -1e-3, 0.0, 2.0, 1000.0])
    np.testing.assert_allclose(ref.leaky_relu(x, alpha=alpha),
                               [-4.0 * alpha, -1e-3 * alpha, 0.0, 2.0, 1000.0], rtol=1e-15)
    grad = ref.leaky_relu_grad(x, alpha=alpha)
    _assert_array(grad, (5,))
    np.testing.assert_array_equal(grad, [alpha, alpha, alpha, 1.0, 1.0])  # alpha at exactly 0


def test_leaky_relu_default_alpha_is_one_hundredth():
    x = np.array([-5.0, 0.0, 5.0])
    np.testing.assert_allclose(ref.leaky_relu(x), [-0.05, 0.0, 5.0], rtol=1e-15)
    np.testing.assert_array_equal(ref.leaky_relu_grad(x), [0.01, 0.01, 1.0])


@pytest.mark.parametrize("seed,shape,alpha", [(4, (3, 5), 0.2), (5, (2, 2, 3), 0.0)])
def test_piecewise_grads_finite_differences(seed, shape, alpha):
    x = _data(seed, shape)  # |x| >= 1e-2 > h: the difference never straddles the kink
    relu_loss = lambda: float(np.sum(np.maximum(x, 0.0)))
    leaky_loss = lambda: float(np.sum(np.where(x > 0, x, alpha * x)))
    np.testing.assert_allclose(ref.relu_grad(x), numeric_grad(relu_loss, x), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ref.leaky_relu_grad(x, alpha=alpha), numeric_grad(leaky_loss, x),
                               rtol=1e-7, atol=1e-9)


# softmax and log-softmax --------------------------------------------------------------------

def test_softmax_hand_worked():
    # exp([0, ln 2, ln 3]) = [1, 2, 3], normalised by 6
    x = np.log(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(ref.softmax(x), [1 / 6, 2 / 6, 3 / 6], rtol=1e-15)
    np.testing.assert_allclose(ref.log_softmax(x), np.log([1 / 6, 2 / 6, 3 / 6]), rtol=1e-15)
    # two equal logits at 1000: each gets 1/2; log-softmax -ln 2, not -inf or NaN
    np.testing.assert_allclose(ref.softmax(np.array([1000.0, 1000.0])), [0.5, 0.5], rtol=1e-15)
    np.testing.assert_allclose(ref.log_softmax(np.array([1000.0, 1000.0])), [-np.log(2)] * 2, rtol=1e-15)
    # a gap of 2000: softmax is exactly one-hot, log-softmax is -2000 for the small entry
    np.testing.assert_allclose(ref.log_softmax(np.array([1000.0, -1000.0])), [0.0, -2000.0], atol=1e-300)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_softmax_and_log_softmax_on_every_axis(shape):
    x = np.random.default_rng(6).uniform(-8.0, 8.0, size=shape)
    for axis in axes_in_order(len(shape)):
        out = ref.softmax(x, axis=axis)
        _assert_array(out, shape)
        np.testing.assert_allclose(out, _dec_slices(x, axis), rtol=1e-14)
        np.testing.assert_allclose(out.sum(axis=axis), 1.0, rtol=1e-14)
        log_out = ref.log_softmax(x, axis=axis)
        _assert_array(log_out, shape)
        np.testing.assert_allclose(log_out, _dec_slices(x, axis, log=True), rtol=1e-14, atol=1e-14)
    # the default axis is the last one
    np.testing.assert_array_equal(ref.softmax(x), ref.softmax(x, axis=-1))
    np.testing.assert_array_equal(ref.log_softmax(x), ref.log_softmax(x, axis=len(shape) - 1))


@pytest.mark.parametrize("seed,shape,axis", [(7, (3, 4), 0), (8, (2, 3, 4), -2), (9, (6,), 0), (10, (4, 2, 3), 2)])
def test_softmax_and_log_softmax_at_the_extremes(seed, shape, axis):
    x = extreme_logits(np.random.default_rng(seed), shape, axis)
    assert np.abs(x).max() == 1000.0
    out, log_out = ref.softmax(x, axis=axis), ref.log_softmax(x, axis=axis)
    assert np.isfinite(out).all() and np.isfinite(log_out).all()
    np.testing.assert_allclose(out, _dec_slices(x, axis), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(log_out, _dec_slices(x, axis, log=True), rtol=1e-13, atol=1e-12)
    assert log_out.min() < -745.0  # some probabilities are far below float64's smallest


def test_extreme_logits_stress_every_overflow():
    # the draws the extreme checks rely on: +-1000 in one slice, a slice far below the array's
    # maximum (all of exp(x - global max) underflows) and a slice where exp(x) overflows
    x = extreme_logits(np.random.default_rng(11), (3, 4, 2), 1)
    slices = np.moveaxis(x, 1, -1).reshape(-1, 4)
    assert np.abs(x).max() <= 1000.0
    assert any(1000.0 in s and -1000.0 in s for s in slices)
    assert (slices.max(axis=1) < x.max() - 745.0).any()
    assert (slices.min(axis=1) > 710.0).any()


def test_softmax_is_shift_invariant_and_inputs_untouched():
    x = np.random.default_rng(12).uniform(-3.0, 3.0, size=(4, 5))
    before = x.copy()
    np.testing.assert_allclose(ref.softmax(x + 500.0, axis=0), ref.softmax(x, axis=0), rtol=1e-12)
    np.testing.assert_allclose(np.exp(ref.log_softmax(x, axis=1)), ref.softmax(x, axis=1), rtol=1e-13)
    for fn in (ref.sigmoid, ref.sigmoid_grad, ref.tanh, ref.tanh_grad, ref.relu, ref.relu_grad,
               ref.leaky_relu, ref.leaky_relu_grad, ref.softmax, ref.log_softmax):
        fn(x)
    np.testing.assert_array_equal(x, before)
