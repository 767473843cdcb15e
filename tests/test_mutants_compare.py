"""The comparison's promises that mutation testing found unguarded: every kind of expected value
(bool, int, float, None, text, integer arrays, nested outputs) accepts exactly the right answers,
and each message names what was returned, where it differs and by how much."""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import EXACT, Opaque, Tolerance, compare

TOL = Tolerance(1e-7, 1e-10, "test")
TOLERANCE = f"tolerance {TOL}"


# -- the tolerance: |got - want| <= atol + rtol*|want| --------------------------------------------------
def test_a_difference_exactly_at_the_tolerance_passes():
    tol = Tolerance(0.0, 0.5, "a half, exactly representable")
    assert compare(1.5, 1.0, tol) is None
    assert compare(np.array([1.0, 2.5]), np.array([1.0, 2.0]), tol) is None
    assert compare(1.75, 1.0, tol) is not None


def test_an_expected_nan_is_matched_only_by_nan():
    assert compare(np.array([np.nan]), np.array([np.nan]), TOL) is None
    assert compare(np.array([1.0, 2.0]), np.array([np.nan, np.nan]), TOL) == (
        f"return value differs from the reference at index (0,): got 1, expected nan (off by nan; 2 of 2 values off; {TOLERANCE})")


def test_the_message_names_the_worst_offending_entry_never_a_tolerated_one():
    # entry 0 is off by 0.05 but within 1e-7 of 1e6; entry 1 is off by only 1e-3, and wrong
    tol = Tolerance(1e-7, 0.0, "relative only")
    message = compare(np.array([1e6 + 0.05, 1.001]), np.array([1e6, 1.0]), tol)
    assert message.startswith("return value differs from the reference at index (1,): got 1.001, expected 1 ")
    message = compare(np.array([1.1, 5.0, 2.0]), np.array([1.0, 1.0, 1.0]), TOL, label="dx")
    assert message == f"dx differs from the reference at index (1,): got 5, expected 1 (off by 4; 3 of 3 values off; {TOLERANCE})"
    message = compare(np.array([-3.0, 2.5]), np.array([-1.0, 2.0]), TOL)  # the largest difference, not sum
    assert message.startswith("return value differs from the reference at index (0,): got -3, expected -1 ")


def test_scalar_and_array_messages():
    assert compare(0.6, 0.5, TOL) == f"return value differs from the reference: got 0.6, expected 0.5 (off by 0.1; {TOLERANCE})"
    assert compare(np.array([1.0, np.nan]), np.array([1.0, 2.0]), TOL) == (
        "return value contains nan at index (1,) where the reference is finite (2)")
    assert compare(np.array([[1.0], [2.5]]), np.array([[1.0], [2.0]]), TOL, label="dW") == (
        f"dW differs from the reference at index (1, 0): got 2.5, expected 2 (off by 0.5; 1 of 2 values off; {TOLERANCE})")


# -- booleans, integers, None and text -----------------------------------------------------------------
def test_a_bool_matches_only_the_same_truth_value_in_a_bool_form():
    for got in (True, np.bool_(True), np.array(True)):
        assert compare(got, True, EXACT) is None
    assert compare(False, True, EXACT) == "return value: got False, expected True"
    assert compare(True, False, EXACT) == "return value: got True, expected False"
    assert compare(np.array(False), np.bool_(True), EXACT) == "return value: got False, expected True"
    assert compare(1, True, EXACT) == "return value: returned int 1, expected a bool"
    assert "expected a bool" in compare(np.array(1), True, EXACT)
    assert "expected a bool" in compare(np.array([True]), True, EXACT)


def test_an_int_matches_only_an_equal_integer():
    for got in (3, np.int64(3), np.int32(3), np.array(3)):
        assert compare(got, 3, EXACT) is None
        assert compare(got, np.int64(3), EXACT) is None
    assert compare(4, 3, EXACT) == "return value: got 4, expected 3"
    assert compare(True, 1, EXACT) == "return value: returned bool True, expected an int"
    assert compare(3.0, 3, EXACT) == "return value: returned float 3.0, expected an int"
    assert "expected an int" in compare(np.array(3.0), 3, EXACT)
    assert "expected an int" in compare(np.array([3]), 3, EXACT)


def test_a_bool_is_not_a_number():
    assert compare(True, 1.0, TOL) == "return value: returned bool True, expected a float"
    assert compare(0.5, np.array(0.5), TOL) is None  # a 0-d array is a float, both ways
    assert compare(np.array(0.5), 0.5, TOL) is None


def test_none_and_text_are_matched_exactly():
    assert compare(None, None, EXACT) is None
    assert compare(0.0, None, EXACT) == "return value: returned float 0.0, expected None"
    assert compare("relu", "relu", EXACT) is None
    assert compare("tanh", "relu", EXACT) == "return value: got 'tanh', expected 'relu'"
    assert compare(b"relu", "relu", EXACT) == "return value: got b'relu', expected 'relu'"


# -- what was returned, in words ----------------------------------------------------------------------------
@pytest.mark.parametrize("got,said", [
    (True, "bool True"), (3, "int 3"), (0.25, "float 0.25"), ([1, 2], "list of length 2"),
    ((1.0,), "tuple of length 1"), ({"b": 1, "a": 2}, "dict with keys ['a', 'b']"), (None, "None"),
    (Opaque("an object of type Liar"), "an object of type Liar"), ("x", "'x'"),
])
def test_a_wrong_kind_of_value_is_named(got, said):
    assert compare(got, np.zeros(2), TOL) == f"return value: returned {said}, expected ndarray of shape (2,)"


def test_containers_say_what_was_expected():
    assert compare(0.5, {"a": 1.0}, TOL) == "return value: returned float 0.5, expected a dict with keys ['a']"
    assert compare(0.5, (1.0, 2.0), TOL) == "return value: returned float 0.5, expected a tuple of 2 values"
    assert compare("0.5", 0.5, TOL) == "return value: returned '0.5', expected a float"


# -- nested outputs are labelled by their path ---------------------------------------------------------------
def test_nested_outputs_are_named_by_their_key_and_position():
    line = f"differs from the reference: got 1, expected 2 (off by 1; {TOLERANCE})"
    assert compare({"m": 1.0}, {"m": 2.0}, TOL) == f"m {line}"
    assert compare({"s": {"m": 1.0}}, {"s": {"m": 2.0}}, TOL) == f"s['m'] {line}"
    assert compare({"a": (0.0, 1.0)}, {"a": (0.0, 2.0)}, TOL) == f"a[1] {line}"
    assert compare((0.0, (0.0, 1.0)), (0.0, (0.0, 2.0)), TOL, ("w", "state")) == f"state[1] {line}"
    assert compare((1.0, 0.0), (2.0, 0.0), TOL, ("w", "state")) == f"w {line}"


# -- arrays: shapes and dtypes ----------------------------------------------------------------------------
def test_array_shape_and_dtype_messages():
    assert compare([1.0], np.zeros(1), TOL) == "return value: returned list of length 1, expected ndarray of shape (1,)"
    assert compare(np.zeros(3), np.zeros(4), TOL) == "return value: returned ndarray of shape (3,), expected ndarray of shape (4,)"
    assert compare(np.array(["a"]), np.zeros(1), TOL) == (
        "return value: returned ndarray of dtype <U1, expected floating-point numbers")


def test_integer_and_boolean_arrays_are_compared_exactly():
    assert compare(np.array([0.0, 1.0]), np.array([False, True]), EXACT) == (
        "return value: returned ndarray of dtype float64, expected a boolean (or 0/1 integer) array")
    assert compare(np.array([0.0, 1.0]), np.array([0, 1]), EXACT) == (
        "return value: returned ndarray of dtype float64, expected integers (0/1 or labels)")
    assert compare(np.array([0, 2, 1]), np.array([0, 1, 1]), EXACT) == (
        "return value differs at index (1,): got 2, expected 1 (1 of 3 values off)")
    assert compare(np.array([[1, 0], [0, 0]], dtype=np.int32), np.array([[1, 0], [0, 1]]), EXACT) == (
        "return value differs at index (1, 1): got 0, expected 1 (1 of 4 values off)")
