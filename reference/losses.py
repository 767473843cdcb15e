"""Oracles for ``losses``: each loss is its ``torch.nn.functional`` counterpart in float64
(``F.mse_loss``, ``F.l1_loss``, ``F.huber_loss``, ``F.binary_cross_entropy``,
``F.binary_cross_entropy_with_logits``, ``F.cross_entropy``, ``F.kl_div``), with autograd for
the two gradients.  The hinge loss has no ``F`` counterpart and is written with torch ops.

Below the oracles, the catalogued mistakes: wrong implementations students really write,
named ``<function>__<mistake>`` and written in plain NumPy.  Mistakes that overflow or take the
log of zero do so silently (``np.errstate``), exactly as a student's code would return inf/nan.
"""

from __future__ import annotations

import numpy as np

from reference._torch import F, array, tensor, torch


def mse(y_true, y_pred):
    return float(F.mse_loss(tensor(y_pred), tensor(y_true)))


def mse_grad(y_true, y_pred):
    pred = tensor(y_pred, requires_grad=True)
    F.mse_loss(pred, tensor(y_true)).backward()
    return array(pred.grad)


def mae(y_true, y_pred):
    return float(F.l1_loss(tensor(y_pred), tensor(y_true)))


def huber(y_true, y_pred, delta=1.0):
    return float(F.huber_loss(tensor(y_pred), tensor(y_true), delta=delta))


def binary_cross_entropy(y_true, p, eps=1e-12):
    # F.binary_cross_entropy also clamps each log at -100; after clipping p to [eps, 1 - eps]
    # that never binds for any eps above 1e-43.
    clipped = tensor(p).clamp(eps, 1.0 - eps)
    return float(F.binary_cross_entropy(clipped, tensor(y_true)))


def binary_cross_entropy_with_logits(y_true, logits):
    return float(F.binary_cross_entropy_with_logits(tensor(logits), tensor(y_true)))


def softmax_cross_entropy(logits, labels):
    z = tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, torch.as_tensor(np.asarray(labels), dtype=torch.int64))
    loss.backward()
    return float(loss.detach()), array(z.grad)


def hinge_loss(y_true, scores):
    return float(torch.clamp(1.0 - tensor(y_true) * tensor(scores), min=0.0).mean())


def kl_divergence(p, q):
    # kl_div's target term is xlogy(p, p): 0 where p == 0, as the contract asks.
    return float(F.kl_div(tensor(q).log(), tensor(p), reduction="batchmean"))


# Mistakes -----------------------------------------------------------------------------------
# Shared NumPy pieces (correct unless a mistake says otherwise).

def _quiet():
    return np.errstate(all="ignore")


def _bce_terms(y, p):
    """Elementwise binary cross-entropy of already-clipped probabilities."""
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _huber_terms(r, delta, half=0.5, linear=None):
    a = np.abs(r)
    lin = delta * (a - 0.5 * delta) if linear is None else linear(a)
    return np.where(a < delta, half * r ** 2, lin)


def _softplus(x):
    """log(1 + exp(x)) without overflow."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _log_softmax(z, axis=1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _ce_parts(logits, labels):
    """Row losses and the unscaled gradient softmax - one_hot, computed stably."""
    logp = _log_softmax(logits)
    rows = np.arange(len(labels))
    dz = np.exp(logp)
    dz[rows, labels] -= 1.0
    return -logp[rows, labels], dz


def _kl_rows(p, q):
    """sum over each row of p*log(p/q), with the terms where p == 0 set to 0."""
    with _quiet():
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / q), 0.0)
    return terms.sum(axis=1)


# mse

def mse__summed(y_true, y_pred):
    return float(np.sum((y_pred - y_true) ** 2))


def mse__half_mse(y_true, y_pred):
    return float(0.5 * np.mean((y_pred - y_true) ** 2))


def mse__root_mean_squared(y_true, y_pred):
    return float(np.sqrt(np.mean((y_pred - y_true) ** 2)))


def mse__abs_not_squared(y_true, y_pred):
    return float(np.mean(np.abs(y_pred - y_true)))


def mse__divided_by_rows(y_true, y_pred):
    return float(np.sum((y_pred - y_true) ** 2) / len(y_true))


def mse__square_of_mean(y_true, y_pred):
    return float(np.mean(y_pred - y_true) ** 2)


def mse__mean_over_axis_0(y_true, y_pred):
    return np.mean((y_pred - y_true) ** 2, axis=0)


# mse_grad

def mse_grad__missing_factor_2(y_true, y_pred):
    return (y_pred - y_true) / y_pred.size


def mse_grad__missing_1_over_n(y_true, y_pred):
    return 2 * (y_pred - y_true)


def mse_grad__sign_flipped(y_true, y_pred):
    return 2 * (y_true - y_pred) / y_pred.size


def mse_grad__divided_by_rows(y_true, y_pred):
    return 2 * (y_pred - y_true) / len(y_pred)


def mse_grad__returned_loss(y_true, y_pred):
    return float(np.mean((y_pred - y_true) ** 2))


# mae

def mae__no_abs(y_true, y_pred):
    return float(np.mean(y_pred - y_true))


def mae__squared(y_true, y_pred):
    return float(np.mean((y_pred - y_true) ** 2))


def mae__summed(y_true, y_pred):
    return float(np.sum(np.abs(y_pred - y_true)))


def mae__divided_by_rows(y_true, y_pred):
    return float(np.sum(np.abs(y_pred - y_true)) / len(y_true))


# huber

def huber__quadratic_missing_half(y_true, y_pred, delta=1.0):
    return float(np.mean(_huber_terms(y_pred - y_true, delta, half=1.0)))


def huber__linear_missing_half_delta(y_true, y_pred, delta=1.0):
    return float(np.mean(_huber_terms(y_pred - y_true, delta, linear=lambda a: delta * a)))


def huber__linear_without_delta_factor(y_true, y_pred, delta=1.0):
    return float(np.mean(_huber_terms(y_pred - y_true, delta, linear=lambda a: a - 0.5 * delta)))


def huber__smooth_l1_instead(y_true, y_pred, delta=1.0):
    r = y_pred - y_true
    a = np.abs(r)
    return float(np.mean(np.where(a < delta, 0.5 * r ** 2 / delta, a - 0.5 * delta)))


def huber__ignored_delta(y_true, y_pred, delta=1.0):
    return float(np.mean(_huber_terms(y_pred - y_true, 1.0)))


def huber__summed(y_true, y_pred, delta=1.0):
    return float(np.sum(_huber_terms(y_pred - y_true, delta)))


def huber__squared_everywhere(y_true, y_pred, delta=1.0):
    return float(np.mean(0.5 * (y_pred - y_true) ** 2))


def huber__signed_residual_compared(y_true, y_pred, delta=1.0):
    r = y_pred - y_true
    return float(np.mean(np.where(r < delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta))))


# binary_cross_entropy

def binary_cross_entropy__no_clipping(y_true, p, eps=1e-12):
    with _quiet():
        return float(np.mean(_bce_terms(y_true, p)))


def binary_cross_entropy__ignored_eps(y_true, p, eps=1e-12):
    return float(np.mean(_bce_terms(y_true, np.clip(p, 1e-7, 1 - 1e-7))))


def binary_cross_entropy__eps_added_not_clipped(y_true, p, eps=1e-12):
    return float(-np.mean(y_true * np.log(p + eps) + (1 - y_true) * np.log(1 - p + eps)))


def binary_cross_entropy__summed(y_true, p, eps=1e-12):
    return float(np.sum(_bce_terms(y_true, np.clip(p, eps, 1 - eps))))


def binary_cross_entropy__labels_flipped(y_true, p, eps=1e-12):
    return float(np.mean(_bce_terms(1 - y_true, np.clip(p, eps, 1 - eps))))


def binary_cross_entropy__missing_minus_sign(y_true, p, eps=1e-12):
    return float(-np.mean(_bce_terms(y_true, np.clip(p, eps, 1 - eps))))


# binary_cross_entropy_with_logits

def binary_cross_entropy_with_logits__naive_sigmoid(y_true, logits):
    with _quiet():
        p = 1.0 / (1.0 + np.exp(-logits))
        return float(np.mean(_bce_terms(y_true, p)))


def binary_cross_entropy_with_logits__naive_softplus(y_true, logits):
    with _quiet():
        return float(np.mean(np.log(1.0 + np.exp(logits)) - y_true * logits))


def binary_cross_entropy_with_logits__naive_for_negative_logits(y_true, logits):
    # log(1 + exp(x)) = x + log(1 + exp(-x)): exact algebra, but exp(-x) overflows for x < -709
    with _quiet():
        return float(np.mean((1 - y_true) * logits + np.log(1.0 + np.exp(-logits))))


def binary_cross_entropy_with_logits__missing_abs(y_true, logits):
    with _quiet():
        return float(np.mean(np.maximum(logits, 0) - y_true * logits + np.log1p(np.exp(-logits))))


def binary_cross_entropy_with_logits__clipped_sigmoid(y_true, logits):
    p = np.clip(1.0 / (1.0 + np.exp(-np.clip(logits, -500, 500))), 1e-7, 1 - 1e-7)
    return float(np.mean(_bce_terms(y_true, p)))


def binary_cross_entropy_with_logits__summed(y_true, logits):
    return float(np.sum(_softplus(logits) - y_true * logits))


def binary_cross_entropy_with_logits__labels_flipped(y_true, logits):
    return float(np.mean(_softplus(logits) - (1 - y_true) * logits))


# softmax_cross_entropy

def softmax_cross_entropy__no_max_subtraction(logits, labels):
    with _quiet():
        e = np.exp(logits)
        probs = e / e.sum(axis=1, keepdims=True)
        rows = np.arange(len(labels))
        loss = -np.mean(np.log(probs[rows, labels]))
        probs[rows, labels] -= 1.0
        return float(loss), probs / len(labels)


def softmax_cross_entropy__global_max_subtraction(logits, labels):
    with _quiet():
        e = np.exp(logits - np.max(logits))
        probs = e / e.sum(axis=1, keepdims=True)
        rows = np.arange(len(labels))
        loss = -np.mean(np.log(probs[rows, labels]))
        probs[rows, labels] -= 1.0
        return float(loss), probs / len(labels)


def softmax_cross_entropy__grad_not_divided_by_n(logits, labels):
    rows_loss, dz = _ce_parts(logits, labels)
    return float(rows_loss.mean()), dz


def softmax_cross_entropy__summed_over_batch(logits, labels):
    rows_loss, dz = _ce_parts(logits, labels)
    return float(rows_loss.sum()), dz


def softmax_cross_entropy__grad_missing_one_hot(logits, labels):
    rows_loss, _ = _ce_parts(logits, labels)
    return float(rows_loss.mean()), np.exp(_log_softmax(logits)) / len(labels)


def softmax_cross_entropy__grad_sign_flipped(logits, labels):
    rows_loss, dz = _ce_parts(logits, labels)
    return float(rows_loss.mean()), -dz / len(labels)


def softmax_cross_entropy__softmax_over_batch_axis(logits, labels):
    logp = _log_softmax(logits, axis=0)
    rows = np.arange(len(labels))
    dz = np.exp(logp)
    dz[rows, labels] -= 1.0
    return float(-logp[rows, labels].mean()), dz / len(labels)


def softmax_cross_entropy__indexed_columns(logits, labels):
    logp = _log_softmax(logits)
    dz = np.exp(logp)
    dz[:, labels] -= 1.0
    return float(-logp[:, labels].mean()), dz / len(labels)


# hinge_loss

def hinge_loss__zero_margin(y_true, scores):
    return float(np.mean(np.maximum(0.0, -y_true * scores)))


def hinge_loss__no_clamp(y_true, scores):
    return float(np.mean(1.0 - y_true * scores))


def hinge_loss__summed(y_true, scores):
    return float(np.sum(np.maximum(0.0, 1.0 - y_true * scores)))


def hinge_loss__divided_by_rows(y_true, scores):
    return float(np.sum(np.maximum(0.0, 1.0 - y_true * scores)) / len(y_true))


def hinge_loss__squared_hinge(y_true, scores):
    return float(np.mean(np.maximum(0.0, 1.0 - y_true * scores) ** 2))


def hinge_loss__sign_flipped(y_true, scores):
    return float(np.mean(np.maximum(0.0, 1.0 + y_true * scores)))


# kl_divergence

def kl_divergence__arguments_swapped(p, q):
    with _quiet():
        return float(np.mean(np.sum(q * np.log(q / p), axis=1)))


def kl_divergence__summed_not_batchmean(p, q):
    return float(_kl_rows(p, q).sum())


def kl_divergence__mean_over_all_elements(p, q):
    return float(_kl_rows(p, q).sum() / p.size)


def kl_divergence__nan_for_zero_p(p, q):
    with _quiet():
        return float(np.mean(np.sum(p * np.log(p / q), axis=1)))


def kl_divergence__cross_entropy_only(p, q):
    return float(np.mean(-np.sum(p * np.log(q), axis=1)))


def kl_divergence__sign_flipped(p, q):
    return float(-_kl_rows(p, q).mean())
