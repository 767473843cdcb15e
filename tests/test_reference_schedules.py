"""The ``schedules`` oracles (torch's chainable schedulers) agree with hand-worked rates, with
the closed forms written here in plain Python, and with torch's own closed forms
(``_get_closed_form_lr``, and ``LinearLR`` for the warmup) to well inside the checks' tolerance."""

from __future__ import annotations

import math

import pytest
import torch
from torch.optim import lr_scheduler

from grader.specs.schedules import LR_TOL
from reference import schedules as ref


def _close(got, want, rtol=1e-12, atol=1e-15):
    return abs(got - want) <= atol + rtol * abs(want)


def test_hand_worked_rates():
    assert [ref.step_decay(1.0, e, 3, 0.5) for e in range(7)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert ref.step_decay(0.1, 5, 5) == pytest.approx(0.01, rel=1e-14)          # default gamma 0.1
    assert [ref.exponential_decay(2.0, e, 0.5) for e in range(4)] == [2.0, 1.0, 0.5, 0.25]
    cos = [ref.cosine_annealing(1.0, e, 4, 0.2) for e in range(5)]
    want = [1.0, 0.2 + 0.8 * (1 + math.sqrt(0.5)) / 2, 0.6, 0.2 + 0.8 * (1 - math.sqrt(0.5)) / 2, 0.2]
    assert all(_close(g, w) for g, w in zip(cos, want)), cos
    assert ref.cosine_annealing(0.5, 6, 6) == pytest.approx(0.0, abs=1e-16)    # default lr_min 0
    assert [ref.linear_warmup(0.8, e, 4) for e in range(6)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 0.8, 0.8], rel=1e-15)
    assert [ref.linear_warmup(0.3, e, 1) for e in range(3)] == [0.3, 0.3, 0.3]


def test_rates_are_python_floats():
    for value in (ref.step_decay(0.1, 3, 2), ref.exponential_decay(0.1, 3, 0.9),
                  ref.cosine_annealing(0.1, 3, 8), ref.linear_warmup(0.1, 3, 5)):
        assert type(value) is float


@pytest.mark.parametrize("lr0", [0.1, 0.03, 1.0])
def test_oracles_match_closed_forms(lr0):
    """Closed forms in plain Python against torch's chainable updates, over the drawn ranges:
    the largest relative difference is far inside the checks' rtol."""
    worst = 0.0

    def compare(got, want):
        nonlocal worst
        worst = max(worst, abs(got - want) / max(abs(want), 1e-300))
        assert _close(got, want, rtol=1e-13, atol=1e-16), (got, want)

    for step_size in (2, 3, 4, 5):
        for gamma in (0.5, 0.1, 0.3, 0.9):
            for e in range(3 * step_size + 4):
                compare(ref.step_decay(lr0, e, step_size, gamma), lr0 * gamma ** (e // step_size))
    for gamma in (0.6, 0.8, 0.9, 0.95):
        for e in range(40):
            compare(ref.exponential_decay(lr0, e, gamma), lr0 * gamma ** e)
    for t_max in (1, 3, 5, 6, 8, 12, 30):
        for frac in (0.0, 0.01, 0.1, 0.25):
            lr_min = lr0 * frac
            for e in range(t_max + 1):
                want = lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * e / t_max)) / 2
                got = ref.cosine_annealing(lr0, e, t_max, lr_min)
                assert _close(got, want, rtol=1e-13, atol=1e-15 * lr0), (t_max, e, got, want)
    for warmup in range(1, 8):
        for e in range(warmup + 8):
            compare(ref.linear_warmup(lr0, e, warmup), lr0 * min(1.0, (e + 1) / warmup))
    assert worst < LR_TOL.rtol * 1e-3


def _closed_form(make, lr, epoch):
    """torch's own closed form at ``epoch`` (the formula ``step(epoch)`` used to apply)."""
    param = torch.zeros(1, requires_grad=True)
    scheduler = make(torch.optim.SGD([param], lr=lr))
    scheduler.last_epoch = epoch
    return float(scheduler._get_closed_form_lr()[0])


@pytest.mark.skipif(not hasattr(lr_scheduler.StepLR, "_get_closed_form_lr"),
                    reason="this torch has no _get_closed_form_lr")
def test_chainable_oracles_agree_with_torch_closed_forms():
    for e in range(16):
        assert _close(ref.step_decay(0.5, e, 3, 0.3),
                      _closed_form(lambda o: lr_scheduler.StepLR(o, 3, 0.3), 0.5, e))
        assert _close(ref.exponential_decay(0.5, e, 0.9),
                      _closed_form(lambda o: lr_scheduler.ExponentialLR(o, 0.9), 0.5, e))
    for e in range(13):
        assert _close(ref.cosine_annealing(0.5, e, 12, 0.05),
                      _closed_form(lambda o: lr_scheduler.CosineAnnealingLR(o, 12, 0.05), 0.5, e),
                      atol=1e-15)


@pytest.mark.parametrize("warmup", [2, 3, 4, 6])
def test_warmup_equals_linear_lr(warmup):
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.4)
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=1 / warmup, end_factor=1.0,
                                      total_iters=warmup - 1)
    for e in range(warmup + 5):
        assert _close(ref.linear_warmup(0.4, e, warmup), optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()


def test_the_optimizer_stand_in_gives_the_rates_a_real_optimizer_gets():
    """The oracles run the schedulers on a parameterless optimizer (a real one's constructor
    imports torch._dynamo); a real SGD optimizer sees exactly the same rates."""
    makers = [lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.3),
              lambda o: lr_scheduler.ExponentialLR(o, gamma=0.8),
              lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=9, eta_min=0.01),
              lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda e: min(1.0, (e + 1) / 4))]
    for make in makers:
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.7)
        scheduler, real = make(optimizer), []
        for _ in range(10):
            real.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        assert ref._schedule(0.7, 9, make) == tuple(real)
