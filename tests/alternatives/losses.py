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


# Written for the outside review of the grader -------------------------------------------------

def mse__einsum_0d(y_true, y_pred):
    """np.einsum over the flattened residual, returned as a 0-d array."""
    r = np.subtract(y_pred, y_true).ravel()
    return np.array(np.einsum("i,i->", r, r) / r.size)


def mse__squared_norm(y_true, y_pred):
    """The squared 2-norm of the flattened residual over the element count."""
    return float(np.square(np.linalg.norm((y_pred - y_true).ravel())) / y_true.size)


def mse_grad__shape_product(y_true, y_pred):
    """N as the product of the shape, computed in a loop."""
    n = 1
    for s in y_pred.shape:
        n *= s
    return 2 * (y_pred - y_true) / n


def mse_grad__ufuncs(y_true, y_pred):
    """np.multiply and np.divide."""
    return np.divide(np.multiply(2.0, y_pred - y_true), np.size(y_pred))


def mae__method_chain(y_true, y_pred):
    """np.abs(...).mean(): a NumPy float64 scalar."""
    return np.abs(y_pred - y_true).mean()


def mae__sum_0d(y_true, y_pred):
    """Sum over the size, wrapped in a 0-d array."""
    return np.array(np.sum(np.abs(y_pred - y_true)) / y_pred.size)


def huber__where_branches(y_true, y_pred, delta=1.0):
    """np.where on |r| < delta; a NumPy scalar."""
    a = np.abs(y_true - y_pred)
    return np.where(a < delta, 0.5 * a ** 2, delta * (a - 0.5 * delta)).mean()


def huber__masked_assignment(y_true, y_pred, delta=1.0):
    """Fills an output array through a boolean mask and its complement."""
    r = y_pred - y_true
    quad = np.abs(r) <= delta
    out = np.empty_like(r)
    out[quad] = 0.5 * r[quad] ** 2
    out[~quad] = delta * np.abs(r[~quad]) - 0.5 * delta * delta
    return out.sum() / out.size


def binary_cross_entropy__log1p_negative(y_true, p, eps=1e-12):
    """log1p(-p) for log(1 - p) after the clip."""
    p = np.clip(p, eps, 1 - eps)
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log1p(-p))


def binary_cross_entropy__min_max_clip(y_true, p, eps=1e-12):
    """np.minimum(np.maximum(...)) as the clip."""
    pc = np.minimum(np.maximum(p, eps), 1 - eps)
    return float(-np.sum(y_true * np.log(pc) + (1 - y_true) * np.log(1 - pc)) / p.size)


def binary_cross_entropy_with_logits__two_softplus(y_true, logits):
    """y * softplus(-x) + (1 - y) * softplus(x), each softplus by np.logaddexp."""
    return float(np.mean(y_true * np.logaddexp(0, -logits) + (1 - y_true) * np.logaddexp(0, logits)))


def binary_cross_entropy_with_logits__branch_by_sign(y_true, logits):
    """np.where between x + log1p(exp(-x)) and log1p(exp(x)); the unused branch may overflow."""
    x = logits
    with np.errstate(over="ignore"):
        softplus = np.where(x >= 0, x + np.log1p(np.exp(-x)), np.log1p(np.exp(x)))
    return float(np.mean(softplus - y_true * x))


def softmax_cross_entropy__take_along_axis(logits, labels):
    """Log-softmax, np.take_along_axis for the label entries, a NumPy scalar loss."""
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -np.take_along_axis(logp, labels[:, None], axis=1).mean()
    grad = np.exp(logp)
    grad[np.arange(n), labels] -= 1.0
    return loss, grad / n


def softmax_cross_entropy__lse_minus_label_logit(logits, labels):
    """logsumexp minus the label's logit (one-hot einsum); probabilities as exp(logits - lse)."""
    n, c = logits.shape
    onehot = np.eye(c)[labels]
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    loss = np.mean(lse - np.einsum("nc,nc->n", onehot, logits))
    return loss, (np.exp(logits - lse[:, None]) - onehot) / n


def hinge_loss__positive_part_sum(y_true, scores):
    """Sums only the positive margins' shortfalls, over the element count."""
    m = 1 - y_true * scores
    return float(np.sum(m[m > 0]) / m.size)


def hinge_loss__abs_average(y_true, scores):
    """max(0, z) as (z + |z|) / 2."""
    z = 1 - y_true * scores
    return float(np.mean((z + np.abs(z)) / 2))


def kl_divergence__log_with_where(p, q):
    """np.log(p, where=p > 0) into zeros, then an einsum over rows and classes."""
    logp = np.log(p, out=np.zeros_like(p), where=p > 0)
    return float(np.einsum("nc,nc->", p, logp - np.log(q)) / len(p))


def kl_divergence__safe_ratio(p, q):
    """A ratio with 1 where p == 0, masked with np.where; a NumPy scalar."""
    safe = np.where(p > 0, p, 1.0)
    return np.sum(np.where(p > 0, p * np.log(safe / q), 0.0)) / p.shape[0]
