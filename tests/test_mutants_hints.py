"""Each rule of the feedback given when no mistake is named, with the words a student reads: the
rules that mutation testing found unguarded (factors and the size they come from, offsets,
per-feature patterns, transposes, zeros, NaN and inf, outputs that run a step ahead or behind,
which outputs of several agree) -- and silence where a rule does not apply."""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import Tolerance
from grader.hints import matched_outputs, observations, parts

TOL = Tolerance(1e-9, 1e-12, "test")
W = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
X = {"x": np.zeros((4, 3)), "seed": 4}
FACTOR = "every value is {} the expected one{}: a constant factor is off"


def said(got, want=W, args=X):
    notes = observations(got, want, TOL, args)
    assert len(notes) <= 1
    return notes[0] if notes else None


@pytest.mark.parametrize("factor,words", [
    (2, "exactly twice"), (0.5, "exactly half"), (-2, "exactly -2 times"), (-0.5, "exactly -1/2 times"),
    (5, "exactly 5 times"), (1 / 7, "exactly 1/7 times"),
])
def test_a_clean_factor_is_said_in_words(factor, words):
    assert said(factor * W) == FACTOR.format(words, "")


@pytest.mark.parametrize("factor,size", [(3, "N with N = x.shape[1] = 3"), (1 / 4, "1/N with N = x.shape[0] = 4")])
def test_a_factor_that_is_a_size_of_the_input_is_named(factor, size):
    fraction = "exactly 3 times" if factor == 3 else "exactly 1/4 times"
    assert said(factor * W) == FACTOR.format(fraction, f" ({size})")


def test_a_sign_error_and_an_unclean_factor():
    assert said(-W) == "every value has the opposite sign of the expected one (exactly -1 times it): a sign error"
    assert said(1.2345 * W) == "every value is the expected one times 1.234: a constant factor is off"


def test_a_factor_needs_every_value_and_zeros_where_the_reference_is_zero():
    want = np.array([0.0, 1.0, 2.0])
    assert said(np.array([0.0, 2.0, 4.0]), want) == FACTOR.format("exactly twice", "")
    assert said(np.array([0.5, 2.0, 4.0]), want) is None  # not a factor where the reference is 0
    assert said(np.array([0.0, 2.0, 4.5]), want) is None  # not one factor for all values
    assert said(np.array([0.0, 1.0 + 1e-8, 2.0]), want) is None  # within a hair of 1: no factor to report


def test_sizes_are_named_only_from_numeric_inputs_and_only_above_one():
    assert said(2 * W, args={"x": np.zeros((2, 5))}) == FACTOR.format("exactly twice", " (N with N = x.shape[0] = 2)")
    assert said(2 * W, args={"names": ["a", "b"]}) == FACTOR.format("exactly twice", "")
    assert said(2 * W, args={"rows": [[0.0] * 7, [0.0] * 7]}) == FACTOR.format("exactly twice", " (N with N = rows.shape[0] = 2)")
    assert said(7 * W, args={"rows": [[0.0] * 7, [0.0] * 7]}) == FACTOR.format("exactly 7 times", " (N with N = rows.shape[1] = 7)")


def test_an_offset_and_per_feature_patterns():
    assert said(W + 0.5) == "every value is off by the same amount (+0.5): something added once too often, or missing"
    assert said(W - 0.25) == "every value is off by the same amount (-0.25): something added once too often, or missing"
    per_axis = ("the difference is the same at every index of axis {}: a per-feature term (a bias, a shift, a mean) "
                "is missing, extra or has the wrong sign")
    assert said(W + np.array([1.0, 2.0, 3.0])) == per_axis.format(0)
    assert said(W + np.array([[1.0], [2.0]])) == per_axis.format(1)
    assert said(W * np.array([1.0, 2.0, 3.0])) == ("the ratio to the expected value is the same at every index of "
                                                   "axis 0: a per-feature scale (a gamma, a standard deviation, a count) is off")
    assert said(np.array([1.0, 2.0]) + np.array([0.5, -0.5]), np.array([1.0, 2.0])) is None  # 1-D: no axis to speak of


def test_noise_is_not_called_a_pattern():
    noise = np.array([[0.1, 0.25, 0.3], [0.45, 0.5, 0.65]])
    assert said(W + noise) is None
    assert said(np.where(W < 0, 0, W + 0.5)) is None  # not only the negative entries are wrong
    assert said(0.5, 0.0) is None  # one value: no offset to speak of
    assert said(None) is None and said("text") is None


def test_a_pattern_along_an_axis_of_size_one_is_not_claimed():
    want = np.array([[1.0, 2.0, 4.0]])
    assert said(want + np.array([[0.5, -1.0, 2.0]]), want) is None


def test_zeros_transposes_and_relu_shapes():
    assert said(0 * W) == "your result is all zeros: is a value computed but never written back or returned?"
    transposed = "your result is the transpose of the expected one: check the order of a matrix product or a .T"
    assert said(W.T) == transposed
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert said(square.T, square) == transposed
    assert said(np.maximum(W, 0)) == ("your values are 0 exactly where the expected ones are negative: a ReLU or a "
                                      "maximum with 0 is applied where there should be none")
    assert said(np.zeros((3, 3)), np.zeros((3, 2))) is None  # another shape, not a transpose


def test_nan_and_inf_say_where_they_come_from():
    assert said(np.where(W > 0, W, np.nan)) == (
        "your result contains NaN where the reference is finite: NaN usually comes from 0/0 (a count, a variance or "
        "1 - beta**t that is 0, e.g. with t = 0 on the first step), log(0) or the square root of a negative number")
    assert said(np.where(W > 0, W, np.inf)) == (
        "your result contains inf where the reference is finite: inf usually comes from dividing by 0 or from exp of "
        "a large number (subtract the maximum first)")
    assert said(W, np.where(W > 0, W, np.nan)) is None  # the reference itself is not finite: nothing to say
    assert said(np.zeros(2), np.array([np.nan, 1.0])) is None


def test_outputs_that_run_one_step_ahead_or_behind():
    steps = {f"w after step {i}": float(i) for i in range(4)}
    ahead = {k: float(i + 1) for i, k in enumerate(steps)}
    behind = {k: float(max(i - 1, 0)) for i, k in enumerate(steps)}
    assert said(ahead, steps) == ("your w after step 0 is the reference's w after step 1, and so on: your values run "
                                  "one step ahead (a counter incremented once too often, or starting at 1 instead of 0?)")
    assert said(behind, steps) == ("your w after step 1 is the reference's w after step 0, and so on: your values run "
                                   "one step behind (a counter incremented too late, or starting at 0 instead of 1?)")
    epochs = {f"lr at epoch {i}": float(i) for i in range(3)}
    assert "one epoch ahead" in said({k: float(i + 1) for i, k in enumerate(epochs)}, epochs)
    batches = {f"loss at batch {i}": float(i) for i in range(3)}
    assert "one batch ahead" in said({k: float(i + 1) for i, k in enumerate(batches)}, batches)
    two = {"w after step 0": np.array([0.0, 1.0]), "w after step 1": np.array([1.0, 2.0])}
    shifted = {"w after step 0": np.array([1.0, 2.0]), "w after step 1": np.array([2.0, 3.0])}
    assert said(shifted, two) == ("w after step 0: every value is off by the same amount (+1): something added once "
                                  "too often, or missing")  # two steps are too few to claim a shift


def test_the_first_differing_output_is_described_by_its_name():
    got, want = (np.ones(2), 2 * W), (np.ones(2), W)
    assert observations(got, want, TOL, X, ("dx", "dW")) == [f"dW: {FACTOR.format('exactly twice', '')}"]
    assert observations((np.ones(2), W), want, TOL, X, ("dx", "dW")) == []


def test_outputs_nested_in_outputs_are_described_by_their_path():
    got, want = {"grads": (np.ones(2), 2 * W)}, {"grads": (np.ones(2), W)}
    assert observations(got, want, TOL, X) == [f"grads: output 1: {FACTOR.format('exactly twice', '')}"]


def test_which_outputs_agree():
    want = (np.ones(2), W, np.zeros(3))
    assert matched_outputs((np.ones(2), W, np.ones(3)), want, TOL, ("dx", "dW", "db")) == "dx and dW match; only db differs"
    assert matched_outputs((np.ones(2), -W, np.ones(3)), want, TOL, ("dx", "dW", "db")) == "dx matches; dW and db differ"
    assert matched_outputs((np.ones(2), W, np.ones(3)), want, TOL) == "output 0 and output 1 match; only output 2 differs"
    assert matched_outputs({"m": 1.0, "v": 2.0}, {"m": 1.0, "v": 3.0}, TOL) == "m matches; only v differs"
    assert matched_outputs(want, want, TOL) is None  # nothing differs
    assert matched_outputs((-np.ones(2), -W, np.ones(3)), want, TOL) is None  # nothing agrees
    assert matched_outputs((np.ones(2), W), want, TOL) is None  # another number of outputs
    assert matched_outputs(W, 2 * W, TOL) is None  # one output


def test_a_list_of_numbers_is_one_output_and_a_list_of_arrays_is_several():
    assert parts([1.0, 2.0]) is None
    assert [label for label, _ in parts((np.ones(2), 1.0))] == ["output 0", "output 1"]
    assert [label for label, _ in parts([np.ones(2), np.ones(3)], ("dx",))] == ["dx", "output 1"]
    assert parts({"b": 1}) == [("b", 1)]
    assert parts(3.0) is None
