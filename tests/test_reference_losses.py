"""The ``losses`` oracles agree with independent computations: hand-worked numbers, plain
Python/NumPy closed forms written here (loops with ``math``), central finite differences of
those closed forms, and the limits of the logit losses at +-1000.  A last group checks that the
spec's strategies draw what its docstring promises (both Huber branches, p at 0 and 1, logits
beyond exp's overflow, zeros in p)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grader.specs import losses as spec
from reference import losses as ref
from tests.support import numeric_grad


@pytest.fixture
def gen():
    return np.random.default_rng(2024)


def _assert_float(value):
    assert isinstance(value, float) and math.isfinite(value)


# Closed forms, one element at a time ---------------------------------------------------------

def _mean(values):
    values = list(values)
    return math.fsum(values) / len(values)


def _pairs(a, b):
    return zip(np.ravel(a).tolist(), np.ravel(b).tolist())


def _huber_loop(t, p, delta):
    def one(r):
        return 0.5 * r * r if abs(r) < delta else delta * (abs(r) - 0.5 * delta)
    return _mean(one(pi - ti) for ti, pi in _pairs(t, p))


def _bce_loop(y, p, eps):
    def one(yi, pi):
        pi = min(max(pi, eps), 1 - eps)
        return -(yi * math.log(pi) + (1 - yi) * math.log(1 - pi))
    return _mean(one(yi, pi) for yi, pi in _pairs(y, p))


def _ce_loop(logits, labels):
    rows = []
    for row, label in zip(logits.tolist(), labels.tolist()):
        m = max(row)
        rows.append(m + math.log(sum(math.exp(v - m) for v in row)) - row[label])
    return _mean(rows)


def _kl_loop(p, q):
    return _mean(math.fsum(pi * math.log(pi / qi) for pi, qi in zip(pr, qr) if pi > 0)
                 for pr, qr in zip(p.tolist(), q.tolist()))


# mse, mse_grad, mae --------------------------------------------------------------------------

def test_regression_hand_worked():
    t, p = np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 0.0])
    assert ref.mse(t, p) == pytest.approx(13 / 3, rel=1e-15)      # (0 + 4 + 9) / 3
    assert ref.mae(t, p) == pytest.approx(5 / 3, rel=1e-15)       # (0 + 2 + 3) / 3
    np.testing.assert_allclose(ref.mse_grad(t, p), [0.0, 4 / 3, -2.0], rtol=1e-15)  # 2 r / 3
    _assert_float(ref.mse(t, p))
    _assert_float(ref.mae(t, p))


@pytest.mark.parametrize("shape", [(7,), (3, 5), (6, 2)])
def test_regression_closed_forms(gen, shape):
    t, p = gen.uniform(-2, 2, shape), gen.uniform(-2, 2, shape)
    assert ref.mse(t, p) == pytest.approx(_mean((b - a) ** 2 for a, b in _pairs(t, p)), rel=1e-13)
    assert ref.mae(t, p) == pytest.approx(_mean(abs(b - a) for a, b in _pairs(t, p)), rel=1e-13)
    grad = ref.mse_grad(t, p)
    assert grad.shape == shape and grad.dtype == np.float64
    loss = lambda: _mean((b - a) ** 2 for a, b in _pairs(t, p))
    np.testing.assert_allclose(grad, numeric_grad(loss, p), rtol=1e-6, atol=1e-9)


# huber ---------------------------------------------------------------------------------------

def test_huber_hand_worked():
    t = np.zeros(3)
    # delta 1: 0.5*0.25, 1*(2 - 0.5), 1*(3 - 0.5) -> (0.125 + 1.5 + 2.5) / 3
    assert ref.huber(t, np.array([0.5, -2.0, 3.0])) == pytest.approx(4.125 / 3, rel=1e-15)
    # delta 2: 0.5*1, 2*(3 - 1) -> (0.5 + 4) / 2
    assert ref.huber(np.zeros(2), np.array([1.0, -3.0]), delta=2.0) == pytest.approx(2.25, rel=1e-15)


@pytest.mark.parametrize("shape,delta", [((8,), 1.0), ((3, 4), 2.5), ((5, 2), 0.4)])
def test_huber_closed_form_and_limits(gen, shape, delta):
    t = gen.uniform(-2, 2, shape)
    p = t + delta * gen.uniform(-3, 3, shape)
    value = ref.huber(t, p, delta=delta)
    _assert_float(value)
    assert value == pytest.approx(_huber_loop(t, p, delta), rel=1e-13)
    small = t + 0.5 * delta * gen.uniform(-1, 1, shape)   # all quadratic: half the MSE
    assert ref.huber(t, small, delta=delta) == pytest.approx(0.5 * ref.mse(t, small), rel=1e-13)


# binary_cross_entropy ------------------------------------------------------------------------

def test_bce_hand_worked():
    value = ref.binary_cross_entropy(np.array([1.0, 0.0]), np.array([0.8, 0.4]))
    assert value == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, rel=1e-14)


def test_bce_clips_at_0_and_1():
    y, p = np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0, 0.0])
    value = ref.binary_cross_entropy(y, p)
    _assert_float(value)
    # wrong-label terms are -log(1e-12) and -log(1 - (1 - 1e-12)); right-label ones -log(1 - 1e-12)
    want = (-math.log(1e-12) - math.log(1 - (1 - 1e-12)) - 2 * math.log(1 - 1e-12)) / 4
    assert value == pytest.approx(want, rel=1e-14)
    assert value == pytest.approx(_bce_loop(y, p, 1e-12), rel=1e-14)
    # clipping, not only the exact endpoints: p inside (0, eps) counts as eps
    assert ref.binary_cross_entropy(np.array([1.0]), np.array([1e-5]), eps=1e-2) == pytest.approx(-math.log(1e-2))


@pytest.mark.parametrize("eps", [1e-12, 1e-2, 1e-7, 0.1])
def test_bce_closed_form(gen, eps):
    y = gen.integers(0, 2, (4, 5)).astype(float)
    p = gen.uniform(0, 1, (4, 5))
    p[0, :2], y[0, :2] = [0.0, 1.0], [1.0, 0.0]
    p[1, 0] = eps / 3
    assert ref.binary_cross_entropy(y, p, eps=eps) == pytest.approx(_bce_loop(y, p, eps), rel=1e-13)


# binary_cross_entropy_with_logits ------------------------------------------------------------

def test_bce_logits_limits():
    y, x = np.array([0.0, 1.0, 1.0, 0.0, 1.0]), np.array([1000.0, 1000.0, -1000.0, -1000.0, 0.0])
    value = ref.binary_cross_entropy_with_logits(y, x)
    _assert_float(value)
    # terms: 1000, 0, 1000, 0 (up to e^-1000) and log 2
    assert value == pytest.approx((2000 + math.log(2)) / 5, rel=1e-15)


@pytest.mark.parametrize("shape", [(9,), (3, 4)])
def test_bce_logits_equals_bce_of_sigmoid(gen, shape):
    y = gen.integers(0, 2, shape).astype(float)
    x = gen.uniform(-6, 6, shape)
    sig = 1 / (1 + np.exp(-x))
    assert ref.binary_cross_entropy_with_logits(y, x) == pytest.approx(_bce_loop(y, sig, 0.0), rel=1e-12)


# softmax_cross_entropy -----------------------------------------------------------------------

def test_ce_hand_worked():
    # equal logits over 3 classes: loss log 3, gradient 1/3 - one_hot, divided by N = 2
    loss, grad = ref.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 2]))
    assert loss == pytest.approx(math.log(3), rel=1e-15)
    np.testing.assert_allclose(grad, np.array([[-2, 1, 1], [1, 1, -2]]) / 6, rtol=1e-14)


@pytest.mark.parametrize("n,c", [(4, 3), (2, 5), (6, 2)])
def test_ce_closed_form_and_finite_differences(gen, n, c):
    logits, labels = gen.uniform(-4, 4, (n, c)), gen.integers(0, c, n)
    loss, grad = ref.softmax_cross_entropy(logits, labels)
    _assert_float(loss)
    assert grad.shape == (n, c) and grad.dtype == np.float64
    assert loss == pytest.approx(_ce_loop(logits, labels), rel=1e-13)
    np.testing.assert_allclose(grad, numeric_grad(lambda: _ce_loop(logits, labels), logits), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)


def test_ce_large_logits_shift_invariance(gen):
    logits, labels = gen.uniform(-8, 8, (4, 3)), gen.integers(0, 3, 4)
    offsets = np.array([[990.0], [-950.0], [760.0], [-800.0]])
    loss, grad = ref.softmax_cross_entropy(logits + offsets, labels)
    assert np.isfinite(grad).all()
    assert loss == pytest.approx(_ce_loop(logits, labels), rel=1e-11)
    np.testing.assert_allclose(grad, ref.softmax_cross_entropy(logits, labels)[1], rtol=1e-10, atol=1e-13)


# hinge_loss ----------------------------------------------------------------------------------

def test_hinge_hand_worked():
    # margins 2, -0.5, -1 -> max(0, 1 - m) = 0, 1.5, 2
    value = ref.hinge_loss(np.array([1.0, -1.0, 1.0]), np.array([2.0, 0.5, -1.0]))
    assert value == pytest.approx(3.5 / 3, rel=1e-15)
    _assert_float(value)


@pytest.mark.parametrize("shape", [(8,), (3, 5)])
def test_hinge_closed_form(gen, shape):
    y, s = gen.choice([-1.0, 1.0], shape), gen.uniform(-3, 3, shape)
    want = _mean(max(0.0, 1 - yi * si) for yi, si in _pairs(y, s))
    assert ref.hinge_loss(y, s) == pytest.approx(want, rel=1e-13)


# kl_divergence -------------------------------------------------------------------------------

def test_kl_hand_worked():
    p, q = np.array([[0.5, 0.5], [1.0, 0.0]]), np.array([[0.25, 0.75], [0.5, 0.5]])
    # row 1: 0.5 log 2 + 0.5 log(2/3); row 2: log 2 (the p = 0 term is 0); mean over 2 rows
    want = (0.5 * math.log(2) + 0.5 * math.log(2 / 3) + math.log(2)) / 2
    value = ref.kl_divergence(p, q)
    _assert_float(value)
    assert value == pytest.approx(want, rel=1e-14)
    assert ref.kl_divergence(q, q) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("n,c,zeros", [(3, 4, False), (5, 2, False), (4, 5, True)])
def test_kl_closed_form(gen, n, c, zeros):
    p, q = gen.uniform(0.05, 1, (n, c)), gen.uniform(0.05, 1, (n, c))
    if zeros:
        p[0, 1:] = 0.0
        p[2, :2] = 0.0
    p, q = p / p.sum(1, keepdims=True), q / q.sum(1, keepdims=True)
    assert ref.kl_divergence(p, q) == pytest.approx(_kl_loop(p, q), rel=1e-13)


# The strategies draw what the spec promises --------------------------------------------------

FEW = settings(max_examples=30, deadline=None, database=None, derandomize=True,
               suppress_health_check=list(HealthCheck))


@FEW
@given(spec.huber_inputs(delta=spec.DELTAS))
def test_huber_inputs_cover_both_branches(args):
    ratio = np.abs(args["y_pred"] - args["y_true"]) / args["delta"]
    assert (ratio < 0.95).any() and (ratio > 1.05).any() and not ((ratio > 0.95) & (ratio < 1.05)).any()


@FEW
@given(spec.bce_inputs(edges=True, eps=spec.BCE_EPS))
def test_bce_edge_inputs_hit_both_infinite_logs(args):
    y, p = args["y_true"].ravel(), args["p"].ravel()
    assert ((p == 0) & (y == 1)).any() and ((p == 1) & (y == 0)).any()
    assert ((p >= 0.02) & (p <= 0.98)).sum() >= p.size - (p.size // 2 + 1)  # ordinary p remain


@FEW
@given(spec.logit_inputs(large=-1))
def test_logit_inputs_reach_overflow(args):
    x, y = args["logits"].ravel(), args["y_true"].ravel()
    big = x < -710
    assert np.abs(x).max() <= 1000 and (y[big] == 1).any() and (y[big] == 0).any()


@FEW
@given(spec.ce_inputs(large=True))
def test_ce_inputs_shift_rows_both_ways(args):
    logits = args["logits"]
    assert logits.shape[0] != logits.shape[1] and args["labels"].dtype == np.int64
    assert logits.max() > 740 and logits.min() < -740 and np.abs(logits).max() <= 1000
    assert (np.ptp(logits, axis=1) <= 16).all()


@FEW
@given(spec.hinge_inputs(2))
def test_hinge_inputs_mix_margins(args):
    m = args["y_true"] * args["scores"]
    assert (m > 1).any() and ((m > 0) & (m < 1)).any() and (m < 0).any()


@FEW
@given(spec.kl_inputs(zeros=True))
def test_kl_inputs_have_zeros_and_distributions(args):
    p, q = args["p"], args["q"]
    assert (p == 0).any() and (p.max(axis=1) > 0).all() and q.min() >= 0.01
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
