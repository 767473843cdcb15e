"""Model answers for ``derivatives``: finite differences, gradient checking, gradient descent."""

import numpy as np


def partial_derivative(f, point, i, h=1e-5):
    """Central difference of ``f(*point)`` along coordinate ``i``."""
    step = np.zeros(len(point))
    step[i] = h
    point = np.asarray(point, dtype=np.float64)
    return float((f(*(point + step)) - f(*(point - step))) / (2 * h))


def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of the scalar ``f(x)``, one entry at a time; shaped like ``x``."""
    x = np.array(x, dtype=np.float64)  # a private copy: the caller's x is never touched
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def gradient_check(f, grad_f, x, h=1e-5):
    """Largest entrywise relative error between ``grad_f(x)`` and the numerical gradient."""
    analytic = np.asarray(grad_f(np.array(x, dtype=np.float64)), dtype=np.float64)
    numeric = numerical_gradient(f, x, h)
    errors = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    return float(np.max(errors))


def gradient_descent(grad_f, x0, lr=0.1, steps=100):
    """``steps`` updates ``x <- x - lr * grad_f(x)`` from ``x0``; returns the final ``x``."""
    x = np.array(x0, dtype=np.float64)
    for _ in range(steps):
        x = x - lr * grad_f(x)
    return x
