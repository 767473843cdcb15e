"""Never fail a correct answer: differently written correct code scores full marks."""

from __future__ import annotations

import importlib

import pytest

from grader import catalog
from tests.support import grade_impl

VARIANTS = []
for _module in catalog.MODULES:
    try:
        _alternatives = importlib.import_module(f"tests.alternatives.{_module}")
    except ModuleNotFoundError:
        continue
    for _name, _impl in vars(_alternatives).items():
        function, _, variant = _name.rpartition("__")  # adam_step___loop: function adam_step_
        if variant and callable(_impl) and function in catalog.exercise(_module).functions:
            VARIANTS.append((_module, function, variant, _impl))


@pytest.mark.parametrize("module,function,variant,impl", VARIANTS,
                         ids=[f"{m}.{f}__{v}" for m, f, v, _ in VARIANTS])
def test_alternative_correct_code_scores_full_marks(module, function, variant, impl):
    result = grade_impl(module, function, impl, max_examples=60, seed=1)
    problems = [(c.id, c.message, c.counterexample) for c in result.checks if c.status != "passed"]
    assert result.status == "passed", problems


def test_every_function_has_an_alternative():
    covered = {(m, f) for m, f, _, _ in VARIANTS}
    missing = [f"{ex.name}.{fn}" for ex in catalog.exercises() for fn in ex.functions if (ex.name, fn) not in covered]
    assert not missing, missing
