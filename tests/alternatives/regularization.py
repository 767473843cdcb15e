"""Correct ``regularization`` answers written differently from solutions/regularization.py.

Each ``<function>__<variant>`` follows the CURRICULUM contract exactly and must score full marks.
"""

import math

import numpy as np


# l1_penalty ----------------------------------------------------------------------------------

def l1_penalty__loop_copysign(w, lam):
    """A loop over the entries with math.copysign, and an explicit 0 at the kink."""
    grad = np.zeros_like(w)
    total = 0.0
    for idx in np.ndindex(w.shape):
        v = float(w[idx])
        total += abs(v)
        grad[idx] = 0.0 if v == 0 else math.copysign(lam, v)
    return lam * total, grad


def l1_penalty__indicator_difference(w, lam):
    """sign(w) as (w > 0) - (w < 0); the penalty as the 1-norm of the flattened w (0-d array)."""
    sign = (w > 0).astype(np.float64) - (w < 0)
    return np.asarray(lam * np.linalg.norm(w.ravel(), 1)), lam * sign


# l2_penalty ----------------------------------------------------------------------------------

def l2_penalty__vdot(w, lam):
    """The squared norm as np.vdot(w, w); returns a NumPy float64 scalar."""
    return lam * np.vdot(w, w), lam * 2 * w


def l2_penalty__einsum_loop(w, lam):
    """einsum for the sum of squares of the flattened w, a Python loop for the gradient."""
    flat = w.reshape(-1)
    penalty = lam * float(np.einsum("i,i->", flat, flat))
    grad = np.empty_like(flat)
    for i, v in enumerate(flat):
        grad[i] = 2.0 * lam * v
    return penalty, grad.reshape(w.shape)


# elastic_net ---------------------------------------------------------------------------------

def elastic_net__where_form(w, l1, l2):
    """The L1 subgradient via np.where, the total written as one expression."""
    sign = np.where(w > 0, 1.0, np.where(w < 0, -1.0, 0.0))
    return float(np.sum(l1 * np.abs(w) + l2 * w * w)), l1 * sign + 2.0 * l2 * w


def elastic_net__per_entry(w, l1, l2):
    """Per-entry penalty terms summed with math.fsum; gradient factored as w-dependent pieces."""
    terms = [l1 * abs(v) + l2 * v * v for v in w.ravel().tolist()]
    return math.fsum(terms), np.sign(w) * l1 + (2.0 * l2) * w


# dropout -------------------------------------------------------------------------------------

def dropout__binomial_mask(x, p, training=True, seed=0):
    """A 0/1 mask from rng.binomial(1, 1 - p), multiplied by a precomputed scale; x itself in eval."""
    if not training or p == 0:
        return x
    mask = np.random.default_rng(seed).binomial(1, 1.0 - p, size=x.shape)
    return x * mask * (1.0 / (1.0 - p))


def dropout__uniform_below_keep(x, p, training=True, seed=0):
    """Keeps an entry when a uniform draw is below 1 - p; divides x by (1 - p) first."""
    out = np.array(x, dtype=np.float64, copy=True)
    if training and p > 0:
        rng = np.random.default_rng(seed)
        keep = rng.uniform(0.0, 1.0, size=x.shape) < 1.0 - p
        out = out / (1.0 - p)
        out[~keep] = 0.0
    return out


def dropout__flat_loop(x, p, training=True, seed=0):
    """One draw per entry in a Python loop over the flattened array (rng.random() each time)."""
    if not training or p == 0:
        return x.copy()
    rng = np.random.default_rng(seed)
    flat = x.ravel()
    out = np.empty_like(flat)
    for i in range(flat.size):
        out[i] = 0.0 if rng.random() < p else flat[i] / (1 - p)
    return out.reshape(x.shape)


# early_stopping ------------------------------------------------------------------------------

def early_stopping__explicit_epoch_zero(val_losses, patience, min_delta=0.0):
    """Epoch 0 handled before the loop; the improvement test written as loss + min_delta < best."""
    losses = list(val_losses)
    best, best_epoch, bad = losses[0], 0, 0
    for epoch in range(1, len(losses)):
        if losses[epoch] + min_delta < best:
            best, best_epoch, bad = losses[epoch], epoch, 0
            continue
        bad += 1
        if bad == patience:
            return epoch, best_epoch
    return len(losses) - 1, best_epoch


def early_stopping__numpy_flags(val_losses, patience, min_delta=0.0):
    """Marks improving epochs in a first pass, then finds the first run of `patience` non-improving
    epochs; returns NumPy integers."""
    losses = np.asarray(val_losses, dtype=np.float64)
    improved = np.zeros(len(losses), dtype=bool)
    best = np.inf
    for i, loss in enumerate(losses):
        if best - loss > min_delta:
            improved[i], best = True, loss
    run = 0
    for i in range(len(losses)):
        run = 0 if improved[i] else run + 1
        if run >= patience:
            return np.int64(i), np.flatnonzero(improved[: i + 1])[-1]
    return np.int64(len(losses) - 1), np.flatnonzero(improved)[-1]


def early_stopping__last_improvement_distance(val_losses, patience, min_delta=0.0):
    """Tracks the epoch of the last improvement and stops when it is `patience` epochs back."""
    best, best_epoch = None, 0
    for epoch, loss in enumerate(val_losses):
        if best is None or best - min_delta > loss:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


# Written for the outside review of the grader -------------------------------------------------

def l1_penalty__indicator_arrays(w, lam):
    """The sign as (w > 0) - (w < 0) in floats; a Python float loss."""
    return float(lam * np.sum(np.abs(w))), lam * ((w > 0).astype(float) - (w < 0).astype(float))


def l1_penalty__list_result(w, lam):
    """A list [NumPy scalar, gradient] instead of a tuple."""
    return [lam * np.abs(w).sum(), lam * np.sign(w)]


def l2_penalty__squared_norm(w, lam):
    """lam * ||w||**2 (Frobenius for 2-D w) and np.multiply for the gradient."""
    return float(lam * np.linalg.norm(w) ** 2), np.multiply(w, 2 * lam)


def l2_penalty__flat_dot_0d(w, lam):
    """A dot product of the flattened w, returned as a 0-d array."""
    flat = w.ravel()
    return np.asarray(lam * flat.dot(flat)), 2.0 * lam * w


def elastic_net__reuse_penalties(w, l1, l2):
    """The sum of this module's own l1 and l2 penalties."""
    a, ga = l1_penalty__indicator_arrays(w, l1)
    b, gb = l2_penalty__squared_norm(w, l2)
    return a + b, ga + gb


def elastic_net__nested_where(w, l1, l2):
    """The subgradient spelled out with nested np.where; a NumPy scalar loss."""
    return (np.sum(l1 * np.abs(w) + l2 * np.square(w)),
            np.where(w > 0, l1, np.where(w < 0, -l1, 0.0)) + 2 * l2 * w)


def dropout__uniform_where(x, p, training=True, seed=0):
    """gen.uniform below p is dropped, np.where scales the rest; a copy in evaluation mode."""
    if not training:
        return x.copy()
    u = np.random.default_rng(seed).uniform(size=x.shape)
    return np.where(u < p, 0.0, x / (1 - p))


def dropout__boolean_index_fill(x, p, training=True, seed=0):
    """A binomial keep mask as booleans, survivors written into zeros."""
    if training is False or p == 0:
        return np.copy(x)
    keep = np.random.default_rng(seed).binomial(1, 1.0 - p, size=x.shape).astype(bool)
    out = np.zeros_like(x)
    out[keep] = x[keep] / (1.0 - p)
    return out


def early_stopping__while_counter(val_losses, patience, min_delta=0.0):
    """A while loop over an array copy with a break; clamps the index when it never stops."""
    losses = np.asarray(val_losses, dtype=float)
    best, best_i, since, i = losses[0], 0, 0, 1
    while i < len(losses):
        if losses[i] < best - min_delta:
            best, best_i, since = losses[i], i, 0
        else:
            since += 1
        if since == patience:
            break
        i += 1
    return min(i, len(losses) - 1), best_i


def early_stopping__numpy_int_results(val_losses, patience, min_delta=0.0):
    """Compares against the loss at the best index; returns np.int64 values."""
    vals = np.asarray(val_losses)
    best_idx = 0
    for i in range(1, vals.size):
        if vals[i] < vals[best_idx] - min_delta:
            best_idx = i
        elif i - best_idx >= patience:
            return np.int64(i), np.int64(best_idx)
    return np.int64(vals.size - 1), np.int64(best_idx)
