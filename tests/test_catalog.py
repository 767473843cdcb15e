"""Every catalogued function: the model answer scores full marks, the stub scores zero, and
every catalogued mistake is caught and named."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import catalog
from tests.support import grade_impl, load

FUNCTIONS = [(ex.name, fn) for ex in catalog.exercises() for fn in ex.functions]
MISTAKES = [(ex.name, fn.name, m) for ex in catalog.exercises()
            for fn in ex.functions.values() for m in fn.mistakes]


@pytest.mark.parametrize("module,function", FUNCTIONS, ids=[f"{m}.{f}" for m, f in FUNCTIONS])
def test_solution_scores_full_marks(module, function):
    result = grade_impl(module, function, getattr(load("solutions", module), function), max_examples=100)
    problems = [(c.id, c.message, c.counterexample) for c in result.checks if c.status != "passed"]
    assert result.status == "passed", problems
    assert result.score == result.max_score > 0


@pytest.mark.parametrize("module,function", FUNCTIONS, ids=[f"{m}.{f}" for m, f in FUNCTIONS])
def test_stub_is_not_implemented(module, function):
    result = grade_impl(module, function, getattr(load("exercises", module), function))
    assert result.status == "not_implemented"
    assert result.score == 0


@pytest.mark.parametrize("module,function,mistake", MISTAKES, ids=[m.id for _, _, m in MISTAKES])
def test_mistake_is_caught_and_named(module, function, mistake):
    """Graded as written in another floating-point order (its results moved by a few units in the
    last place), every mistake still fails every check that exposes it, and is named."""
    result = grade_impl(module, function, reassociated(mistake.impl))
    assert result.status == "failed"
    named = [c.diagnosis.id for c in result.checks if c.diagnosis]
    assert mistake.id in named, [(c.id, c.status, c.message, c.diagnosis) for c in result.checks]
    failing = sorted(c.id.rsplit(".", 1)[1] for c in result.checks if c.status != "passed")
    assert failing == EXPOSED.get(mistake.id), (
        f"{mistake.id} now fails {failing}, the catalogue says {EXPOSED.get(mistake.id)}: a check that should "
        f"expose it no longer does (or refresh {EXPOSED_FILE.name} with `python -m tests.test_catalog --update`)")


def reassociated(impl):
    """``impl`` as if its formula were evaluated in another order: every float it returns is moved
    by about 1e-14 relative, far below any tolerance, so naming cannot rely on bit equality."""
    @functools.wraps(impl)
    def wrapper(*args, **kwargs):
        return _nudge(impl(*args, **kwargs))
    return wrapper


def _nudge(value):
    """Floats moved by ~1e-14 relative; whole numbers (0, 1, counts), exact in any order, are kept."""
    if isinstance(value, float):
        return value if not np.isfinite(value) or value == round(value) else value * (1 + 2.0 ** -46)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            moved = value * (1 + 2.0 ** -46 * np.where(np.arange(value.size).reshape(value.shape) % 2, 1, -1))
            return np.where(value == np.round(value), value, moved)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_nudge(v) for v in value)
    if isinstance(value, list):
        return [_nudge(v) for v in value]
    if type(value) is dict:
        return {k: _nudge(v) for k, v in value.items()}
    return value


EXPOSED_FILE = Path(__file__).with_name("catalogue_exposes.json")
EXPOSED = json.loads(EXPOSED_FILE.read_text()) if EXPOSED_FILE.is_file() else {}


def _update_exposed() -> None:
    """Record which checks each catalogued mistake fails (review the diff before committing it)."""
    exposed = {}
    for module, function, mistake in MISTAKES:
        result = grade_impl(module, function, reassociated(mistake.impl))
        exposed[mistake.id] = sorted(c.id.rsplit(".", 1)[1] for c in result.checks if c.status != "passed")
    EXPOSED_FILE.write_text(json.dumps(exposed, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    _update_exposed()


def test_every_function_has_three_mistakes():
    for ex in catalog.exercises():
        for fn in ex.functions.values():
            assert len(fn.mistakes) >= 3, f"{ex.name}.{fn.name} catalogues {len(fn.mistakes)} mistakes"


def test_mistake_ids_are_unique_and_prefixed():
    ids = [m.id for _, _, m in MISTAKES]
    assert len(ids) == len(set(ids))
    assert all(m.id.startswith(f"{fn}.") for _, fn, m in MISTAKES)
