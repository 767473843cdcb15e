"""Checks for ``schedules``: whole learning-rate schedules compared with
``torch.optim.lr_scheduler``.

A check draws a schedule's hyperparameters, calls the student's function once for every epoch
of a range (``epochs`` in the counterexample) and compares the learning rate at each epoch with
the one the PyTorch scheduler sets there; messages name the epoch ("lr at epoch 7").  The
arguments are passed positionally in the contract's order, the optional ones left out in the
checks about their defaults.

Learning rates lie between 0 and 1 (3e-5 after three decays by 0.1, exactly 0 at the end of a
cosine without ``lr_min``) and every formula is a handful of float64 operations,
so correct implementations written in any order (a power or repeated products, ``1 + cos`` or
the half-angle ``cos**2`` form) agree with PyTorch's chainable updates to ~1e-14 relative;
``rtol=1e-9`` leaves five orders of magnitude.  Every catalogued mistake is off by more than
1e-2 relative at one drawn epoch or more: the ranges cover at least two decay steps, the whole
cosine from ``lr_max`` down to ``lr_min``, and the warmup's checks cover every warmup epoch and
then at least four epochs past the warmup.  Hypothesis shrinks ``sampled_from`` towards the first
value, so each list starts with the value that tells the mistakes apart best: a step size of 5
(``round(epoch / 5)`` never meets a tie there and differs from ``(epoch + 1) // 5``), a warmup
of 4 epochs, ``t_max = 8``.
"""

from __future__ import annotations

import inspect

from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec, each
from reference import schedules as ref

spec = ModuleSpec("schedules", "Learning-rate schedules", reference=ref)

LR_TOL = Tolerance(1e-9, 1e-13, "a few float64 operations in any order agree with torch's "
                   "chainable scheduler updates to ~1e-14 relative (~1e-17 absolute near a "
                   "cosine's final 0); every catalogued mistake is off by more than 1e-2 "
                   "relative at some drawn epoch")
LRS = st.sampled_from([0.1, 0.5, 0.03, 1.0])


def schedule_of(function):
    """A recipe that calls ``function`` for every epoch in ``args["epochs"]``, passing the other
    arguments positionally in the contract's order; a trailing argument missing from ``args``
    is left to its default."""
    names = list(inspect.signature(getattr(ref, function)).parameters)

    def schedule(fn, args):
        calls = []
        for epoch in args["epochs"]:
            values = []
            for name in names:
                if name == "epoch":
                    values.append(epoch)
                elif name in args:
                    values.append(args[name])
                else:
                    break
            calls.append((tuple(values), {}))
        rates = each(fn, calls)  # every epoch in one go where the function runs in the sandbox
        return {f"lr at epoch {epoch}": rate for epoch, rate in zip(args["epochs"], rates)}
    return schedule


def schedule_check(function, name, description, inputs):
    spec.check(function, name, points=1, description=description, inputs=inputs,
               oracle=getattr(ref, function), tol=LR_TOL, run=schedule_of(function))


# step_decay ----------------------------------------------------------------------------------

@st.composite
def step_inputs(draw, gamma=True):
    step_size = draw(st.sampled_from([5, 3, 4, 2]))
    args = {"lr0": draw(LRS), "step_size": step_size}
    if gamma:
        args["gamma"] = draw(st.sampled_from([0.5, 0.1, 0.3, 0.9]))
    args["epochs"] = list(range(2 * step_size + draw(st.integers(1, 3)) + 1))
    return args


schedule_check("step_decay", "matches_torch",
               "lr0 * gamma ** (epoch // step_size) at every epoch equals torch's StepLR",
               step_inputs())
schedule_check("step_decay", "default_gamma",
               "without gamma, the default 0.1 is used (StepLR's default)", step_inputs(gamma=False))
spec.mistakes(
    "step_decay",
    off_by_one=("Your decays come one epoch early: (epoch + 1) // step_size. Epochs count from 0, so the "
                "first decay is at epoch step_size: lr0 * gamma ** (epoch // step_size)."),
    continuous_exponent=("You decay a little every epoch, gamma ** (epoch / step_size). Step decay keeps the "
                         "rate constant for step_size epochs: use integer division, epoch // step_size."),
    decays_every_epoch=("You multiply by gamma at every epoch (gamma ** epoch); the rate drops only once every "
                        "step_size epochs: gamma ** (epoch // step_size)."),
    rounded_not_floored=("You rounded epoch / step_size to the nearest integer, so decays come halfway through a "
                         "step. Round down: epoch // step_size."),
)


# exponential_decay ---------------------------------------------------------------------------

@st.composite
def exponential_inputs(draw):
    return {"lr0": draw(LRS), "gamma": draw(st.sampled_from([0.8, 0.9, 0.95, 0.6])),
            "epochs": list(range(draw(st.integers(4, 10)) + 1))}


schedule_check("exponential_decay", "matches_torch",
               "lr0 * gamma ** epoch at every epoch equals torch's ExponentialLR", exponential_inputs())
spec.mistakes(
    "exponential_decay",
    off_by_one=("Your rate is already decayed at epoch 0 (gamma ** (epoch + 1)). Epoch 0 uses lr0 itself: "
                "lr0 * gamma ** epoch."),
    one_minus_gamma=("You multiply by (1 - gamma) per epoch, treating gamma as a decay rate. In torch's "
                     "ExponentialLR gamma is the factor kept each epoch: lr0 * gamma ** epoch."),
    exp_of_minus_gamma_epoch=("You used lr0 * exp(-gamma * epoch), the continuous-time form with gamma as a rate. "
                              "Here gamma is the per-epoch factor: lr0 * gamma ** epoch."),
)


# cosine_annealing ----------------------------------------------------------------------------

@st.composite
def cosine_inputs(draw, lr_min=True):
    t_max = draw(st.sampled_from([8, 5, 12, 6, 3]))
    lr_max = draw(LRS)
    args = {"lr_max": lr_max, "t_max": t_max}
    if lr_min:
        args["lr_min"] = lr_max * draw(st.sampled_from([0.1, 0.01, 0.25]))
    args["epochs"] = list(range(t_max + 1))
    return args


schedule_check("cosine_annealing", "matches_torch",
               "at every epoch 0..t_max, lr_min + (lr_max - lr_min) * (1 + cos(pi * epoch / t_max)) / 2 "
               "equals torch's CosineAnnealingLR(eta_min=lr_min)", cosine_inputs())
schedule_check("cosine_annealing", "default_lr_min",
               "without lr_min the schedule anneals to 0 (CosineAnnealingLR's default eta_min)",
               cosine_inputs(lr_min=False))
spec.mistakes(
    "cosine_annealing",
    off_by_one=("Your schedule runs one epoch ahead (cos(pi * (epoch + 1) / t_max)): epoch 0 must give lr_max "
                "and epoch t_max must give lr_min."),
    t_max_minus_one=("You divided by t_max - 1, so the cosine reaches lr_min one epoch early. The angle is "
                     "pi * epoch / t_max: lr_min is reached at epoch t_max."),
    ignores_lr_min=("Your schedule anneals to 0 whatever lr_min is. It goes from lr_max down to lr_min: "
                    "lr_min + (lr_max - lr_min) * (1 + cos(pi * epoch / t_max)) / 2."),
    lr_min_not_subtracted=("You added lr_min to lr_max * (1 + cos(...)) / 2, so epoch 0 gives lr_max + lr_min. "
                           "Scale the cosine by (lr_max - lr_min)."),
    full_period=("Your cosine makes a full period (cos(2 * pi * epoch / t_max)) and climbs back to lr_max. "
                 "Cosine annealing is half a period: cos(pi * epoch / t_max)."),
)


# linear_warmup -------------------------------------------------------------------------------

WARMUPS = st.sampled_from([4, 3, 6, 5, 2, 1])


@st.composite
def warmup_inputs(draw, after=False):
    """Every warmup epoch ``0..warmup_epochs - 1``, or with ``after`` the last warmup epoch and
    four to six epochs after it."""
    warmup = draw(WARMUPS)
    first, last = (warmup - 1, warmup + draw(st.integers(4, 6))) if after else (0, warmup - 1)
    return {"lr": draw(LRS), "warmup_epochs": warmup, "epochs": list(range(first, last + 1))}


schedule_check("linear_warmup", "during_warmup",
               "at epochs 0..warmup_epochs-1, lr * (epoch + 1) / warmup_epochs equals torch's LambdaLR "
               "warmup", warmup_inputs())
schedule_check("linear_warmup", "after_warmup",
               "from the last warmup epoch on, the rate stays at lr (the factor is capped at 1)",
               warmup_inputs(after=True))
spec.mistakes(
    "linear_warmup",
    no_plus_one=("Your rate is 0 at epoch 0 (epoch / warmup_epochs). Epoch 0 is the first warmup epoch: "
                 "lr * min(1, (epoch + 1) / warmup_epochs), so lr is reached at epoch warmup_epochs - 1."),
    not_capped=("Your rate keeps growing after the warmup. Cap the factor at 1: "
                "lr * min(1, (epoch + 1) / warmup_epochs)."),
    denominator_plus_one=("You divided by warmup_epochs + 1, so the warmup lasts one epoch too long. The factor "
                          "is (epoch + 1) / warmup_epochs, which reaches 1 at epoch warmup_epochs - 1."),
    integer_division=("You used integer division (epoch + 1) // warmup_epochs, so the rate is 0 for the whole "
                      "warmup and then jumps to lr. Use true division: (epoch + 1) / warmup_epochs."),
)
