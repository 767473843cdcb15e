"""The ``init`` oracles (torch.nn.init through a private generator) have the shape, range and
statistics the contract states, with the fans the right way round, checked on large samples in
NumPy; the statistical bands the checks use hold where they should; and mistakes re-written
with other random draws are still caught and named (the checks name mistakes by statistics,
not by values)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from grader.specs.init import chi_square_band, normal_tail_band
from reference import init as ref
from tests.support import grade_impl


@pytest.mark.parametrize("oracle", [ref.xavier_uniform, ref.he_normal])
def test_shape_dtype_and_seeds(oracle):
    w = oracle(3, 5, seed=4)
    assert isinstance(w, np.ndarray) and w.shape == (3, 5) and w.dtype == np.float64
    np.testing.assert_array_equal(w, oracle(3, 5, seed=4))
    assert not np.array_equal(w, oracle(3, 5, seed=5))
    np.testing.assert_array_equal(oracle(3, 5), oracle(3, 5, seed=0))    # the default seed is 0


def test_oracles_leave_torch_global_generator_alone():
    state = torch.get_rng_state()
    ref.xavier_uniform(7, 4, seed=1)
    ref.he_normal(7, 4, seed=1)
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("fan_in,fan_out", [(60, 900), (900, 60)])
def test_xavier_uniform_range_and_variance(fan_in, fan_out):
    w = ref.xavier_uniform(fan_in, fan_out, seed=1)
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() >= 0.999 * bound            # fails with probability 0.999**54000 ~ 1e-23
    assert abs(w.mean()) <= 0.02 * bound                # ~8 standard errors
    assert w.var() == pytest.approx(2 / (fan_in + fan_out), rel=0.03)   # ~5 standard errors
    kurtosis = np.mean(w ** 4) / np.mean(w ** 2) ** 2 - 3
    assert kurtosis == pytest.approx(-1.2, abs=0.05)    # uniform, not normal (0)


@pytest.mark.parametrize("fan_in,fan_out", [(60, 900), (900, 60)])
def test_he_normal_uses_fan_in(fan_in, fan_out):
    w = ref.he_normal(fan_in, fan_out, seed=2)
    std = math.sqrt(2 / fan_in)
    assert abs(w.mean()) <= 0.04 * std                  # ~9 standard errors
    assert w.std() == pytest.approx(std, rel=0.02)      # fan_out would be off by a factor ~3.9
    assert np.mean(np.abs(w) > 2 * std) == pytest.approx(math.erfc(math.sqrt(2)), abs=0.01)


def test_bands_contain_the_truth_and_exclude_the_uniform():
    for n in (2560, 4000, 6000):
        lo, hi = chi_square_band(n)
        assert lo < 1 < hi
        tail_lo, tail_hi = normal_tail_band(n)
        assert 0 < tail_lo < math.erfc(math.sqrt(2)) < tail_hi      # P(|Z| > 2) = 4.55%


def test_chi_square_band_against_simulation():
    """The Laurent-Massart band is conservative: 20000 simulated chi-square(2560)/2560 values
    stay far inside it (their spread is ~0.028, the band's half-width ~0.2)."""
    n = 2560
    lo, hi = chi_square_band(n)
    s = np.random.default_rng(0).chisquare(n, size=20000) / n
    assert lo < s.min() and s.max() < hi
    assert hi - 1 > 5 * s.std()


def _uniform(seed, shape, bound):
    return bound * (1 - 2 * np.random.default_rng([seed, 1]).random(shape))


def _normal(seed, shape, std):
    return std * np.random.default_rng([seed, 2]).standard_normal(shape)


REWRITTEN = [
    ("xavier_uniform", "bound_with_fan_out", lambda fan_in, fan_out, seed=0: _uniform(seed, (fan_in, fan_out), math.sqrt(6 / fan_out))),
    ("xavier_uniform", "normal_not_uniform", lambda fan_in, fan_out, seed=0: _normal(seed, (fan_in, fan_out), math.sqrt(2 / (fan_in + fan_out)))),
    ("xavier_uniform", "not_centred", lambda fan_in, fan_out, seed=0: np.abs(_uniform(seed, (fan_in, fan_out), math.sqrt(6 / (fan_in + fan_out))))),
    ("he_normal", "std_with_fan_out", lambda fan_in, fan_out, seed=0: _normal(seed, (fan_in, fan_out), math.sqrt(2 / fan_out))),
    ("he_normal", "lecun_std", lambda fan_in, fan_out, seed=0: _normal(seed, (fan_in, fan_out), math.sqrt(1 / fan_in))),
    ("he_normal", "uniform_not_normal", lambda fan_in, fan_out, seed=0: _uniform(seed, (fan_in, fan_out), math.sqrt(6 / fan_in))),
]


@pytest.mark.parametrize("function,mistake,impl", REWRITTEN, ids=[f"{f}.{m}" for f, m, _ in REWRITTEN])
def test_rewritten_mistakes_are_named(function, mistake, impl):
    result = grade_impl("init", function, impl, seed=1)
    named = {c.diagnosis.id for c in result.checks if c.diagnosis}
    assert result.status == "failed" and named == {f"{function}.{mistake}"}, \
        [(c.id, c.status, c.message, c.diagnosis) for c in result.checks]
