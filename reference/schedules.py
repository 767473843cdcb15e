"""Oracles for ``schedules``: the learning rate that ``torch.optim.lr_scheduler`` sets at an
epoch, found by running the scheduler itself (the chainable form ``scheduler.step()`` that
training loops use) on a one-parameter SGD optimizer.  One run records the whole schedule and is
cached, so asking for every epoch of a schedule costs one run.

- ``step_decay``        -> ``StepLR(step_size, gamma)``
- ``exponential_decay`` -> ``ExponentialLR(gamma)``
- ``cosine_annealing``  -> ``CosineAnnealingLR(T_max=t_max, eta_min=lr_min)``
- ``linear_warmup``     -> ``LambdaLR(lambda e: min(1, (e + 1) / warmup_epochs))``
  (the same as ``LinearLR(start_factor=1/warmup_epochs, total_iters=warmup_epochs - 1)``)

Below the oracles, the catalogued mistakes, written in plain Python.
"""

from __future__ import annotations

import math
from functools import lru_cache

from reference._torch import LazyModule, torch

lr_scheduler = LazyModule("torch.optim.lr_scheduler")

#: Every schedule is recorded at least this far, so one run serves all the epochs of a check.
HORIZON = 64


def _schedule(lr, epochs, make):
    """The learning rate at epochs ``0..epochs`` of the scheduler ``make(optimizer)``."""
    optimizer = _rates_only(lr)
    scheduler = make(optimizer)
    rates = []
    for _ in range(epochs + 1):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()       # a no-op (no gradient), so the scheduler sees the usual order
        scheduler.step()
    return tuple(rates)


def _rates_only(lr):
    """An optimizer with one parameter group and no parameters, whose step does nothing.

    The schedulers read and write only ``param_groups``; a real ``torch.optim.SGD`` would do the
    same here, but its constructor imports ``torch._dynamo`` on first use (seconds on a cold run).
    """
    class RatesOnly(torch.optim.Optimizer):
        def __init__(self):  # Optimizer.__init__ is the part that imports torch._dynamo
            self.defaults, self.state = {"lr": lr}, {}
            self.param_groups = [{"params": [], "lr": lr}]

        def step(self, closure=None):
            return None

    return RatesOnly()


@lru_cache(maxsize=512)
def _step_lrs(lr0, step_size, gamma, epochs):
    return _schedule(lr0, epochs, lambda o: lr_scheduler.StepLR(o, step_size=step_size, gamma=gamma))


@lru_cache(maxsize=512)
def _exponential_lrs(lr0, gamma, epochs):
    return _schedule(lr0, epochs, lambda o: lr_scheduler.ExponentialLR(o, gamma=gamma))


@lru_cache(maxsize=512)
def _cosine_lrs(lr_max, t_max, lr_min):
    return _schedule(lr_max, t_max, lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=t_max, eta_min=lr_min))


@lru_cache(maxsize=512)
def _warmup_lrs(lr, warmup_epochs, epochs):
    factor = lambda e: min(1.0, (e + 1) / warmup_epochs)  # noqa: E731
    return _schedule(lr, epochs, lambda o: lr_scheduler.LambdaLR(o, lr_lambda=factor))


def step_decay(lr0, epoch, step_size, gamma=0.1):
    return _step_lrs(float(lr0), int(step_size), float(gamma), max(HORIZON, epoch))[epoch]


def exponential_decay(lr0, epoch, gamma):
    return _exponential_lrs(float(lr0), float(gamma), max(HORIZON, epoch))[epoch]


def cosine_annealing(lr_max, epoch, t_max, lr_min=0.0):
    return _cosine_lrs(float(lr_max), int(t_max), float(lr_min))[epoch]


def linear_warmup(lr, epoch, warmup_epochs):
    return _warmup_lrs(float(lr), int(warmup_epochs), max(HORIZON, epoch))[epoch]


# Mistakes -----------------------------------------------------------------------------------

# step_decay

def step_decay__off_by_one(lr0, epoch, step_size, gamma=0.1):
    return lr0 * gamma ** ((epoch + 1) // step_size)


def step_decay__continuous_exponent(lr0, epoch, step_size, gamma=0.1):
    return lr0 * gamma ** (epoch / step_size)


def step_decay__decays_every_epoch(lr0, epoch, step_size, gamma=0.1):
    return lr0 * gamma ** epoch


def step_decay__rounded_not_floored(lr0, epoch, step_size, gamma=0.1):
    return lr0 * gamma ** round(epoch / step_size)


# exponential_decay

def exponential_decay__off_by_one(lr0, epoch, gamma):
    return lr0 * gamma ** (epoch + 1)


def exponential_decay__one_minus_gamma(lr0, epoch, gamma):
    return lr0 * (1 - gamma) ** epoch


def exponential_decay__exp_of_minus_gamma_epoch(lr0, epoch, gamma):
    return lr0 * math.exp(-gamma * epoch)


# cosine_annealing

def _cosine(lr_max, lr_min, fraction):
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * fraction)) / 2


def cosine_annealing__off_by_one(lr_max, epoch, t_max, lr_min=0.0):
    return _cosine(lr_max, lr_min, (epoch + 1) / t_max)


def cosine_annealing__t_max_minus_one(lr_max, epoch, t_max, lr_min=0.0):
    return _cosine(lr_max, lr_min, epoch / (t_max - 1))


def cosine_annealing__ignores_lr_min(lr_max, epoch, t_max, lr_min=0.0):
    return _cosine(lr_max, 0.0, epoch / t_max)


def cosine_annealing__lr_min_not_subtracted(lr_max, epoch, t_max, lr_min=0.0):
    return lr_min + lr_max * (1 + math.cos(math.pi * epoch / t_max)) / 2


def cosine_annealing__full_period(lr_max, epoch, t_max, lr_min=0.0):
    return _cosine(lr_max, lr_min, 2 * epoch / t_max)


# linear_warmup

def linear_warmup__no_plus_one(lr, epoch, warmup_epochs):
    return lr * min(1.0, epoch / warmup_epochs)


def linear_warmup__not_capped(lr, epoch, warmup_epochs):
    return lr * (epoch + 1) / warmup_epochs


def linear_warmup__denominator_plus_one(lr, epoch, warmup_epochs):
    return lr * min(1.0, (epoch + 1) / (warmup_epochs + 1))


def linear_warmup__integer_division(lr, epoch, warmup_epochs):
    return lr * min(1, (epoch + 1) // warmup_epochs)
