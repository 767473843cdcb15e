"""The engine's own promises: shrunk counterexamples, reproducible searches, statuses."""

from __future__ import annotations

import numpy as np

from grader import catalog
from grader.engine import Options, grade_function, grade_locally
from grader.calls import StudentFault
from reference import optimizers as ref


def sgd_spec():
    return catalog.exercise("optimizers").functions["sgd"]


def test_counterexamples_are_shrunk_to_the_smallest_input():
    result = grade_locally(sgd_spec(), ref.sgd__gradient_ascent)
    example = result.checks[0].counterexample
    assert np.shape(example["w"]) == (2,)  # the smallest shape the strategy draws
    assert len(example["grads"]) == 1  # a single step already shows the mistake


def test_the_search_is_reproducible_and_follows_the_seed():
    def drawn_inputs(seed):
        seen = []

        def sgd(w, dw, state, lr=0.01):
            seen.append(w.tolist())
            return w - lr * dw, state
        result = grade_locally(sgd_spec(), sgd, Options(seed=seed))
        assert result.status == "passed"
        return seen

    assert drawn_inputs(5) == drawn_inputs(5)
    assert drawn_inputs(5) != drawn_inputs(6)


def test_a_timeout_stops_the_function_and_skips_its_other_checks():
    calls = []

    def hangs(check, names):
        def call(*args, **kwargs):
            calls.append(1)
            raise StudentFault("timeout", "did not return within 1 s")
        return call

    result = grade_function(sgd_spec(), hangs)
    assert result.status == "timeout" and len(calls) == 1
    assert [c.status for c in result.checks] == ["timeout", "skipped"]


def test_points_follow_the_checks_that_pass():
    def forgets_default_lr(w, dw, state, lr=0.1):
        return w - lr * dw, state

    result = grade_locally(sgd_spec(), forgets_default_lr)
    assert [c.status for c in result.checks] == ["passed", "failed"]
    assert result.score == 1.0 and result.max_score == 2.0 and result.status == "failed"
