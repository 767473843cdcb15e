"""Model answers for ``schedules``: closed forms of four ``torch.optim.lr_scheduler`` schedules."""

from __future__ import annotations

import math


def step_decay(lr0, epoch, step_size, gamma=0.1):
    """StepLR: multiply by gamma once every step_size epochs."""
    return float(lr0 * gamma ** (epoch // step_size))


def exponential_decay(lr0, epoch, gamma):
    """ExponentialLR: multiply by gamma every epoch."""
    return float(lr0 * gamma ** epoch)


def cosine_annealing(lr_max, epoch, t_max, lr_min=0.0):
    """CosineAnnealingLR: half a cosine from lr_max (epoch 0) down to lr_min (epoch t_max)."""
    return float(lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2)


def linear_warmup(lr, epoch, warmup_epochs):
    """Linear warmup: lr/warmup_epochs at epoch 0, rising to lr at epoch warmup_epochs - 1."""
    return float(lr * min(1.0, (epoch + 1) / warmup_epochs))
