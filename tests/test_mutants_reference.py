"""Each catalogued mistake keeps the behaviour it is catalogued with.

A mistake names the student code that behaves like it, so what it computes is part of what the
grader promises: the catalogue tests cannot see it change (they grade the mistake's own code,
which names itself whatever it computes).  Here each mistake runs every check of its function on
one recorded input per check, and what it returns (a fingerprint of its numbers, or the fault it
raises) must match the record in ``mistake_values.json`` to 1e-7.  Changing a mistake on
purpose: ``python -m tests.test_mutants_reference --update``, then review the diff.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader import catalog
from grader.calls import LocalFunction, StudentFault, decode_value, encode_args
from grader.engine import Options, drawn_inputs, fresh_copy, param_names

RECORD_FILE = Path(__file__).with_name("mistake_values.json")
CANDIDATES = 6  # drawn inputs per check, of which the record keeps the smallest
MODULES = [name for name in catalog.MODULES if name != "torch_tier"]  # the torch tier runs its own cases
MISTAKES = [(module, fn.name, mistake) for module in MODULES
            for fn in catalog.exercise(module).functions.values() for mistake in fn.mistakes]


def fingerprint(value: Any) -> list:
    """The numbers in ``value`` (every leaf, in order), summed three ways, with their count and
    how many are NaN, +inf and -inf; a fault as its status."""
    if isinstance(value, StudentFault):
        return ["fault", value.status]
    numbers = np.array(list(_leaves(value)), dtype=np.float64)
    finite = numbers[np.isfinite(numbers)]
    weights = np.cos(np.arange(finite.size))
    return [int(numbers.size), int(np.isnan(numbers).sum()), int((numbers == np.inf).sum()),
            int((numbers == -np.inf).sum()), float(finite.sum()), float((finite ** 2).sum()), float(finite @ weights)]


def _leaves(value: Any):
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _leaves(value[key])
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, (np.ndarray, np.generic, bool, int, float)) and np.asarray(value).dtype.kind in "biuf":
        yield from np.asarray(value, dtype=np.float64).ravel()


def behaviour(module: str, function: str, mistake, inputs: dict) -> dict:
    """The mistake's fingerprint on each check's recorded input (``"varies"`` when two runs differ).

    A generator made without a seed draws the same entropy sequence in every run, so a mistake
    that forgets its seed has a fingerprint too (its numbers would otherwise differ between runs,
    and now and then so would its verdict)."""
    spec = catalog.exercise(module).functions[function]
    seen = {}
    for check in spec.checks:
        args = decode_value(inputs[check.id])
        runs = []
        for _ in range(2):
            with _entropy_pinned():
                runs.append(fingerprint(_outcome(check, mistake.impl, args)))
        seen[check.name] = runs[0] if _same(runs[0], runs[1]) else "varies"
    return seen


@contextlib.contextmanager
def _entropy_pinned():
    """``np.random.default_rng()`` without a seed takes 1, 2, 3, ... in turn instead of OS entropy."""
    real, counter = np.random.default_rng, itertools.count(1)
    np.random.default_rng = lambda seed=None: real(next(counter) if seed is None else seed)
    try:
        yield
    finally:
        np.random.default_rng = real


def _outcome(check, impl, args):
    try:
        return check.run(LocalFunction(impl, param_names(check), check.mutable), fresh_copy(args))
    except StudentFault as fault:
        return fault


def _same(a, b) -> bool:
    if a == "varies" or b == "varies" or a[0] == "fault" or b[0] == "fault":
        return a == b
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-7, abs_tol=1e-9) for x, y in zip(a, b))


def recorded_inputs() -> dict:
    """One input per check of the catalogue: the smallest of the first few the search draws."""
    inputs = {}
    for module in MODULES:
        for fn in catalog.exercise(module).functions.values():
            for check in fn.checks:
                drawn = [json.loads(json.dumps(encode_args(a))) for a in drawn_inputs(check, Options(max_examples=CANDIDATES))]
                inputs[check.id] = min(drawn, key=lambda a: len(json.dumps(a)))
    return inputs


RECORD = json.loads(RECORD_FILE.read_text()) if RECORD_FILE.is_file() else {"inputs": {}, "mistakes": {}}


@pytest.mark.parametrize("module,function,mistake", MISTAKES, ids=[m.id for _, _, m in MISTAKES])
def test_a_catalogued_mistake_keeps_its_recorded_values(module, function, mistake):
    want = RECORD["mistakes"].get(mistake.id)
    assert want is not None, f"{mistake.id} is not recorded: run `python -m tests.test_mutants_reference --update`"
    got = behaviour(module, function, mistake, RECORD["inputs"])
    changed = [check for check in want if not _same(got.get(check), want[check])]
    assert not changed and set(got) == set(want), (
        f"{mistake.id} now computes something else on {changed or sorted(set(got) ^ set(want))}: got "
        f"{[got.get(c) for c in changed]}, recorded {[want[c] for c in changed]} (a change on purpose: "
        f"`python -m tests.test_mutants_reference --update`)")


def test_every_recorded_mistake_is_still_catalogued():
    assert set(RECORD["mistakes"]) == {m.id for _, _, m in MISTAKES}


def _update() -> None:
    inputs = recorded_inputs()
    mistakes = {m.id: behaviour(module, function, m, inputs) for module, function, m in MISTAKES}
    RECORD_FILE.write_text(json.dumps({"inputs": inputs, "mistakes": mistakes}, sort_keys=True) + "\n")


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    _update()
