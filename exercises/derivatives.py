"""Derivatives by hand: finite differences, gradient checking and gradient descent.

A neural network learns by following the gradient of its loss. Before trusting any gradient
formula (yours, or a backward pass you wrote), you can *measure* the gradient numerically: nudge
one input a little in each direction and watch how the output changes. This module builds that
measuring tool, uses it to audit an analytic gradient, and then follows a gradient downhill.

Only `numpy`, `math` and the standard library may be imported here.
"""

import numpy as np


def partial_derivative(f, point, i, h=1e-5):
    """Estimate the partial derivative of ``f`` with respect to coordinate ``i`` at ``point``.

    A partial derivative asks how ``f`` changes when a single coordinate moves while all the
    others stay fixed. The *central difference* measures it by stepping ``h`` to both sides of
    the point and taking the slope of the chord between the two values:

        df/dx_i ~= (f(p + h e_i) - f(p - h e_i)) / (2h)

    where ``e_i`` is the unit vector along coordinate ``i``. Its error shrinks like ``h**2``,
    much faster than the one-sided ``(f(p + h e_i) - f(p)) / h``, whose error shrinks like ``h``.

    Args:
        f: a function of the coordinates passed as separate numbers, called ``f(*point)``;
            it returns a float.
        point: 1-D float array ``(n,)``, the point where the derivative is taken.
        i: the index of the coordinate to move, ``0 <= i < n``.
        h: the step (use the one given; ``1e-5`` is only the default).

    Returns:
        The central difference, as a Python float.

    Pitfall: do not modify ``point`` itself (``point[i] += h`` changes the caller's array);
    build two shifted copies instead.
    """
    raise NotImplementedError("derivatives.partial_derivative: return the central difference along coordinate i")


def numerical_gradient(f, x, h=1e-5):
    """Estimate the gradient of the scalar function ``f`` at the array ``x`` (any shape).

    The gradient collects one partial derivative per entry of ``x``. Visit every entry in turn,
    shift *only that entry* by ``+h`` and by ``-h``, and take the central difference:

        grad[idx] = (f(x with x[idx] + h) - f(x with x[idx] - h)) / (2h)

    This costs two evaluations of ``f`` per entry, which is why real training uses
    backpropagation and keeps numerical gradients for testing.

    Args:
        f: a function of the whole array, ``f(x) -> float``.
        x: float array of any shape, e.g. ``(n,)`` or ``(rows, cols)``.
        h: the step.

    Returns:
        A float array with exactly ``x``'s shape.

    Pitfalls: ``x_plus = x`` is not a copy, just a second name for the same array. If you shift
    entries of ``x`` in place, put each one back (``x[idx] = old``) before moving on: ``x`` must
    be unchanged when the function returns. ``range(len(x))`` visits rows, not entries, once
    ``x`` has two axes; ``np.ndindex(x.shape)`` visits every entry.
    """
    raise NotImplementedError("derivatives.numerical_gradient: central difference for every entry of x")


def gradient_check(f, grad_f, x, h=1e-5):
    """Compare an analytic gradient with the numerical one; return the worst relative error.

    A *gradient check* is how you test a hand-derived gradient: compute ``a = grad_f(x)`` and
    ``n`` = the central-difference gradient of ``f`` at ``x`` (with this ``h``), and compare
    them entry by entry with a *relative* error, which means the same whatever the scale:

        error = |a - n| / max(|a| + |n|, 1e-12)        (elementwise)

    and report the largest one. Around 1e-7 or below means the gradient is right; around 1e-2
    or above means a bug.

    Args:
        f: scalar function of an array, ``f(x) -> float``.
        grad_f: its claimed gradient, ``grad_f(x) -> array shaped like x``.
        x: float array of any shape.
        h: the step of the numerical gradient.

    Returns:
        The maximum elementwise relative error, as a Python float.

    Pitfall: where both gradients are exactly 0 the ratio is 0/0; the ``1e-12`` floor in the
    denominator makes such entries count as 0 instead of NaN.
    """
    raise NotImplementedError("derivatives.gradient_check: largest relative error between grad_f(x) and the numerical gradient")


def gradient_descent(grad_f, x0, lr=0.1, steps=100):
    """Minimise a function by plain gradient descent, starting from ``x0``.

    The gradient points uphill, so a small step against it lowers the function. Repeat exactly
    ``steps`` times:

        x <- x - lr * grad_f(x)

    recomputing the gradient at the current ``x`` each time. The learning rate ``lr`` sets the
    step size: too small and progress is slow, too large and ``x`` overshoots or diverges.

    Args:
        grad_f: the gradient of the function, ``grad_f(x) -> array shaped like x``.
        x0: float array ``(n,)``, the starting point.
        lr: the learning rate.
        steps: the number of updates.

    Returns:
        The final ``x``, a float array shaped like ``x0`` (not the history of iterates).

    Pitfall: ``x = x0`` followed by ``x -= ...`` changes the caller's ``x0``; start from
    ``x0.copy()`` or write ``x = x - lr * grad_f(x)``.
    """
    raise NotImplementedError("derivatives.gradient_descent: repeat x = x - lr * grad_f(x) for steps updates")
