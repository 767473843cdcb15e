"""Every catalogued function: the model answer scores full marks, the stub scores zero, and
every catalogued mistake is caught and named."""

from __future__ import annotations

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
    result = grade_impl(module, function, mistake.impl)
    assert result.status == "failed"
    named = [c.diagnosis.id for c in result.checks if c.diagnosis]
    assert mistake.id in named, [(c.id, c.status, c.message, c.diagnosis) for c in result.checks]


def test_every_function_has_three_mistakes():
    for ex in catalog.exercises():
        for fn in ex.functions.values():
            assert len(fn.mistakes) >= 3, f"{ex.name}.{fn.name} catalogues {len(fn.mistakes)} mistakes"


def test_mistake_ids_are_unique_and_prefixed():
    ids = [m.id for _, _, m in MISTAKES]
    assert len(ids) == len(set(ids))
    assert all(m.id.startswith(f"{fn}.") for _, fn, m in MISTAKES)
