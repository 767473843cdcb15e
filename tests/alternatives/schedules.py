"""Correct ``schedules`` answers written differently from solutions/schedules.py.

Each ``<function>__<variant>`` follows the CURRICULUM contract exactly and must score full marks.
"""

import math

import numpy as np


# step_decay ----------------------------------------------------------------------------------

def step_decay__repeated_products(lr0, epoch, step_size, gamma=0.1):
    """Multiplies by gamma once per completed step, as the chainable scheduler does."""
    lr = lr0
    for _ in range(epoch // step_size):
        lr *= gamma
    return lr


def step_decay__floor_and_pow(lr0, epoch, step_size, gamma=0.1):
    """math.floor of a true division and math.pow."""
    return lr0 * math.pow(gamma, math.floor(epoch / step_size))


def step_decay__numpy_scalar(lr0, epoch, step_size, gamma=0.1):
    """np.power and np.floor_divide: returns a NumPy float64 scalar."""
    return np.float64(lr0) * np.power(gamma, np.floor_divide(epoch, step_size))


# exponential_decay ---------------------------------------------------------------------------

def exponential_decay__exp_log(lr0, epoch, gamma):
    """gamma ** epoch as exp(epoch * log(gamma))."""
    return lr0 * math.exp(epoch * math.log(gamma))


def exponential_decay__loop(lr0, epoch, gamma):
    """One multiplication per epoch."""
    lr = float(lr0)
    for _ in range(epoch):
        lr = lr * gamma
    return lr


# cosine_annealing ----------------------------------------------------------------------------

def cosine_annealing__half_angle(lr_max, epoch, t_max, lr_min=0.0):
    """(1 + cos(2a)) / 2 = cos(a)**2, with a = pi * epoch / (2 * t_max)."""
    return lr_min + (lr_max - lr_min) * math.cos(math.pi * epoch / (2 * t_max)) ** 2


def cosine_annealing__from_the_top(lr_max, epoch, t_max, lr_min=0.0):
    """Subtracts the annealed part from lr_max, with np.cos and np.pi; a 0-d array result."""
    drop = (lr_max - lr_min) * (1 - np.cos(np.pi * epoch / t_max)) / 2
    return np.asarray(lr_max - drop)


# linear_warmup -------------------------------------------------------------------------------

def linear_warmup__branch(lr, epoch, warmup_epochs):
    """An if for the plateau; the warmup as lr / warmup_epochs per epoch."""
    if epoch + 1 >= warmup_epochs:
        return lr
    return (lr / warmup_epochs) * (epoch + 1)


def linear_warmup__min_of_epochs(lr, epoch, warmup_epochs):
    """Caps the epoch count instead of the factor; np.minimum keeps it a NumPy scalar."""
    return lr * np.minimum(epoch + 1, warmup_epochs) / warmup_epochs


# Written for the outside review of modules 8-14 -----------------------------------------------

def step_decay__np_power_truncated_division(lr0, epoch, step_size, gamma=0.1):
    """int(epoch / step_size) (truncation equals floor for epoch >= 0); a NumPy scalar."""
    return np.float64(lr0) * np.power(np.float64(gamma), int(epoch / step_size))


def step_decay__math_pow_floor(lr0, epoch, step_size, gamma=0.1):
    return lr0 * math.pow(gamma, math.floor(epoch / step_size))


def exponential_decay__chained_products(lr0, epoch, gamma):
    """ExponentialLR's chainable form: multiply by gamma once per epoch."""
    lr = lr0
    for _ in range(int(epoch)):
        lr = lr * gamma
    return lr


def exponential_decay__math_pow_float_epoch(lr0, epoch, gamma):
    return lr0 * math.pow(gamma, float(epoch))


def cosine_annealing__weighted_ends_numpy(lr_max, epoch, t_max, lr_min=0.0):
    """lr_max and lr_min weighted by (1 + cos)/2 and (1 - cos)/2, with np.cos and np.pi."""
    c = np.cos(np.pi * epoch / t_max)
    return lr_max * (1 + c) / 2 + lr_min * (1 - c) / 2


def cosine_annealing__torch_recursive(lr_max, epoch, t_max, lr_min=0.0):
    """CosineAnnealingLR's recursive (chainable) update run from epoch 0: the rounding of up to
    t_max multiplications stays far inside the tolerance."""
    lr = lr_max
    for e in range(1, int(epoch) + 1):
        if (e - 1 - t_max) % (2 * t_max) == 0:
            lr = lr + (lr_max - lr_min) * (1 - math.cos(math.pi / t_max)) / 2
        else:
            lr = ((1 + math.cos(math.pi * e / t_max)) / (1 + math.cos(math.pi * (e - 1) / t_max))
                  * (lr - lr_min) + lr_min)
    return lr


def linear_warmup__fraction(lr, epoch, warmup_epochs):
    """The factor as an exact fractions.Fraction, capped at 1."""
    from fractions import Fraction
    return float(lr * min(Fraction(epoch + 1, warmup_epochs), Fraction(1)))


def linear_warmup__early_branch_first(lr, epoch, warmup_epochs):
    if epoch + 1 < warmup_epochs:
        return lr * (epoch + 1) / warmup_epochs
    return lr * 1.0
