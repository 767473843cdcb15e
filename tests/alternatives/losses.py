"""Correct ``losses`` answers written differently from solutions/losses.py.

Each ``<function>__<variant>`` follows the CURRICULUM contract exactly and must score full marks.
Several return a NumPy scalar or a 0-d array instead of a Python float, or a list instead of a
tuple: the contract accepts those forms.
"""

import math

import numpy as np


# mse -----------------------------------------------------------------------------------------

def mse__python_loop(y_true, y_pred):
    """A plain loop over the flattened elements, math.fsum for the total."""
    pairs = zip(np.ravel(y_true).tolist(), np.ravel(y_pred).tolist())
    return math.fsum((p - t) ** 2 for t, p in pairs) / np.size(y_true)


def mse__dot_product(y_true, y_pred):
    """The sum of squares as a dot product of the flattened residual; returns a NumPy scalar."""
    r = (y_true - y_pred).ravel()
    return r @ r / r.size


def mse__square_average(y_true, y_pred):
    """np.square and np.average, returned as a 0-d array."""
    return np.asarray(np.average(np.square(y_pred - y_true)))


# mse_grad ------------------------------------------------------------------------------------

def mse_grad__scale_first(y_true, y_pred):
    """The constant 2/N computed first from the shape, then times the residual."""
    scale = 2.0 / np.prod(y_pred.shape)
    return scale * (y_pred - y_true)


def mse_grad__elementwise_loop(y_true, y_pred):
    """One element at a time with np.ndindex."""
    n = y_pred.size
    grad = np.zeros_like(y_pred)
    for idx in np.ndindex(*y_pred.shape):
        grad[idx] = 2.0 * (y_pred[idx] - y_true[idx]) / n
    return grad


# mae -----------------------------------------------------------------------------------------

def mae__l1_norm(y_true, y_pred):
    """The L1 norm of the flattened residual over the number of elements."""
    r = (y_pred - y_true).ravel()
    return float(np.linalg.norm(r, ord=1) / r.size)


def mae__python_loop(y_true, y_pred):
    """A loop with abs() over the flattened elements."""
    total = 0.0
    for t, p in zip(np.ravel(y_true), np.ravel(y_pred)):
        total += abs(p - t)
    return total / np.size(y_true)


# huber ---------------------------------------------------------------------------------------

def huber__clamped_split(y_true, y_pred, delta=1.0):
    """The branch-free form: q = min(|r|, delta), l = |r| - q, loss = 0.5*q**2 + delta*l."""
    a = np.abs(y_pred - y_true)
    q = np.minimum(a, delta)
    return float(np.mean(0.5 * q ** 2 + delta * (a - q)))


def huber__python_loop(y_true, y_pred, delta=1.0):
    """An if/else per element (with <= at the boundary, where both branches agree)."""
    total = 0.0
    for t, p in zip(np.ravel(y_true), np.ravel(y_pred)):
        r = abs(p - t)
        total += 0.5 * r * r if r <= delta else delta * r - 0.5 * delta * delta
    return total / np.size(y_true)


def huber__boolean_masks(y_true, y_pred, delta=1.0):
    """Two boolean masks filling a preallocated array; returns a NumPy scalar."""
    r = y_pred - y_true
    small = np.abs(r) < delta
    out = np.empty_like(r)
    out[small] = 0.5 * r[small] ** 2
    out[~small] = delta * np.abs(r[~small]) - 0.5 * delta ** 2
    return out.mean()


# binary_cross_entropy ------------------------------------------------------------------------

def binary_cross_entropy__clip_each_log_argument(y_true, p, eps=1e-12):
    """Clips p and 1 - p separately to [eps, 1 - eps] (so 1 - p at p = 1 becomes exactly eps)."""
    log_p = np.log(np.clip(p, eps, 1 - eps))
    log_q = np.log(np.clip(1 - p, eps, 1 - eps))
    return float(-(y_true * log_p + (1 - y_true) * log_q).mean())


def binary_cross_entropy__where_label(y_true, p, eps=1e-12):
    """Picks the log of the probability of the true class with np.where (labels are 0/1)."""
    p = np.minimum(np.maximum(p, eps), 1 - eps)
    return float(np.mean(np.where(y_true == 1, -np.log(p), -np.log1p(-p))))


def binary_cross_entropy__python_loop(y_true, p, eps=1e-12):
    """A loop with math.log and min/max clipping."""
    total = 0.0
    for y, pi in zip(np.ravel(y_true).tolist(), np.ravel(p).tolist()):
        pi = min(max(pi, eps), 1 - eps)
        total -= y * math.log(pi) + (1 - y) * math.log(1 - pi)
    return total / np.size(p)


# binary_cross_entropy_with_logits ------------------------------------------------------------

def binary_cross_entropy_with_logits__logaddexp(y_true, logits):
    """log(1 + exp(x)) as np.logaddexp(0, x), minus y*x."""
    return float(np.mean(np.logaddexp(0.0, logits) - y_true * logits))


def binary_cross_entropy_with_logits__log_sigmoid(y_true, logits):
    """-(y*log sigmoid(x) + (1 - y)*log sigmoid(-x)), with log sigmoid(x) = -logaddexp(0, -x)."""
    log_sig = -np.logaddexp(0.0, -logits)
    log_sig_neg = -np.logaddexp(0.0, logits)
    return np.mean(-(y_true * log_sig + (1 - y_true) * log_sig_neg))


def binary_cross_entropy_with_logits__sign_split_loop(y_true, logits):
    """A loop that exponentiates only -|x|, with log(1 + e) rather than log1p."""
    total = 0.0
    for y, x in zip(np.ravel(y_true).tolist(), np.ravel(logits).tolist()):
        softplus = x + math.log(1 + math.exp(-x)) if x > 0 else math.log(1 + math.exp(x))
        total += softplus - y * x
    return total / np.size(logits)


# softmax_cross_entropy -----------------------------------------------------------------------

def softmax_cross_entropy__cs231n_probs(logits, labels):
    """Row-max shift, probabilities, -log of the picked probability; returned as a list."""
    n = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(n), labels])) / n
    dscores = probs.copy()
    dscores[np.arange(n), labels] -= 1
    dscores /= n
    return [loss, dscores]


def softmax_cross_entropy__one_hot_logsumexp(logits, labels):
    """Log-sum-exp with the max added back, a one-hot matrix from np.eye, einsum for the pick."""
    n, c = logits.shape
    m = logits.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    one_hot = np.eye(c)[labels]
    loss = np.einsum("nc,nc->", one_hot, lse - logits) / n
    grad = (np.exp(logits - lse) - one_hot) / n
    return float(loss), grad


def softmax_cross_entropy__row_loop(logits, labels):
    """One row at a time with math.exp and math.log."""
    n, c = logits.shape
    grad = np.empty((n, c))
    total = 0.0
    for i in range(n):
        row = logits[i].tolist()
        m = max(row)
        exps = [math.exp(v - m) for v in row]
        s = sum(exps)
        total += math.log(s) - (row[int(labels[i])] - m)
        for j in range(c):
            grad[i, j] = (exps[j] / s - (1.0 if j == labels[i] else 0.0)) / n
    return total / n, grad


# hinge_loss ----------------------------------------------------------------------------------

def hinge_loss__clip(y_true, scores):
    """np.clip with no upper bound; returns a NumPy scalar."""
    return np.clip(1 - y_true * scores, 0, None).mean()


def hinge_loss__python_loop(y_true, scores):
    """A loop with max(0, ...)."""
    values = [max(0.0, 1.0 - y * s) for y, s in zip(np.ravel(y_true), np.ravel(scores))]
    return sum(values) / len(values)


# kl_divergence -------------------------------------------------------------------------------

def kl_divergence__entropy_minus_cross_entropy(p, q):
    """sum p*log(p) (0 where p == 0, via log's where=) minus sum p*log(q), over N rows."""
    log_p = np.log(p, out=np.zeros_like(p), where=p > 0)
    return float((np.sum(p * log_p) - np.sum(p * np.log(q))) / len(p))


def kl_divergence__nansum(p, q):
    """Lets 0*log(0) become nan and drops it with np.nansum (the terms with p > 0 stay finite)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = p * np.log(p / q)
    return np.nansum(terms, axis=1).mean()


def kl_divergence__row_loop(p, q):
    """Explicit loops with math.log, skipping the zero entries of p."""
    total = 0.0
    for prow, qrow in zip(p.tolist(), q.tolist()):
        total += sum(pi * math.log(pi / qi) for pi, qi in zip(prow, qrow) if pi > 0)
    return total / len(p)


def kl_divergence__tiny_eps_in_log(p, q):
    """The common guard log(p + 1e-12): terms with p == 0 vanish, the others move by ~1e-12."""
    return float(np.mean(np.sum(p * np.log((p + 1e-12) / q), axis=1)))
