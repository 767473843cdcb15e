"""Helpers for the project's tests: grade trusted implementations in-process."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable

import numpy as np

from grader import catalog
from grader.engine import Options, grade_locally
from grader.results import FunctionResult

ROOT = Path(__file__).resolve().parent.parent


def load(folder: str, module: str):
    """Import ``<folder>/<module>.py`` (solutions or exercises) under a private name."""
    path = ROOT / folder / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"_{folder}_{module}", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def grade_impl(module: str, function: str, impl: Callable[..., Any], max_examples: int = 25,
               seed: int = 0) -> FunctionResult:
    """Grade ``impl`` as if it were a student's ``module.function``, in this process."""
    spec = catalog.exercise(module).functions[function]
    return grade_locally(spec, impl, Options(seed=seed, max_examples=max_examples))


def numeric_grad(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to every entry of ``x``.

    ``x`` is perturbed in place and restored, so ``f`` may close over it.
    """
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad
