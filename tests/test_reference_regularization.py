"""The ``regularization`` oracles agree with independent computations: hand-worked examples,
NumPy closed forms and central finite differences for the penalties, the defining properties
of inverted dropout, and a second, differently structured early-stopping rule.  The binomial
band the dropout check relies on is checked against exact binomial tails."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from grader.stats import LOG_RISK, binomial_band
from reference import regularization as ref
from tests.support import grade_impl, numeric_grad


def _w(seed, shape, zeros=False):
    gen = np.random.default_rng(seed)
    w = gen.uniform(0.1, 2.0, size=shape) * gen.choice([-1.0, 1.0], size=shape)
    if zeros:
        w[gen.random(shape) < 0.4] = 0.0
    return w


# penalties -----------------------------------------------------------------------------------

def test_l1_hand_worked():
    penalty, grad = ref.l1_penalty(np.array([-2.0, 0.0, 0.5]), 0.3)
    assert isinstance(penalty, float)
    assert penalty == pytest.approx(0.75, abs=1e-15)
    np.testing.assert_array_equal(grad, [-0.3, 0.0, 0.3])   # the subgradient at 0 is 0


def test_l2_hand_worked():
    penalty, grad = ref.l2_penalty(np.array([[1.0, -2.0], [0.0, 3.0]]), 0.5)
    assert penalty == pytest.approx(7.0, abs=1e-15)
    np.testing.assert_allclose(grad, [[1.0, -2.0], [0.0, 3.0]], rtol=0, atol=1e-15)


def test_elastic_net_hand_worked():
    penalty, grad = ref.elastic_net(np.array([-1.0, 0.0, 2.0]), 0.1, 0.25)
    assert penalty == pytest.approx(0.1 * 3 + 0.25 * 5, abs=1e-15)
    np.testing.assert_allclose(grad, [-0.1 - 0.5, 0.0, 0.1 + 1.0], rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed,shape", [(0, (5,)), (1, (3, 4)), (2, (6, 2))])
def test_penalties_closed_form_and_finite_differences(seed, shape):
    w = _w(seed, shape)
    lam, l1, l2 = 0.3, 0.05, 0.7
    cases = [(ref.l1_penalty(w, lam), lambda: lam * np.abs(w).sum(), lam * np.sign(w)),
             (ref.l2_penalty(w, lam), lambda: lam * (w ** 2).sum(), 2 * lam * w),
             (ref.elastic_net(w, l1, l2), lambda: l1 * np.abs(w).sum() + l2 * (w ** 2).sum(),
              l1 * np.sign(w) + 2 * l2 * w)]
    for (penalty, grad), f, closed_grad in cases:
        assert isinstance(penalty, float) and grad.shape == shape and grad.dtype == np.float64
        assert penalty == pytest.approx(f(), rel=1e-14)
        np.testing.assert_allclose(grad, closed_grad, rtol=1e-14, atol=0)
        np.testing.assert_allclose(grad, numeric_grad(f, w), rtol=1e-6, atol=1e-8)


def test_penalty_gradients_at_zero_entries():
    w = _w(3, (4, 5), zeros=True)
    assert (w == 0).any()
    _, g1 = ref.l1_penalty(w, 0.3)
    _, g = ref.elastic_net(w, 0.3, 0.7)
    np.testing.assert_array_equal(g1[w == 0], 0.0)
    np.testing.assert_array_equal(g[w == 0], 0.0)
    np.testing.assert_allclose(g1, 0.3 * np.sign(w), rtol=1e-15, atol=0)


# dropout -------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.2, 0.5, 0.75])
def test_dropout_properties(p):
    x = _w(4, (40, 45))
    before = x.copy()
    out = ref.dropout(x, p, training=True, seed=7)
    np.testing.assert_array_equal(x, before)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / (1 - p), rtol=1e-15, atol=0)
    lo, hi = binomial_band(x.size, p)
    assert lo <= 1 - kept.mean() <= hi
    # same seed, same output; another seed, another mask
    np.testing.assert_array_equal(out, ref.dropout(x, p, training=True, seed=7))
    assert not np.array_equal(out, ref.dropout(x, p, training=True, seed=8))


def test_dropout_identity_cases():
    x = _w(5, (6, 7))
    np.testing.assert_array_equal(ref.dropout(x, 0.5, training=False, seed=1), x)
    np.testing.assert_array_equal(ref.dropout(x, 0.0, training=True, seed=1), x)


def test_dropout_leaves_torch_global_generator_alone():
    state = torch.get_rng_state()
    ref.dropout(_w(6, (5, 4)), 0.3, seed=11)
    assert torch.equal(state, torch.get_rng_state())


def _exact_binomial_tails(n, p, lo, hi):
    """P(X < n*lo) and P(X > n*hi) for X ~ Binomial(n, p), summed in log space."""
    def pmf(k):
        return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                        + k * math.log(p) + (n - k) * math.log1p(-p))
    below = sum(pmf(k) for k in range(n + 1) if k < n * lo)
    above = sum(pmf(k) for k in range(n + 1) if k > n * hi)
    return below, above


@pytest.mark.parametrize("n,p", [(930, 0.25), (930, 0.8), (1980, 0.2), (1500, 0.75), (2560, 0.0455)])
def test_binomial_band_bounds_the_exact_tails(n, p):
    lo, hi = binomial_band(n, p)
    below, above = _exact_binomial_tails(n, p, lo, hi)
    assert below <= math.exp(-LOG_RISK) and above <= math.exp(-LOG_RISK)
    assert lo < p < hi
    # and the band is not needlessly wide: one more count outside either edge is not that rare
    assert _exact_binomial_tails(n, p, lo + 0.05, hi - 0.05)[0] > 1e-9


# early_stopping ------------------------------------------------------------------------------

@pytest.mark.parametrize("losses,patience,min_delta,expected", [
    ([1.0, 0.8, 0.8, 0.7, 0.75, 0.75, 0.6], 2, 0.0, (5, 3)),    # the stub's example
    ([3.0, 2.0, 2.0, 2.0, 1.0], 2, 0.0, (3, 1)),                 # ties never improve
    ([3.0, 2.0, 2.0, 1.0, 0.5], 2, 0.0, (4, 4)),                 # never stops: the last index
    ([5.0], 1, 0.0, (0, 0)),                                      # a single epoch
    ([5.0, 6.0], 1, 0.0, (1, 0)),                                 # patience 1 stops at once
    ([4.0, 3.5, 3.75, 3.5, 1.0], 2, 0.5, (2, 0)),                # a decrease of exactly min_delta
    ([4.0, 3.0, 2.75, 2.5, 1.0], 3, 0.5, (4, 4)),                # small decreases, then a real one
    ([4.0, 3.0, 2.75, 2.625, 2.5], 3, 0.5, (4, 1)),              # small decreases never count
    ([4.0, 5.0, 3.0, 6.0, 6.0, 2.0, 7.0, 7.0], 2, 0.0, (4, 2)),  # the counter restarts after epoch 2
])
def test_early_stopping_hand_worked(losses, patience, min_delta, expected):
    for form in (losses, np.array(losses)):
        got = ref.early_stopping(form, patience, min_delta)
        assert got == expected and all(type(v) is int for v in got)


def _stopping_by_flags(losses, patience, min_delta):
    """An independent formulation: flag the improving epochs, then look for the first window of
    ``patience`` epochs without a flag."""
    flags, best = [], math.inf
    for loss in losses:
        flags.append(loss < best - min_delta)
        if flags[-1]:
            best = loss
    for end in range(len(losses)):
        window = flags[end - patience + 1: end + 1] if end >= patience else flags[1: end + 1]
        if len(window) == patience and not any(window):
            return end, max(i for i in range(end + 1) if flags[i])
    return len(losses) - 1, max(i for i, f in enumerate(flags) if f)


def test_early_stopping_matches_an_independent_rule_on_random_curves():
    gen = np.random.default_rng(0)
    for _ in range(300):
        losses = list(gen.integers(0, 12, size=gen.integers(1, 25)) / 4)
        patience = int(gen.integers(1, 6))
        min_delta = float(gen.choice([0.0, 0.25, 0.5]))
        assert ref.early_stopping(losses, patience, min_delta) == _stopping_by_flags(losses, patience, min_delta)


# dropout mistakes re-written with other random draws are still named --------------------------

def _mask(seed, shape, keep):
    return np.random.default_rng([seed, 3]).uniform(size=shape) < keep


def _no_rescale(x, p, training=True, seed=0):
    return x.copy() if not training or p == 0 else np.where(_mask(seed, x.shape, 1 - p), x, 0.0)


def _kept_with_probability_p(x, p, training=True, seed=0):
    return x.copy() if not training else np.where(_mask(seed, x.shape, p), x / (1 - p), 0.0)


@pytest.mark.parametrize("mistake,impl", [("no_rescale", _no_rescale),
                                          ("kept_with_probability_p", _kept_with_probability_p)])
def test_rewritten_dropout_mistakes_are_named(mistake, impl):
    result = grade_impl("regularization", "dropout", impl, seed=1)
    named = {c.diagnosis.id for c in result.checks if c.diagnosis}
    assert result.status == "failed" and named == {f"dropout.{mistake}"}, \
        [(c.id, c.status, c.message, c.diagnosis) for c in result.checks]
