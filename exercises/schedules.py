"""Learning-rate schedules: the learning rate as a function of the epoch.

A fixed learning rate is a compromise: large enough to make progress early, small enough to
settle into a minimum late.  A *schedule* changes it as training goes on.  PyTorch implements
them as ``torch.optim.lr_scheduler`` objects that update the optimizer's rate after every epoch;
here you write their *closed forms*: given the epoch number, return the rate directly.

- **step decay** divides the rate by a constant factor every few epochs (a staircase);
- **exponential decay** shrinks it by the same factor every epoch (a smooth curve);
- **cosine annealing** follows half a cosine wave from a maximum down to a minimum;
- **linear warmup** starts small and grows linearly for the first epochs, which keeps large
  early updates (when the weights and the optimizer's statistics are still poor) from
  destabilising training.

Epochs count from 0: epoch 0 is the first epoch of training.  Every function returns a Python
``float`` (a NumPy float scalar is accepted too).  Only ``numpy`` and ``math`` may be imported.
"""

import math


def step_decay(lr0, epoch, step_size, gamma=0.1):
    """Step decay (``torch.optim.lr_scheduler.StepLR``).

    The rate starts at ``lr0`` and is multiplied by ``gamma`` every ``step_size`` epochs:

        lr = lr0 * gamma ** (epoch // step_size)

    With ``step_size=3``: epochs 0, 1, 2 use ``lr0``, epochs 3, 4, 5 use ``lr0 * gamma``, ...

    Arguments: ``lr0 > 0`` and ``gamma`` are floats; ``epoch >= 0`` and ``step_size >= 1`` are ints.
    Returns: the learning rate at ``epoch``, a float.
    Pitfall: integer division (``//``), and no ``+ 1``: the first decay happens at epoch
    ``step_size``, not ``step_size - 1``.
    """
    raise NotImplementedError("schedules.step_decay: return lr0 * gamma ** (epoch // step_size)")


def exponential_decay(lr0, epoch, gamma):
    """Exponential decay (``torch.optim.lr_scheduler.ExponentialLR``).

    The rate is multiplied by ``gamma`` after every epoch:

        lr = lr0 * gamma ** epoch

    Arguments: ``lr0 > 0`` and ``0 < gamma < 1`` are floats; ``epoch >= 0`` is an int.
    Returns: the learning rate at ``epoch``, a float.
    Pitfall: ``gamma`` is the factor that is *kept* each epoch (0.9 keeps 90 %), not a decay
    rate; and epoch 0 uses ``lr0`` itself.
    """
    raise NotImplementedError("schedules.exponential_decay: return lr0 * gamma ** epoch")


def cosine_annealing(lr_max, epoch, t_max, lr_min=0.0):
    """Cosine annealing (``torch.optim.lr_scheduler.CosineAnnealingLR`` with ``eta_min=lr_min``).

    Over ``t_max`` epochs the rate follows half a cosine from ``lr_max`` down to ``lr_min``:

        lr = lr_min + (lr_max - lr_min) * (1 + cos(pi * epoch / t_max)) / 2

    so epoch 0 gives ``lr_max``, epoch ``t_max / 2`` the midpoint, epoch ``t_max`` gives ``lr_min``.

    Arguments: ``lr_max > lr_min >= 0`` are floats; ``t_max >= 1`` and ``0 <= epoch <= t_max``
    are ints.
    Returns: the learning rate at ``epoch``, a float.
    Pitfall: divide by ``t_max`` (not ``t_max - 1``), and scale the cosine by
    ``lr_max - lr_min`` so that the schedule really ends at ``lr_min``.
    """
    raise NotImplementedError("schedules.cosine_annealing: return lr_min + (lr_max - lr_min) * (1 + cos(pi*epoch/t_max)) / 2")


def linear_warmup(lr, epoch, warmup_epochs):
    """Linear warmup to ``lr`` (``LambdaLR`` with the factor below, or ``LinearLR``).

    For the first ``warmup_epochs`` epochs the rate grows in equal steps, and from then on it
    stays at ``lr``:

        lr_at_epoch = lr * min(1, (epoch + 1) / warmup_epochs)

    With ``warmup_epochs=4``: epochs 0, 1, 2, 3 use ``lr/4, lr/2, 3lr/4, lr``; epoch 4 on uses ``lr``.

    Arguments: ``lr > 0`` is a float; ``epoch >= 0`` and ``warmup_epochs >= 1`` are ints.
    Returns: the learning rate at ``epoch``, a float.
    Pitfall: the ``+ 1`` (epoch 0 must not have a rate of 0, or the first epoch is wasted), the
    cap at 1, and true division (``(epoch + 1) // warmup_epochs`` is 0 during the warmup).
    """
    raise NotImplementedError("schedules.linear_warmup: return lr * min(1, (epoch + 1) / warmup_epochs)")
