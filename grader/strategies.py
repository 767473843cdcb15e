"""Shared hypothesis strategies: shapes with distinct dimensions and seeded value arrays.

Values come from a NumPy generator seeded by a drawn integer, so hypothesis shrinks towards
small shapes and seed 0 while the values themselves stay in the ranges a check chose (away
from kinks, near-zero variances and overflow).  Dimensions within one input differ from each
other, so a transposed or mis-reshaped answer cannot pass by accident.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def dims(count: int, low: int = 2, high: int = 7) -> st.SearchStrategy[list[int]]:
    """``count`` distinct integers in ``[low, high]``."""
    return st.lists(st.integers(low, high), min_size=count, max_size=count, unique=True)


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def uniform(gen: np.random.Generator, shape, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """float64 values uniform in ``[low, high)``."""
    return gen.uniform(low, high, size=shape)


def away_from_zero(gen: np.random.Generator, shape, low: float = 0.1, high: float = 1.0) -> np.ndarray:
    """float64 values with ``low <= |v| < high`` and random signs (keeps clear of kinks at 0)."""
    return gen.uniform(low, high, size=shape) * gen.choice([-1.0, 1.0], size=shape)
