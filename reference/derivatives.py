"""Oracles for ``derivatives``: central differences, the gradient check, and gradient descent.

Where the contract *defines* the number (the central difference with the given ``h``, the
largest relative error of the gradient check) the oracle evaluates that formula literally,
perturbing one coordinate of a private copy with ``x + h`` and ``x - h``: the graded value is
the finite difference itself, not the exact derivative.  PyTorch has no finite-difference
operator to call (``torch.autograd.gradcheck`` computes them internally); the tests compare
these oracles with ``torch.autograd`` instead.  Gradient descent is ``torch.optim``'s SGD.

Below the oracles, the wrong implementations students commonly write, named
``<function>__<mistake>``.
"""

from __future__ import annotations

import numpy as np

from reference._torch import array, lazy, tensor, torch

functional_sgd = lazy("torch.optim.sgd", "sgd")


def partial_derivative(f, point, i, h=1e-5):
    point = np.array(point, dtype=np.float64)
    plus, minus = point.copy(), point.copy()
    plus[i] = point[i] + h
    minus[i] = point[i] - h
    return float((f(*plus) - f(*minus)) / (2 * h))


def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] = x[idx] + h
        minus[idx] = x[idx] - h
        grad[idx] = (f(plus) - f(minus)) / (2 * h)
    return grad


def _relative_errors(analytic, numeric):
    a, n = tensor(analytic), tensor(numeric)
    return (a - n).abs() / torch.clamp(a.abs() + n.abs(), min=1e-12)


def gradient_check(f, grad_f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(grad_f(x.copy()), dtype=np.float64)
    numeric = numerical_gradient(f, x, h)
    return float(_relative_errors(analytic, numeric).max())


def gradient_descent(grad_f, x0, lr=0.1, steps=100):
    """``steps`` updates of torch.optim's SGD (its functional form, which ``SGD.step`` runs)."""
    param = tensor(x0)
    for _ in range(steps):
        functional_sgd([param], [tensor(grad_f(array(param)))], [None], weight_decay=0.0,
                            momentum=0.0, lr=lr, dampening=0.0, nesterov=False, maximize=False,
                            foreach=False)
    return array(param)


# Mistakes -----------------------------------------------------------------------------------
# Each is written the way a student would write it; they receive private copies of the inputs.

def _shifted(point, i, delta):
    p = np.array(point, dtype=np.float64)
    p[i] = p[i] + delta
    return p


def partial_derivative__forward_difference(f, point, i, h=1e-5):
    return float((f(*_shifted(point, i, h)) - f(*point)) / h)


def partial_derivative__divides_by_h(f, point, i, h=1e-5):
    return float((f(*_shifted(point, i, h)) - f(*_shifted(point, i, -h))) / h)


def partial_derivative__perturbs_all_coordinates(f, point, i, h=1e-5):
    point = np.asarray(point, dtype=np.float64)
    return float((f(*(point + h)) - f(*(point - h))) / (2 * h))


def partial_derivative__ignores_h(f, point, i, h=1e-5):
    step = 1e-5
    return float((f(*_shifted(point, i, step)) - f(*_shifted(point, i, -step))) / (2 * step))


def partial_derivative__multiplies_by_h(f, point, i, h=1e-5):
    return float((f(*_shifted(point, i, h)) - f(*_shifted(point, i, -h))) / 2 * h)


def partial_derivative__perturbs_point_in_place(f, point, i, h=1e-5):
    point[i] += h
    up = f(*point)
    point[i] -= 2 * h
    down = f(*point)
    return float((up - down) / (2 * h))


def numerical_gradient__forward_difference(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    base = f(x)
    grad = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        plus = x.copy()
        plus[idx] += h
        grad[idx] = (f(plus) - base) / h
    return grad


def numerical_gradient__divides_by_h(f, x, h=1e-5):
    return 2.0 * numerical_gradient(f, x, h)


def numerical_gradient__perturbs_all_at_once(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


def numerical_gradient__first_axis_only(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(len(x)):  # x[i] is a whole row when x has two or more axes
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


def numerical_gradient__returns_flat(f, x, h=1e-5):
    return numerical_gradient(f, x, h).reshape(-1)


def numerical_gradient__multiplies_by_h(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        grad[idx] = (f(plus) - f(minus)) / 2 * h  # precedence: (... / 2) * h
    return grad


def numerical_gradient__copy_is_an_alias(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)  # (the mistake's own copy; students alias their input)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x_plus = x  # not a copy: the same array
        x_plus[idx] += h
        x_minus = x  # still the same array: the +h is undone again
        x_minus[idx] -= h
        grad[idx] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad


def numerical_gradient__does_not_restore_x(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        up = f(x)
        x[idx] -= 2 * h
        down = f(x)  # x[idx] is left at x - h for the entries that follow
        grad[idx] = (up - down) / (2 * h)
    return grad


def _analytic(grad_f, x):
    return np.asarray(grad_f(np.array(x, dtype=np.float64)), dtype=np.float64)


def gradient_check__no_abs(f, grad_f, x, h=1e-5):
    a, n = _analytic(grad_f, x), numerical_gradient(f, x, h)
    return float(np.max((a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)))


def gradient_check__max_denominator(f, grad_f, x, h=1e-5):
    a, n = _analytic(grad_f, x), numerical_gradient(f, x, h)
    return float(np.max(np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-12)))


def gradient_check__absolute_error(f, grad_f, x, h=1e-5):
    a, n = _analytic(grad_f, x), numerical_gradient(f, x, h)
    return float(np.max(np.abs(a - n)))


def gradient_check__mean_not_max(f, grad_f, x, h=1e-5):
    a, n = _analytic(grad_f, x), numerical_gradient(f, x, h)
    return float(np.mean(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)))


def gradient_check__norm_ratio(f, grad_f, x, h=1e-5):
    a, n = _analytic(grad_f, x), numerical_gradient(f, x, h)
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12))


def gradient_check__forward_difference(f, grad_f, x, h=1e-5):
    a, n = _analytic(grad_f, x), numerical_gradient__forward_difference(f, x, h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)))


def gradient_check__ignores_h(f, grad_f, x, h=1e-5):
    a, n = _analytic(grad_f, x), numerical_gradient(f, x, 1e-5)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)))


def gradient_descent__gradient_ascent(grad_f, x0, lr=0.1, steps=100):
    x = np.array(x0, dtype=np.float64)
    for _ in range(steps):
        x = x + lr * grad_f(x)
    return x


def gradient_descent__forgot_learning_rate(grad_f, x0, lr=0.1, steps=100):
    x = np.array(x0, dtype=np.float64)
    for _ in range(steps):
        x = x - grad_f(x)
    return x


def gradient_descent__one_step_short(grad_f, x0, lr=0.1, steps=100):
    x = np.array(x0, dtype=np.float64)
    for _ in range(1, steps):
        x = x - lr * grad_f(x)
    return x


def gradient_descent__one_step_extra(grad_f, x0, lr=0.1, steps=100):
    x = np.array(x0, dtype=np.float64)
    for _ in range(steps + 1):
        x = x - lr * grad_f(x)
    return x


def gradient_descent__gradient_at_x0_only(grad_f, x0, lr=0.1, steps=100):
    x = np.array(x0, dtype=np.float64)
    g = grad_f(x)
    for _ in range(steps):
        x = x - lr * g
    return x


def gradient_descent__returns_history(grad_f, x0, lr=0.1, steps=100):
    x = np.array(x0, dtype=np.float64)
    history = [x]
    for _ in range(steps):
        x = x - lr * grad_f(x)
        history.append(x)
    return np.array(history)


def gradient_descent__updates_x0_in_place(grad_f, x0, lr=0.1, steps=100):
    x = x0
    for _ in range(steps):
        x -= lr * grad_f(x)
    return x
