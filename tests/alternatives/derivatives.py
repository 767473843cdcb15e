"""Correct ``derivatives`` answers written differently from ``solutions/derivatives.py``.

None of them changes its inputs: every perturbation is made on a copy (or a new array).
"""

import math

import numpy as np


# partial_derivative ------------------------------------------------------------------------

def partial_derivative__two_copies(f, point, i, h=1e-5):
    """Two explicit copies with point[i] +/- h; returns a NumPy float64 scalar, not a float."""
    plus = np.array(point, dtype=np.float64)
    minus = plus.copy()
    plus[i] += h
    minus[i] -= h
    return np.float64(f(*plus) - f(*minus)) / (2.0 * h)


def partial_derivative__python_lists(f, point, i, h=1e-5):
    """Coordinates as lists of Python floats; divides by h then halves; returns a 0-d array."""
    coords = [float(p) for p in point]
    up = coords[:i] + [coords[i] + h] + coords[i + 1:]
    down = coords[:i] + [coords[i] - h] + coords[i + 1:]
    return np.asarray(0.5 * ((f(*up) - f(*down)) / h))


def partial_derivative__unit_vector(f, point, i, h=1e-5):
    """Steps along h * e_i built from np.eye (adding 0.0 to the other coordinates is exact)."""
    e = np.eye(len(point))[i]
    return float((f(*(point + h * e)) - f(*(point - h * e))) / (2 * h))


def partial_derivative__minus_from_plus(f, point, i, h=1e-5):
    """Builds p - h e_i as (p + h e_i) - 2h e_i, reusing one copy (differs from p - h by rounding)."""
    p = np.array(point, dtype=np.float64)
    p[i] += h
    f_plus = f(*p)
    p[i] -= 2 * h
    return float((f_plus - f(*p)) / (2 * h))


# numerical_gradient ------------------------------------------------------------------------

def numerical_gradient__flat_copies(f, x, h=1e-5):
    """Loops over range(x.size) on flat copies, reshaping each perturbed copy for f."""
    flat = np.asarray(x, dtype=np.float64).ravel().copy()
    grad = np.zeros(flat.size)
    for k in range(flat.size):
        plus, minus = flat.copy(), flat.copy()
        plus[k] += h
        minus[k] -= h
        grad[k] = (f(plus.reshape(x.shape)) - f(minus.reshape(x.shape))) / (2 * h)
    return grad.reshape(x.shape)


def numerical_gradient__basis_stack(f, x, h=1e-5):
    """Builds all steps h * e_k at once from np.eye, evaluates them in a list comprehension."""
    shape = np.shape(x)
    steps = (h * np.eye(np.size(x))).reshape((-1,) + shape)
    values = [(f(x + s) - f(x - s)) / (2 * h) for s in steps]
    return np.array(values, dtype=np.float64).reshape(shape)


def numerical_gradient__nditer(f, x, h=1e-5):
    """np.nditer with multi_index over a private copy perturbed and restored in place."""
    work = x.copy()
    grad = np.empty_like(work)
    it = np.nditer(work, flags=["multi_index"])
    while not it.finished:
        idx = it.multi_index
        saved = work[idx]
        work[idx] = saved + h
        up = f(work)
        work[idx] = saved - h
        down = f(work)
        work[idx] = saved
        grad[idx] = (up - down) / (h + h)
        it.iternext()
    return grad


def numerical_gradient__exact_step(f, x, h=1e-5):
    """Divides by the step actually taken, (x+h) - (x-h), which equals 2h in exact arithmetic."""
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        plus, minus = x.astype(np.float64), x.astype(np.float64)
        plus[idx] += h
        minus[idx] -= h
        grad[idx] = (f(plus) - f(minus)) / (plus[idx] - minus[idx])
    return grad


# gradient_check ----------------------------------------------------------------------------

def _central(f, x, h):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        p, m = x.copy(), x.copy()
        p[idx] += h
        m[idx] -= h
        grad[idx] = (f(p) - f(m)) / (2 * h)
    return grad


def gradient_check__loops(f, grad_f, x, h=1e-5):
    """Own numerical gradient and a Python loop tracking the running maximum with math.fabs."""
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(grad_f(x.copy()), dtype=np.float64)
    numeric = _central(f, x, h)
    worst = 0.0
    for a, n in zip(analytic.ravel().tolist(), numeric.ravel().tolist()):
        err = math.fabs(a - n) / max(math.fabs(a) + math.fabs(n), 1e-12)
        worst = max(worst, err)
    return worst


def gradient_check__where_zero(f, grad_f, x, h=1e-5):
    """Relative errors with np.where for the 0/0 entries (error 0 there); returns np.float64."""
    analytic = np.asarray(grad_f(x.copy()), dtype=np.float64).reshape(x.shape)
    numeric = _central(f, x.copy(), h)
    diff = np.abs(analytic - numeric)
    denom = np.abs(analytic) + np.abs(numeric)
    safe = np.where(denom > 1e-12, denom, 1e-12)
    return (diff / safe).max()


def gradient_check__flat_0d(f, grad_f, x, h=1e-5):
    """Works on flattened vectors with np.fmax and returns a 0-d array."""
    a = np.ravel(grad_f(x.copy())).astype(np.float64)
    n = np.ravel(_central(f, x, h))
    return np.asarray(np.amax(np.abs(a - n) / np.fmax(np.abs(a) + np.abs(n), 1e-12)))


# gradient_descent --------------------------------------------------------------------------

def gradient_descent__in_place_copy(grad_f, x0, lr=0.1, steps=100):
    """x is a copy of x0 updated in place with -=."""
    x = x0.copy()
    for _ in range(steps):
        x -= lr * grad_f(x)
    return x


def gradient_descent__while_history(grad_f, x0, lr=0.1, steps=100):
    """A while loop that keeps every iterate in a list and returns the last one."""
    history = [np.asarray(x0, dtype=np.float64).copy()]
    while len(history) <= steps:
        current = history[-1]
        history.append(current - lr * np.asarray(grad_f(current)))
    return history[-1]


def gradient_descent__recursive(grad_f, x0, lr=0.1, steps=100):
    """Recursion on the number of remaining steps (steps <= a few hundred), np.subtract step."""
    if steps == 0:
        return np.array(x0, dtype=np.float64)
    return gradient_descent__recursive(grad_f, np.subtract(x0, np.multiply(lr, grad_f(x0))), lr, steps - 1)


# Written for the outside review of the grader (loops vs vectorised, other scalar types) ---------

def partial_derivative__python_float_lists(f, point, i, h=1e-5):
    """Coordinates as Python floats in two lists; halves the difference before dividing by h."""
    coords = [float(c) for c in point]
    up, down = list(coords), list(coords)
    up[i] += h
    down[i] -= h
    return 0.5 * (f(*up) - f(*down)) / h


def partial_derivative__identity_row(f, point, i, h=1e-5):
    """The step is row i of h * I; returns a NumPy float64 scalar."""
    step = np.eye(len(point))[i] * h
    p = np.asarray(point, dtype=float)
    return np.float64(f(*(p + step)) - f(*(p - step))) / (2.0 * h)


def numerical_gradient__flat_offsets(f, x, h=1e-5):
    """A flat copy of x, an offset vector per entry, each reshaped back to x's shape for f."""
    flat = x.astype(np.float64).ravel()
    out = np.empty(flat.size)
    for k in range(flat.size):
        offset = np.zeros(flat.size)
        offset[k] = h
        out[k] = (f((flat + offset).reshape(x.shape)) - f((flat - offset).reshape(x.shape))) / (2 * h)
    return out.reshape(x.shape)


def numerical_gradient__nditer_readwrite(f, x, h=1e-5):
    """np.nditer over a private copy with readwrite access; divides by h and then by 2."""
    work = x.copy()
    grad = np.zeros(x.shape)
    it = np.nditer(work, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        keep = work[idx]
        work[idx] = keep + h
        above = f(work)
        work[idx] = keep - h
        below = f(work)
        work[idx] = keep
        grad[idx] = (above - below) / h / 2
        it.iternext()
    return grad


def gradient_check__python_max(f, grad_f, x, h=1e-5):
    """Scalar relative errors in a Python loop over .tolist() values; returns a Python float."""
    a = np.asarray(grad_f(x.copy()), dtype=float).ravel()
    n = numerical_gradient__flat_offsets(f, x, h).ravel()
    worst = 0.0
    for ai, ni in zip(a.tolist(), n.tolist()):
        worst = max(worst, abs(ai - ni) / max(abs(ai) + abs(ni), 1e-12))
    return worst


def gradient_check__masked_denominator(f, grad_f, x, h=1e-5):
    """np.where picks |a - n| / 1e-12 where the sum of magnitudes is below the floor; .item()."""
    a = np.asarray(grad_f(x))
    n = numerical_gradient__nditer_readwrite(f, x, h)
    den = np.abs(a) + np.abs(n)
    big = den > 1e-12
    rel = np.where(big, np.abs(a - n) / np.where(big, den, 1.0), np.abs(a - n) / 1e-12)
    return rel.max().item()


def gradient_descent__reduce(grad_f, x0, lr=0.1, steps=100):
    """functools.reduce over range(steps): returns x0 itself (unchanged) when steps == 0."""
    import functools
    return functools.reduce(lambda x, _: x - lr * grad_f(x), range(steps), x0)


def gradient_descent__subtract_out(grad_f, x0, lr=0.1, steps=100):
    """x0 + 0.0 as a private copy, then np.subtract(..., out=x) in a while loop."""
    x = x0 + 0.0
    k = 0
    while k < steps:
        np.subtract(x, lr * grad_f(x), out=x)
        k += 1
    return x
