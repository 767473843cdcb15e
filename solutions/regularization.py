"""Model answers for ``regularization``: weight penalties, inverted dropout and early stopping."""

from __future__ import annotations

import numpy as np


def l1_penalty(w, lam):
    """``lam * sum|w|`` and its subgradient ``lam * sign(w)`` (0 where w is 0)."""
    return float(lam * np.abs(w).sum()), lam * np.sign(w)


def l2_penalty(w, lam):
    """``lam * sum(w**2)`` and its gradient ``2 * lam * w``."""
    return float(lam * np.sum(w * w)), 2.0 * lam * w


def elastic_net(w, l1, l2):
    """The sum of the L1 and L2 penalties, and the sum of their gradients."""
    p1, g1 = l1_penalty(w, l1)
    p2, g2 = l2_penalty(w, l2)
    return p1 + p2, g1 + g2


def dropout(x, p, training=True, seed=0):
    """Inverted dropout: drop each entry with probability p, scale the survivors by 1/(1-p)."""
    if not training or p == 0:
        return x.copy()
    keep = np.random.default_rng(seed).random(x.shape) >= p
    return np.where(keep, x / (1.0 - p), 0.0)


def early_stopping(val_losses, patience, min_delta=0.0):
    """``(stop_epoch, best_epoch)`` for patience-based early stopping."""
    best = float("inf")
    best_epoch = 0
    waited = 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
