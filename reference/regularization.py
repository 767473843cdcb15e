"""Oracles for ``regularization``: the penalties through torch autograd in float64,
``F.dropout`` under a private, seeded torch generator state, and a plain-Python early-stopping
rule (PyTorch has none; the rule is the one of Keras's ``EarlyStopping`` and Lightning's,
which only count an epoch as an improvement when it beats the best loss by more than
``min_delta``).

Below the oracles, the catalogued mistakes: wrong implementations students really write,
named ``<function>__<mistake>`` and written in plain NumPy.
"""

from __future__ import annotations

import numpy as np
from reference._torch import F, array, tensor, torch


def _penalty_and_grad(w, penalty_of):
    wt = tensor(w, requires_grad=True)
    penalty = penalty_of(wt)
    penalty.backward()
    return float(penalty.item()), array(wt.grad)


def l1_penalty(w, lam):
    # autograd of |w| at exactly 0 is sgn(0) = 0, the subgradient the contract asks for
    return _penalty_and_grad(w, lambda wt: lam * wt.abs().sum())


def l2_penalty(w, lam):
    return _penalty_and_grad(w, lambda wt: lam * (wt * wt).sum())


def elastic_net(w, l1, l2):
    return _penalty_and_grad(w, lambda wt: l1 * wt.abs().sum() + l2 * (wt * wt).sum())


def dropout(x, p, training=True, seed=0):
    # fork_rng restores the CPU generator afterwards, so the grader's torch state is untouched;
    # seeding only that generator (not torch.manual_seed) skips the lazy seeding of GPU backends
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(int(seed))
        out = F.dropout(tensor(x), p=float(p), training=bool(training))
    return array(out)


def early_stopping(val_losses, patience, min_delta=0.0):
    losses = [float(v) for v in val_losses]
    best, best_epoch, waited = losses[0], 0, 0     # epoch 0 always improves
    for epoch in range(1, len(losses)):
        if losses[epoch] < best - min_delta:
            best, best_epoch, waited = losses[epoch], epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(losses) - 1, best_epoch


# Mistakes -----------------------------------------------------------------------------------

# l1_penalty

def l1_penalty__l2_instead(w, lam):
    return float(lam * np.sum(w ** 2)), 2 * lam * w


def l1_penalty__gradient_without_lam(w, lam):
    return float(lam * np.sum(np.abs(w))), np.sign(w)


def l1_penalty__no_abs(w, lam):
    return float(lam * np.sum(w)), lam * np.sign(w)


def l1_penalty__mean_not_sum(w, lam):
    return float(lam * np.mean(np.abs(w))), lam * np.sign(w) / w.size


def l1_penalty__sign_at_zero_is_one(w, lam):
    return float(lam * np.sum(np.abs(w))), lam * np.where(w >= 0, 1.0, -1.0)


def l1_penalty__divided_by_abs(w, lam):
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(lam * np.sum(np.abs(w))), lam * w / np.abs(w)


# l2_penalty

def l2_penalty__half_convention(w, lam):
    return float(0.5 * lam * np.sum(w ** 2)), lam * w


def l2_penalty__gradient_missing_factor_2(w, lam):
    return float(lam * np.sum(w ** 2)), lam * w


def l2_penalty__norm_not_squared(w, lam):
    norm = np.sqrt(np.sum(w ** 2))
    return float(lam * norm), lam * w / norm


def l2_penalty__mean_not_sum(w, lam):
    return float(lam * np.mean(w ** 2)), 2 * lam * w / w.size


# elastic_net

def elastic_net__l2_gradient_missing_factor_2(w, l1, l2):
    return float(l1 * np.sum(np.abs(w)) + l2 * np.sum(w ** 2)), l1 * np.sign(w) + l2 * w


def elastic_net__coefficients_swapped(w, l1, l2):
    return float(l2 * np.sum(np.abs(w)) + l1 * np.sum(w ** 2)), l2 * np.sign(w) + 2 * l1 * w


def elastic_net__averaged(w, l1, l2):
    return (float((l1 * np.sum(np.abs(w)) + l2 * np.sum(w ** 2)) / 2),
            (l1 * np.sign(w) + 2 * l2 * w) / 2)


def elastic_net__l1_gradient_only(w, l1, l2):
    return float(l1 * np.sum(np.abs(w)) + l2 * np.sum(w ** 2)), l1 * np.sign(w)


def elastic_net__sign_at_zero_is_one(w, l1, l2):
    return (float(l1 * np.sum(np.abs(w)) + l2 * np.sum(w ** 2)),
            l1 * np.where(w >= 0, 1.0, -1.0) + 2 * l2 * w)


# dropout

def _keep_mask(x, keep_probability, seed):
    return np.random.default_rng(seed).random(np.shape(x)) < keep_probability


def dropout__no_rescale(x, p, training=True, seed=0):
    if not training or p == 0:
        return x.copy()
    return x * _keep_mask(x, 1 - p, seed)


def dropout__scaled_by_keep_probability(x, p, training=True, seed=0):
    if not training or p == 0:
        return x.copy()
    return x * _keep_mask(x, 1 - p, seed) * (1 - p)


def dropout__p_as_keep_probability(x, p, training=True, seed=0):
    # the CS231n convention, where p is the probability of *keeping* a unit
    if not training:
        return x.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return x * (_keep_mask(x, p, seed) / p)


def dropout__kept_with_probability_p(x, p, training=True, seed=0):
    if not training:
        return x.copy()
    return x * _keep_mask(x, p, seed) / (1 - p)


def dropout__dropped_in_eval(x, p, training=True, seed=0):
    return x * _keep_mask(x, 1 - p, seed) / (1 - p)


def dropout__scaled_at_test_time(x, p, training=True, seed=0):
    # the original (non-inverted) dropout: no rescaling in training, x * (1 - p) at inference
    if not training:
        return x * (1 - p)
    return x * _keep_mask(x, 1 - p, seed)


def dropout__ignored_seed(x, p, training=True, seed=0):
    if not training or p == 0:
        return x.copy()
    return x * (np.random.random(np.shape(x)) >= p) / (1 - p)


def dropout__unseeded_generator(x, p, training=True, seed=0):
    if not training or p == 0:
        return x.copy()
    return x * (np.random.default_rng().random(np.shape(x)) >= p) / (1 - p)


def dropout__mask_shared_across_batch(x, p, training=True, seed=0):
    if not training or p == 0:
        return x.copy()
    keep = np.random.default_rng(seed).random(np.shape(x)[-1]) >= p
    return x * keep / (1 - p)


def dropout__modified_input_in_place(x, p, training=True, seed=0):
    if not training or p == 0:
        return x
    x *= _keep_mask(x, 1 - p, seed)
    x /= 1 - p
    return x


# early_stopping

def _stopping(val_losses, patience, min_delta=0.0, improves=None, stop_after=None,
              best_on_any_decrease=False, never_stopped=None):
    """The correct rule with one piece replaced; each mistake below changes one argument."""
    improves = improves or (lambda loss, best: loss < best - min_delta)
    stop_after = stop_after or (lambda waited: waited >= patience)
    losses = [float(v) for v in val_losses]
    best, best_epoch, waited, lowest = losses[0], 0, 0, losses[0]
    for epoch in range(1, len(losses)):
        if best_on_any_decrease and losses[epoch] < lowest:
            best_epoch = epoch
        lowest = min(lowest, losses[epoch])
        if improves(losses[epoch], best):
            best, waited = losses[epoch], 0
            if not best_on_any_decrease:
                best_epoch = epoch
        else:
            waited += 1
            if stop_after(waited):
                return epoch, best_epoch
    return (len(losses) - 1 if never_stopped is None else never_stopped(losses)), best_epoch


def early_stopping__stops_one_epoch_late(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, stop_after=lambda waited: waited > patience)


def early_stopping__stops_one_epoch_early(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, stop_after=lambda waited: waited >= patience - 1)


def early_stopping__ties_count_as_improvement(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta,
                     improves=lambda loss, best: loss <= best - min_delta)


def early_stopping__min_delta_ignored(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, improves=lambda loss, best: loss < best)


def early_stopping__min_delta_wrong_way(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta,
                     improves=lambda loss, best: loss < best + min_delta)


def early_stopping__counter_not_reset(val_losses, patience, min_delta=0.0):
    losses = [float(v) for v in val_losses]
    best, best_epoch, waited = losses[0], 0, 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < best - min_delta:
            best, best_epoch = losses[epoch], epoch     # the counter keeps its count
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(losses) - 1, best_epoch


def early_stopping__best_epoch_any_decrease(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, best_on_any_decrease=True)


def early_stopping__never_stopped_returns_length(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, never_stopped=len)


def early_stopping__best_is_lowest_seen(val_losses, patience, min_delta=0.0):
    losses = [float(v) for v in val_losses]
    lowest, best_epoch, waited = losses[0], 0, 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < lowest - min_delta:
            best_epoch, waited = epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
        lowest = min(lowest, losses[epoch])  # moves even when the epoch did not improve
    return len(losses) - 1, best_epoch


def early_stopping__pair_swapped(val_losses, patience, min_delta=0.0):
    stop_epoch, best_epoch = _stopping(val_losses, patience, min_delta)
    return best_epoch, stop_epoch
