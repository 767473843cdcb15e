"""Model answers for ``init``: Xavier uniform and He normal initialisation."""

from __future__ import annotations

import numpy as np


def xavier_uniform(fan_in, fan_out, seed=0):
    """Uniform on [-b, b] with b = sqrt(6 / (fan_in + fan_out)), shape (fan_in, fan_out)."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.default_rng(seed).uniform(-bound, bound, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, seed=0):
    """Normal with mean 0 and standard deviation sqrt(2 / fan_in), shape (fan_in, fan_out)."""
    std = np.sqrt(2.0 / fan_in)
    return np.random.default_rng(seed).normal(0.0, std, size=(fan_in, fan_out))
