"""Correct ``activations`` answers written differently from solutions/activations.py.

Each ``<function>__<variant>`` follows the CURRICULUM contract exactly and must score full marks.
Several overflow on purpose, with NumPy warnings, on the way to a correct finite value (the
contract says a warning costs nothing): they prove the extreme checks only punish NaN, inf and
wrong values.
"""

import math

import numpy as np


def _slices(x, axis):
    """``x`` with ``axis`` moved last and flattened to rows, plus a function undoing that."""
    moved = np.moveaxis(x, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    return rows, lambda out: np.moveaxis(out.reshape(moved.shape), -1, axis)


# sigmoid -------------------------------------------------------------------------------------

def sigmoid__naive_overflowing(x):
    """The textbook 1 / (1 + exp(-x)): exp overflows for x < -709 (a warning) and 1/inf = 0."""
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid__tanh_identity(x):
    """sigmoid(x) = (1 + tanh(x / 2)) / 2: accurate to ~1e-16 absolute (not relative) in the tails."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sigmoid__math_loop(x):
    """Element by element with math.exp, branching on the sign so exp never overflows."""
    out = np.empty_like(x)
    for i, v in np.ndenumerate(x):
        out[i] = 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))
    return out


def sigmoid__logaddexp(x):
    """exp(-log(1 + exp(-x))) with np.logaddexp(0, -x) = log(1 + exp(-x)) computed stably."""
    return np.exp(-np.logaddexp(0.0, -x))


# sigmoid_grad --------------------------------------------------------------------------------

def sigmoid_grad__reciprocal_cosh_form(x):
    """1 / (2 + exp(x) + exp(-x)), which overflows to 1/inf = 0 for |x| > 709 (correct)."""
    return 1.0 / (2.0 + np.exp(x) + np.exp(-x))


def sigmoid_grad__symmetric_exp(x):
    """The derivative is even: with e = exp(-|x|) it is e / (1 + e)**2, never overflowing."""
    e = np.exp(-np.abs(x))
    return e / (1.0 + e) ** 2


def sigmoid_grad__naive_sigmoid_product(x):
    """s * (1 - s) with the overflowing 1 / (1 + exp(-x)) for s."""
    s = 1.0 / (1.0 + np.exp(-x))
    return s - s * s


# tanh ----------------------------------------------------------------------------------------

def tanh__naive_sigmoid_identity(x):
    """2 / (1 + exp(-2x)) - 1: exp overflows for x < -354 (a warning) and 2/inf - 1 = -1."""
    return 2.0 / (1.0 + np.exp(-2.0 * x)) - 1.0


def tanh__odd_exp(x):
    """tanh is odd: sign(x) * (1 - e) / (1 + e) with e = exp(-2|x|) <= 1."""
    e = np.exp(-2.0 * np.abs(x))
    return np.sign(x) * (1.0 - e) / (1.0 + e)


def tanh__clipped_exp_formula(x):
    """The exponential formula on x clipped to [-20, 20], where tanh is already 1 in float64."""
    c = np.clip(x, -20.0, 20.0)
    return (np.exp(c) - np.exp(-c)) / (np.exp(c) + np.exp(-c))


# tanh_grad -----------------------------------------------------------------------------------

def tanh_grad__factored(x):
    """(1 - t) * (1 + t), the factored form of 1 - t**2."""
    t = np.tanh(x)
    return (1.0 - t) * (1.0 + t)


def tanh_grad__sech_squared(x):
    """1 / cosh(x)**2: cosh overflows to inf for |x| > 710 (a warning) and 1/inf = 0."""
    return 1.0 / np.cosh(x) ** 2


def tanh_grad__via_sigmoid(x):
    """4 * s * (1 - s) with s = sigmoid(2x), from tanh(x) = 2 * sigmoid(2x) - 1."""
    s = 1.0 / (1.0 + np.exp(-2.0 * x))
    return 4.0 * s * (1.0 - s)


# relu ----------------------------------------------------------------------------------------

def relu__masked_product(x):
    """x times the 0/1 mask (negative entries become -0.0, which equals 0)."""
    return x * (x > 0)


def relu__copy_then_zero(x):
    """Copy first, then zero the negative entries of the copy."""
    out = x.copy()
    out[out < 0] = 0.0
    return out


def relu__abs_average(x):
    """(x + |x|) / 2: 2x / 2 for positives, 0 for negatives, exactly."""
    return (x + np.abs(x)) / 2.0


# relu_grad -----------------------------------------------------------------------------------

def relu_grad__boolean_mask(x):
    """The comparison itself: a boolean array whose True/False stand for 1/0."""
    return x > 0


def relu_grad__integer_mask(x):
    """The mask as int64 0/1 values."""
    return (x > 0).astype(np.int64)


def relu_grad__heaviside(x):
    """np.heaviside with the value 0 at exactly 0."""
    return np.heaviside(x, 0.0)


# leaky_relu ----------------------------------------------------------------------------------

def leaky_relu__maximum(x, alpha=0.01):
    """max(alpha * x, x), valid because alpha < 1."""
    return np.maximum(alpha * x, x)


def leaky_relu__abs_form(x, alpha=0.01):
    """(1 + alpha)/2 * x + (1 - alpha)/2 * |x|: off by ~1e-13 from alpha*x at |x| = 1000."""
    return 0.5 * (1.0 + alpha) * x + 0.5 * (1.0 - alpha) * np.abs(x)


def leaky_relu__slope_array(x, alpha=0.01):
    """x times its slope: 1 where x > 0, alpha elsewhere."""
    slope = np.ones_like(x)
    slope[x <= 0] = alpha
    return x * slope


# leaky_relu_grad -----------------------------------------------------------------------------

def leaky_relu_grad__fill(x, alpha=0.01):
    """full_like(alpha), then 1 where x > 0."""
    g = np.full_like(x, alpha)
    g[x > 0] = 1.0
    return g


def leaky_relu_grad__mask_arithmetic(x, alpha=0.01):
    """(x > 0) + alpha * (x <= 0), booleans promoted to floats by the arithmetic."""
    return (x > 0) + alpha * (x <= 0)


# softmax -------------------------------------------------------------------------------------

def softmax__row_loop(x, axis=-1):
    """Moves the axis last, loops over the slices, and moves it back."""
    rows, restore = _slices(x, axis)
    out = np.empty_like(rows)
    for r, row in enumerate(rows):
        e = np.exp(row - row.max())
        out[r] = e / e.sum()
    return restore(out)


def softmax__exp_of_log_softmax(x, axis=-1):
    """exp(x - logsumexp(x)), the log-sum-exp from np.logaddexp.reduce."""
    return np.exp(x - np.logaddexp.reduce(x, axis=axis, keepdims=True))


def softmax__lse_with_max(x, axis=-1):
    """exp(x - (m + log(sum(exp(x - m))))): one rounding of a value near max|x| in the exponent."""
    m = np.amax(x, axis=axis, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return np.exp(x - lse)


# log_softmax ---------------------------------------------------------------------------------

def log_softmax__logaddexp_reduce(x, axis=-1):
    """x - logsumexp(x) with np.logaddexp.reduce, which is stable by construction."""
    return x - np.logaddexp.reduce(x, axis=axis, keepdims=True)


def log_softmax__x_minus_lse(x, axis=-1):
    """x - (m + log(sum(exp(x - m)))): the log-sum-exp is formed first (rounded near max|x|)."""
    m = x.max(axis=axis, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return x - lse


def log_softmax__math_loop(x, axis=-1):
    """One slice at a time with math.fsum and math.log."""
    rows, restore = _slices(x, axis)
    out = np.empty_like(rows)
    for r, row in enumerate(rows):
        m = max(row)
        log_sum = math.log(math.fsum(math.exp(v - m) for v in row))
        out[r] = [v - m - log_sum for v in row]
    return restore(out)


# Written for the outside review of the grader -------------------------------------------------

def sigmoid__where_numerator(x):
    """One exp of -|x|: numerator 1 or e by sign, denominator 1 + e."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def sigmoid__clip_500(x):
    """The common overflow guard: clip to [-500, 500] (sigmoid(-500) = 7e-218 instead of 0)."""
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))


def sigmoid_grad__product_of_mirrors(x):
    """sigmoid(x) * sigmoid(-x), both stable."""
    return sigmoid__where_numerator(x) * sigmoid__where_numerator(-x)


def sigmoid_grad__clipped_textbook(x):
    """s * (1 - s) with the clipped sigmoid."""
    s = sigmoid__clip_500(x)
    return s * (1 - s)


def tanh__expm1_signed(x):
    """sign(x) * -expm1(-2|x|) / (1 + exp(-2|x|)): accurate near 0, no overflow."""
    a = np.abs(x)
    return np.sign(x) * (-np.expm1(-2.0 * a)) / (1.0 + np.exp(-2.0 * a))


def tanh__math_per_element(x):
    """math.tanh on every element through np.ndindex."""
    out = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        out[idx] = math.tanh(x[idx])
    return out


def tanh_grad__difference_of_squares(x):
    """(1 - t) * (1 + t)."""
    t = np.tanh(x)
    return (1.0 - t) * (1.0 + t)


def tanh_grad__overflowing_cosh(x):
    """(2 / (e^x + e^-x))**2: e^|x| overflows to inf beyond 709 and the result is the correct 0."""
    with np.errstate(over="ignore"):
        return (2.0 / (np.exp(x) + np.exp(-x))) ** 2


def relu__times_mask(x):
    """x * (x > 0): negative entries become -0.0, equal to 0."""
    return x * (x > 0)


def relu__clip_below(x):
    """np.clip with no upper bound."""
    return np.clip(x, 0, None)


def relu_grad__greater_ufunc(x):
    """np.greater: a boolean array."""
    return np.greater(x, 0)


def relu_grad__int8_mask(x):
    """(x > 0) as int8."""
    return (x > 0).astype(np.int8)


def relu_grad__where_int(x):
    """np.where with Python ints: an int64 array."""
    return np.where(x > 0, 1, 0)


def leaky_relu__slope_where(x, alpha=0.01):
    """x times a per-entry slope of 1 or alpha."""
    return x * np.where(x > 0, 1.0, alpha)


def leaky_relu__split_parts(x, alpha=0.01):
    """max(x, 0) + alpha * min(x, 0)."""
    return np.maximum(x, 0) + alpha * np.minimum(x, 0)


def leaky_relu_grad__affine_mask(x, alpha=0.01):
    """alpha + (1 - alpha) * mask (1 - alpha + alpha may round to 1 - 1 ulp)."""
    return alpha + (1.0 - alpha) * (x > 0)


def leaky_relu_grad__select(x, alpha=0.01):
    """np.select with alpha as the default."""
    return np.select([x > 0], [1.0], default=alpha)


def softmax__moveaxis_rows(x, axis=-1):
    """Moves the axis last, flattens the rest to rows and normalises row by row."""
    moved = np.moveaxis(x, axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    out = np.empty_like(flat)
    for r in range(flat.shape[0]):
        e = np.exp(flat[r] - flat[r].max())
        out[r] = e / e.sum()
    return np.moveaxis(out.reshape(moved.shape), -1, axis)


def log_softmax__moved_logaddexp(x, axis=-1):
    """np.logaddexp.reduce along the axis moved last."""
    moved = np.moveaxis(x, axis, -1)
    return np.moveaxis(moved - np.logaddexp.reduce(moved, axis=-1, keepdims=True), -1, axis)
