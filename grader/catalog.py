"""The one registry of exercises: module -> function -> checks, in curriculum order."""

from __future__ import annotations

import importlib
from functools import lru_cache

from grader.spec import ExerciseSpec, FunctionSpec

#: Every curriculum module, in the order of CURRICULUM.md; each has its checks in grader/specs/.
MODULES = ("derivatives", "activations", "losses", "optimizers", "backprop", "batchnorm",
           "regularization", "conv", "rnn", "attention", "gan", "schedules", "init", "torch_tier")

#: Modules outside the core (NumPy) tier: known here, so choosing a tier imports only its checks.
TIERS = {"torch_tier": "torch"}


def tier_of(name: str) -> str:
    return TIERS.get(name, "core")


@lru_cache(maxsize=None)
def exercise(name: str) -> ExerciseSpec:
    return importlib.import_module(f"grader.specs.{name}").spec.exercise


def exercises(tier: str = "all") -> list[ExerciseSpec]:
    return [exercise(name) for name in MODULES if tier in ("all", tier_of(name))]


class UnknownExercise(LookupError):
    pass


def select(names: tuple[str, ...], tier: str = "core") -> list[tuple[ExerciseSpec, list[FunctionSpec]]]:
    """The exercises and functions that ``grade run NAMES --tier TIER`` grades.

    A named exercise (``optimizers``) or function (``optimizers.adam``) is graded whatever its
    tier; with no names, every exercise of ``tier`` (``all`` for every tier).
    """
    if not names:
        return [(ex, list(ex.functions.values())) for ex in exercises(tier)]
    chosen: dict[str, list[FunctionSpec]] = {}
    for name in names:
        module, _, function = name.partition(".")
        if module not in MODULES:
            raise UnknownExercise(f"unknown exercise {name!r}; `grade list` shows the catalog")
        ex = exercise(module)
        if function and function not in ex.functions:
            raise UnknownExercise(f"{module} has no function {function!r}; `grade list` shows the catalog")
        wanted = [ex.functions[function]] if function else list(ex.functions.values())
        bucket = chosen.setdefault(module, [])
        bucket += [f for f in wanted if f not in bucket]
    return [(exercise(m), sorted(fs, key=list(exercise(m).functions.values()).index))
            for m in MODULES if m in chosen for fs in [chosen[m]]]
