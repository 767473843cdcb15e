"""The engine's promises that mutation testing found unguarded: a fault costs only its check's
points and says what happened, a stub reads as a to-do, a fault that stops a function skips its
other checks without changing the total, ``max_examples`` sets the effort, what the code printed
is shown, and a name that is not confirmed on other inputs says so."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from grader import catalog
from grader.calls import StudentFault
from grader.engine import (NOT_IMPLEMENTED_PREFIX, UNRELIABLE, Options, drawn_inputs, extra_inputs, grade_function,
                           grade_locally)
from grader.grading import grade
from tests.support import grade_impl


def spec(module: str, function: str):
    return catalog.exercise(module).functions[function]


def test_code_that_raises_scores_zero_on_each_check_and_says_why():
    result = grade_impl("backprop", "linear_forward", lambda x, W, b: 1 / 0, max_examples=5)
    assert result.status == "error" and result.score == 0 and result.max_score == sum(c.points for c in spec("backprop", "linear_forward").checks)
    for check, declared in zip(result.checks, spec("backprop", "linear_forward").checks):
        assert (check.status, check.points, check.max_points) == ("error", 0.0, declared.points)
        assert check.message.startswith("raised ZeroDivisionError: division by zero")
        assert set(check.counterexample) == {"x", "W", "b"}


def test_an_exception_a_student_can_fix_is_explained():
    result = grade_impl("backprop", "linear_forward", lambda x, W, b: W @ x + b, max_examples=5)
    assert {c.diagnosis.id for c in result.checks} == {"error.matmul_shapes"}
    for check in result.checks:  # in the terms of the failing input: its operands' shapes
        example = check.counterexample
        assert str(np.shape(example["W"])) in check.diagnosis.message and str(np.shape(example["x"])) in check.diagnosis.message


def test_code_that_answers_the_same_input_differently_is_unreliable_and_scores_zero():
    calls = []

    def sometimes_off(x, W, b):
        calls.append(1)
        return x @ W + b + (len(calls) % 3 == 0)

    result = grade_impl("backprop", "linear_forward", sometimes_off)
    declared = spec("backprop", "linear_forward").checks
    assert [(c.id, c.status, c.points, c.max_points) for c in result.checks] == [
        (d.id, "failed", 0.0, d.points) for d in declared]
    assert all(c.message == UNRELIABLE and set(c.counterexample) == {"x", "W", "b"} for c in result.checks)


def test_a_stub_is_a_to_do_with_its_hint_and_no_input():
    def stub(x, W, b):
        raise NotImplementedError("compute x @ W + b")

    result = grade_impl("backprop", "linear_forward", stub, max_examples=5)
    assert result.status == "not_implemented" and result.score == 0
    for check, declared in zip(result.checks, spec("backprop", "linear_forward").checks):
        assert (check.status, check.points, check.max_points) == ("error", 0.0, declared.points)
        assert check.message == f"{NOT_IMPLEMENTED_PREFIX}compute x @ W + b" and check.counterexample is None


@pytest.mark.parametrize("fault,status,why", [
    ("timeout", "timeout", "an earlier check timed out"),
    ("crashed", "error", "an earlier check crashed the process"),
    ("violation", "violation", "an earlier check broke an integrity rule"),
])
def test_a_fault_that_stops_a_function_skips_its_other_checks_and_keeps_the_total(fault, status, why):
    declared = spec("backprop", "linear_backward")

    def student(check, names):
        def call(*args, **kwargs):
            raise StudentFault(fault, f"the {fault} itself")
        return call

    result = grade_function(declared, student)
    assert result.status == status
    assert (result.score, result.max_score) == (0, sum(c.points for c in declared.checks))
    first, *rest = result.checks
    assert first.message == f"the {fault} itself" and first.points == 0
    assert set(first.counterexample) == {"dout", "x", "W"}  # the input it stopped on
    assert rest and all((c.status, c.points, c.message) == ("skipped", 0.0, f"not run: {why}") for c in rest)
    assert [c.max_points for c in rest] == [c.points for c in declared.checks[1:]]


def test_a_fault_that_does_not_stop_the_function_lets_the_other_checks_run():
    declared = spec("backprop", "linear_backward")

    def student(check, names):
        def call(*args, **kwargs):
            raise StudentFault("failed", "modified its input `x` in place")
        return call

    result = grade_function(declared, student)
    assert result.status == "failed" and all(c.status == "failed" for c in result.checks)


def test_max_examples_sets_how_many_inputs_a_check_draws():
    check = spec("backprop", "linear_forward").checks[0]
    assert len(drawn_inputs(check, Options(seed=11, max_examples=7))) == 7
    assert len(drawn_inputs(check, Options(seed=11, max_examples=3))) == 3
    assert len(extra_inputs(check, Options(seed=11), count=2)) == 2


def test_what_the_code_printed_is_shown_only_when_it_printed(tmp_path):
    (tmp_path / "backprop.py").write_text(textwrap.dedent("""
        def linear_forward(x, W, b):
            print("shapes", x.shape, W.shape)
            return x @ W + 2 * b

        def linear_backward(dout, x, W):
            return dout @ W.T, x.T @ dout, 2 * dout.sum(axis=0)
        """))
    result = grade(str(tmp_path), ("backprop.linear_forward", "backprop.linear_backward"),
                   options=Options(max_examples=5), jobs=1, cache=False)
    printed, quiet = (f.first_problem.message for f in result.exercises[0].functions)
    assert "\nyour code printed:\nshapes (" in printed
    assert "printed" not in quiet
    assert quiet.endswith("is missing, extra or has the wrong sign") or quiet.endswith("a constant factor is off")


def test_a_name_that_other_inputs_contradict_is_only_called_consistent():
    def forgets_the_bias_on_one_row(x, W, b):
        return x @ W if x.shape[0] == 1 else x @ W + 3 * b

    result = grade_impl("backprop", "linear_forward", forgets_the_bias_on_one_row)
    diagnoses = [c.diagnosis for c in result.checks if c.diagnosis]
    assert diagnoses and all(d.id == "consistent_with:linear_forward.forgot_bias" for d in diagnoses)
    mistake = next(m for m in spec("backprop", "linear_forward").mistakes if m.id == "linear_forward.forgot_bias")
    assert diagnoses[0].message == f"Not confirmed on other inputs, but consistent with this failure: {mistake.message}"


def test_a_correct_answer_passes_every_check_with_its_points():
    result = grade_locally(spec("backprop", "linear_forward"), lambda x, W, b: x @ W + b, Options(max_examples=5))
    assert [(c.id, c.status, c.points) for c in result.checks] == [
        (c.id, "passed", c.points) for c in spec("backprop", "linear_forward").checks]
    assert np.isclose(result.score, result.max_score)
