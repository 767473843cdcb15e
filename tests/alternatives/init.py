"""Correct ``init`` answers written differently from solutions/init.py.

Each ``<function>__<variant>`` follows the CURRICULUM contract exactly and must score full marks.
"""

import math

import numpy as np


# xavier_uniform ------------------------------------------------------------------------------

def xavier_uniform__scaled_unit_interval(fan_in, fan_out, seed=0):
    """(2u - 1) * b from rng.random(), the bound from math.sqrt."""
    rng = np.random.default_rng(seed)
    b = math.sqrt(6) / math.sqrt(fan_in + fan_out)
    return (2.0 * rng.random((fan_in, fan_out)) - 1.0) * b


def xavier_uniform__flat_then_reshape(fan_in, fan_out, seed=0):
    """Draws a flat vector with keyword arguments, then reshapes it; the bound via variance * 3."""
    variance = 2.0 / (fan_in + fan_out)
    b = np.sqrt(3.0 * variance)
    flat = np.random.default_rng(seed=seed).uniform(low=-b, high=b, size=fan_in * fan_out)
    return flat.reshape(fan_in, fan_out)


def xavier_uniform__row_by_row(fan_in, fan_out, seed=0):
    """One row per input unit, drawn in a loop and stacked."""
    rng = np.random.default_rng(seed)
    b = (6.0 / (fan_in + fan_out)) ** 0.5
    return np.stack([b * (1.0 - 2.0 * rng.random(fan_out)) for _ in range(fan_in)])


# he_normal -----------------------------------------------------------------------------------

def he_normal__standard_normal_scaled(fan_in, fan_out, seed=0):
    """rng.standard_normal times the standard deviation."""
    return np.random.default_rng(seed).standard_normal((fan_in, fan_out)) * math.sqrt(2 / fan_in)


def he_normal__box_muller(fan_in, fan_out, seed=0):
    """Normal draws built from uniforms with the Box-Muller transform."""
    rng = np.random.default_rng(seed)
    n = fan_in * fan_out
    u1 = 1.0 - rng.random(n)            # in (0, 1], so the log is finite
    u2 = rng.random(n)
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return (z * np.sqrt(2.0 / fan_in)).reshape(fan_in, fan_out)


def he_normal__drawn_transposed(fan_in, fan_out, seed=0):
    """Draws in PyTorch's (fan_out, fan_in) layout and transposes to the asked shape."""
    w = np.random.default_rng(seed).normal(scale=np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
    return w.T
