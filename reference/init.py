"""Oracles for ``init``: ``torch.nn.init.xavier_uniform_`` and ``kaiming_normal_`` (mode
``fan_in``, ``nonlinearity="relu"``) on a float64 tensor, with a private ``torch.Generator``
seeded by ``seed``.

PyTorch stores a linear layer's weight as ``(fan_out, fan_in)`` and reads the fans from that
shape; the exercise returns ``(fan_in, fan_out)`` (``x @ W`` with ``x`` of shape
``(N, fan_in)``), so the oracles fill a ``(fan_out, fan_in)`` tensor and return its transpose.

Below the oracles, the catalogued mistakes, written in plain NumPy.
"""

from __future__ import annotations

import math

import numpy as np
from reference._torch import array, torch


def _torch_init(fill, fan_in, fan_out, seed):
    weight = torch.empty(fan_out, fan_in, dtype=torch.float64)
    fill(weight, generator=torch.Generator().manual_seed(int(seed)))
    return array(weight).T.copy()


def xavier_uniform(fan_in, fan_out, seed=0):
    return _torch_init(torch.nn.init.xavier_uniform_, fan_in, fan_out, seed)


def he_normal(fan_in, fan_out, seed=0):
    fill = lambda w, generator: torch.nn.init.kaiming_normal_(  # noqa: E731
        w, mode="fan_in", nonlinearity="relu", generator=generator)
    return _torch_init(fill, fan_in, fan_out, seed)


# Mistakes -----------------------------------------------------------------------------------

def _uniform(bound, shape, seed):
    return np.random.default_rng(seed).uniform(-bound, bound, size=shape)


def _normal(std, shape, seed):
    return np.random.default_rng(seed).normal(0.0, std, size=shape)


# xavier_uniform

def xavier_uniform__bound_with_fan_out(fan_in, fan_out, seed=0):
    return _uniform(math.sqrt(6 / fan_out), (fan_in, fan_out), seed)


def xavier_uniform__bound_with_fan_in(fan_in, fan_out, seed=0):
    return _uniform(math.sqrt(6 / fan_in), (fan_in, fan_out), seed)


def xavier_uniform__bound_without_sqrt(fan_in, fan_out, seed=0):
    return _uniform(6 / (fan_in + fan_out), (fan_in, fan_out), seed)


def xavier_uniform__std_as_bound(fan_in, fan_out, seed=0):
    return _uniform(math.sqrt(2 / (fan_in + fan_out)), (fan_in, fan_out), seed)


def xavier_uniform__normal_not_uniform(fan_in, fan_out, seed=0):
    return _normal(math.sqrt(2 / (fan_in + fan_out)), (fan_in, fan_out), seed)


def xavier_uniform__not_centred(fan_in, fan_out, seed=0):
    return np.random.default_rng(seed).random((fan_in, fan_out)) * math.sqrt(6 / (fan_in + fan_out))


def xavier_uniform__transposed(fan_in, fan_out, seed=0):
    return _uniform(math.sqrt(6 / (fan_in + fan_out)), (fan_out, fan_in), seed)


def xavier_uniform__ignored_seed(fan_in, fan_out, seed=0):
    bound = math.sqrt(6 / (fan_in + fan_out))
    return np.random.uniform(-bound, bound, size=(fan_in, fan_out))


def xavier_uniform__unseeded_generator(fan_in, fan_out, seed=0):
    bound = math.sqrt(6 / (fan_in + fan_out))
    return np.random.default_rng().uniform(-bound, bound, size=(fan_in, fan_out))


# he_normal

def he_normal__std_with_fan_out(fan_in, fan_out, seed=0):
    return _normal(math.sqrt(2 / fan_out), (fan_in, fan_out), seed)


def he_normal__variance_as_std(fan_in, fan_out, seed=0):
    return _normal(2 / fan_in, (fan_in, fan_out), seed)


def he_normal__lecun_std(fan_in, fan_out, seed=0):
    return _normal(math.sqrt(1 / fan_in), (fan_in, fan_out), seed)


def he_normal__uniform_not_normal(fan_in, fan_out, seed=0):
    # He uniform: the same variance 2/fan_in, from U(-sqrt(6/fan_in), sqrt(6/fan_in))
    return _uniform(math.sqrt(6 / fan_in), (fan_in, fan_out), seed)


def he_normal__truncated_normal(fan_in, fan_out, seed=0):
    # Keras's HeNormal: a normal cut at two standard deviations (out-of-range draws redrawn), its
    # scale raised by 1/0.8796 so that the variance is still 2/fan_in
    std = math.sqrt(2 / fan_in) / 0.87962566103423978
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, std, size=fan_in * fan_out)
    outside = np.abs(w) > 2 * std
    while outside.any():
        w[outside] = rng.normal(0.0, std, size=int(outside.sum()))
        outside = np.abs(w) > 2 * std
    return w.reshape(fan_in, fan_out)


def he_normal__transposed(fan_in, fan_out, seed=0):
    return _normal(math.sqrt(2 / fan_in), (fan_out, fan_in), seed)


def he_normal__ignored_seed(fan_in, fan_out, seed=0):
    return np.random.normal(0.0, math.sqrt(2 / fan_in), size=(fan_in, fan_out))


def he_normal__unseeded_generator(fan_in, fan_out, seed=0):
    return np.random.default_rng().normal(0.0, math.sqrt(2 / fan_in), size=(fan_in, fan_out))
