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
        inner = ", ".join(f"{k}={_four_digits(v)}" for k, v in self.params.items())
        return f"{self.name}({inner})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Fn) and other.name == self.name
                and self.params.keys() == other.params.keys()
                and all(np.array_equal(v, other.params[k]) for k, v in self.params.items()))

    __hash__ = None  # mutable parameters


def _four_digits(value: Any) -> str:
    """A parameter as a student can read it: numbers to four significant digits."""
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        return repr(value)
    if array.ndim == 0:
        return f"{array.item():.4g}"
    return np.array2string(array, separator=", ", max_line_width=10**6,
                           formatter={"float_kind": lambda x: f"{x:.4g}"}).replace("\n", "")


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


# Smooth, non-quadratic test functions (module ``derivatives``) ---------------------------------
#
#     s(v) = a . sin(W v + b) + c . exp(v)        v = the flattened input, W (K, n)
#
# Every derivative of every order is bounded and of order one on [-1, 1]^n, the coordinates are
# coupled through W, and the third derivatives do not vanish, so a central difference has a
# visible O(h^2) error at a large step and a forward difference an O(h) error.  A zero column of
# W together with c_j = 0 makes s exactly independent of v_j (0 * v_j is exactly 0), so both the
# numerical and the analytic gradient are exactly 0 there.

def _smooth_parts(W, a, b, c):
    W, a, b, c = (np.asarray(p, dtype=np.float64) for p in (W, a, b, c))
    if W.ndim != 2 or a.shape != (W.shape[0],) or b.shape != (W.shape[0],) or c.shape != (W.shape[1],):
        raise ValueError("smooth: W must be (K, n), a and b (K,), c (n,)")
    return W, a, b, c


def _flat(x, n: int, what: str) -> np.ndarray:
    v = np.asarray(x, dtype=np.float64).reshape(-1)
    if v.size != n:
        raise ValueError(f"{what} was called with an array of {v.size} values; it expects {n}")
    return v


def _smooth_value(W, a, b, c, v) -> float:
    return float(a @ np.sin(W @ v + b) + c @ np.exp(v))


def _smooth_gradient(W, a, b, c, v) -> np.ndarray:
    return W.T @ (a * np.cos(W @ v + b)) + c * np.exp(v)


@builder("smooth")
def _smooth(W, a, b, c):
    """f(x) = a.sin(W x + b) + c.exp(x) on the flattened x (any shape with n values) -> float."""
    W, a, b, c = _smooth_parts(W, a, b, c)
    n = W.shape[1]

    def f(x):
        return _smooth_value(W, a, b, c, _flat(x, n, "f"))
    return f


@builder("smooth_coords")
def _smooth_coords(W, a, b, c):
    """The same function of the n coordinates passed as separate arguments: f(*point)."""
    W, a, b, c = _smooth_parts(W, a, b, c)
    n = W.shape[1]

    def f(*coords):
        if len(coords) != n or any(np.ndim(v) != 0 for v in coords):
            raise TypeError(f"f takes the {n} coordinates as {n} separate numbers, f(*point); "
                            f"it was called with {len(coords)} argument(s)")
        return _smooth_value(W, a, b, c, np.array(coords, dtype=np.float64))
    return f


@builder("smooth_grad")
def _smooth_grad(W, a, b, c):
    """The exact gradient of ``smooth``, shaped like x."""
    W, a, b, c = _smooth_parts(W, a, b, c)
    n = W.shape[1]

    def grad_f(x):
        shape = np.shape(x)
        return _smooth_gradient(W, a, b, c, _flat(x, n, "grad_f")).reshape(shape)
    return grad_f


@builder("smooth_grad_scaled")
def _smooth_grad_scaled(W, a, b, c, scale):
    """A deliberately wrong gradient of ``smooth``: the exact one times ``scale`` (n,) entrywise.

    Entries with ``scale == 1`` are right; the others model a dropped factor or a flipped sign.
    """
    W, a, b, c = _smooth_parts(W, a, b, c)
    n = W.shape[1]
    scale = np.asarray(scale, dtype=np.float64).reshape(n)

    def grad_f(x):
        shape = np.shape(x)
        return (scale * _smooth_gradient(W, a, b, c, _flat(x, n, "grad_f"))).reshape(shape)
    return grad_f


# A well-conditioned convex function that is not quadratic (gradient descent) -------------------
#
#     g(v) = 0.5 v.A.v + b.v + sum_j c_j log cosh(v_j - m_j)
#
# Its Hessian A + diag(c / cosh^2(v - m)) lies between A and A + diag(c), so with A symmetric
# positive definite g is strongly convex and smooth, and plain gradient descent converges for
# any learning rate below 2 / (lambda_max(A) + max c).

def _convex_parts(A, b, c, m):
    A, b, c, m = (np.asarray(p, dtype=np.float64) for p in (A, b, c, m))
    n = b.shape[0]
    if A.shape != (n, n) or c.shape != (n,) or m.shape != (n,):
        raise ValueError("convex: A must be (n, n), b, c and m (n,)")
    return A, b, c, m


@builder("convex")
def _convex(A, b, c, m):
    """f(x) = 0.5 x.A.x + b.x + sum c log cosh(x - m) on the flattened x -> float."""
    A, b, c, m = _convex_parts(A, b, c, m)

    def f(x):
        v = _flat(x, b.shape[0], "f")
        u = v - m
        logcosh = np.abs(u) + np.log1p(np.exp(-2.0 * np.abs(u))) - np.log(2.0)
        return float(0.5 * v @ A @ v + b @ v + c @ logcosh)
    return f


@builder("convex_grad")
def _convex_grad(A, b, c, m):
    """The gradient A x + b + c tanh(x - m) of ``convex``, shaped like x."""
    A, b, c, m = _convex_parts(A, b, c, m)

    def grad_f(x):
        shape = np.shape(x)
        v = _flat(x, b.shape[0], "grad_f")
        return (A @ v + b + c * np.tanh(v - m)).reshape(shape)
    return grad_f
