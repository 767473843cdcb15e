"""Model answers for ``losses``: regression and classification losses in NumPy."""

from __future__ import annotations

import numpy as np


def mse(y_true, y_pred):
    """Mean of the squared errors over every element."""
    return float(np.mean((y_pred - y_true) ** 2))


def mse_grad(y_true, y_pred):
    """d mse / d y_pred = 2 * (y_pred - y_true) / N, N the number of elements."""
    return 2.0 * (y_pred - y_true) / y_pred.size


def mae(y_true, y_pred):
    """Mean of the absolute errors over every element."""
    return float(np.mean(np.abs(y_pred - y_true)))


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for |r| < delta, linear beyond; mean over every element (torch.nn.HuberLoss)."""
    r = y_pred - y_true
    a = np.abs(r)
    return float(np.mean(np.where(a < delta, 0.5 * r ** 2, delta * (a - 0.5 * delta))))


def binary_cross_entropy(y_true, p, eps=1e-12):
    """Mean binary cross-entropy of probabilities clipped to [eps, 1 - eps]."""
    p = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p)))


def binary_cross_entropy_with_logits(y_true, logits):
    """Mean of log(1 + exp(x)) - y*x, written so that exp never sees a positive number."""
    x = logits
    return float(np.mean(np.maximum(x, 0.0) - x * y_true + np.log1p(np.exp(-np.abs(x)))))


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of the row softmaxes and its gradient (softmax - one_hot) / N."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, labels].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, labels] -= 1.0
    return float(loss), dlogits / n


def hinge_loss(y_true, scores):
    """Mean of max(0, 1 - y*s)."""
    return float(np.mean(np.maximum(0.0, 1.0 - y_true * scores)))


def kl_divergence(p, q):
    """Mean over rows of sum p*log(p/q); terms with p == 0 count as 0."""
    positive = p > 0
    safe_p = np.where(positive, p, 1.0)  # log(1/q) is finite and then multiplied away
    terms = np.where(positive, p * np.log(safe_p / q), 0.0)
    return float(terms.sum() / p.shape[0])
