"""Callables that checks hand to student functions (``f``, ``grad_f``), described as data.

A check cannot send a Python function to the sandboxed child, so it sends ``Fn(name, **params)``
and both sides rebuild the same function with :func:`build`.  This file is loaded by the child
process by path, so it must depend on nothing but NumPy and the standard library.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

_BUILDERS: dict[str, Callable[..., Callable]] = {}


class Fn:
    """A description of a function: a registered builder's name and its parameters."""

    def __init__(self, name: str, **params: Any):
        if name not in _BUILDERS:
            raise KeyError(f"no test function named {name!r}")
        self.name = name
        self.params = params

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={np.asarray(v).tolist()!r}" for k, v in self.params.items())
        return f"{self.name}({inner})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Fn) and other.name == self.name
                and self.params.keys() == other.params.keys()
                and all(np.array_equal(v, other.params[k]) for k, v in self.params.items()))

    __hash__ = None  # mutable parameters


def builder(name: str):
    """Register ``make(**params) -> callable`` under ``name``."""
    def register(make: Callable[..., Callable]) -> Callable[..., Callable]:
        _BUILDERS[name] = make
        return make
    return register


def build(name: str, params: dict) -> Callable:
    """The callable that ``Fn(name, **params)`` describes."""
    return _BUILDERS[name](**params)


@builder("quadratic")
def _quadratic(A, b):
    """f(x) = 0.5 * x.A.x + b.x on the flattened x (A symmetric)."""
    A, b = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)

    def f(x):
        v = np.asarray(x, dtype=np.float64).ravel()
        return float(0.5 * v @ A @ v + b @ v)
    return f


@builder("quadratic_grad")
def _quadratic_grad(A, b):
    """The gradient A x + b of ``quadratic``, shaped like x."""
    A, b = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)

    def grad_f(x):
        x = np.asarray(x, dtype=np.float64)
        return (A @ x.ravel() + b).reshape(x.shape)
    return grad_f
