"""The comparison and the wire encoding: lenient about form, strict about values, never executes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader import codec, protocol
from grader.calls import decode_value, encode_args
from grader.compare import EXACT, Opaque, Tolerance, compare, numbers, relative_error
from grader.testfns import Fn

TOL = Tolerance(1e-7, 1e-10, "test")


def test_floats_are_accepted_in_every_scalar_form():
    for got in (0.5, np.float64(0.5), np.array(0.5), 1 / 2):
        assert compare(got, 0.5, TOL) is None
    assert "expected a float" in compare("0.5", 0.5, TOL)
    assert "expected a float" in compare(np.array([0.5]), 0.5, TOL)


def test_shapes_are_exact_and_a_kept_axis_is_explained():
    message = compare(np.zeros((1, 4)), np.zeros(4), TOL, label="db")
    assert message.startswith("db: returned ndarray of shape (1, 4), expected ndarray of shape (4,)")
    assert "kept axis" in message


def test_nan_and_inf_never_match_finite_values():
    assert "nan" in compare(np.array([1.0, np.nan]), np.array([1.0, 2.0]), TOL)
    assert "inf" in compare(np.array([np.inf]), np.array([1e300]), Tolerance(1.0, 1.0, "loose"))
    assert compare(np.array([np.inf]), np.array([np.inf]), TOL) is None


def test_value_mismatch_names_index_and_the_difference_in_plain_numbers():
    message = compare(np.array([[1.0, 2.0], [3.0, 4.5]]), np.array([[1.0, 2.0], [3.0, 4.0]]), TOL, label="dW")
    assert "dW differs from the reference at index (1, 1): got 4.5, expected 4 (off by 0.5; 1 of 4 values off" in message
    assert str(TOL) in message


def test_numbers_show_four_digits_or_enough_to_differ():
    assert numbers(0.123456789, 0.5) == ("0.1235", "0.5")
    assert numbers(1.0000001, 1.0) == ("1.0000001", "1")
    assert numbers(-2.5, -2.5) == ("-2.5", "-2.5")


def test_tolerance_is_atol_plus_rtol_times_want():
    assert compare(1.0 + 0.9e-7, 1.0, TOL) is None
    assert compare(1.0 + 1.2e-7, 1.0, TOL) is not None


def test_tuples_lists_and_dicts():
    want = (np.zeros(2), {"W1": np.ones(3)})
    assert compare([np.zeros(2), {"W1": np.ones(3)}], want, TOL) is None
    assert "expected a tuple of 2 values" in compare(np.zeros(2), want, TOL)
    assert "expected keys ['W1']" in compare((np.zeros(2), {"W2": np.ones(3)}), want, TOL)
    assert compare((np.zeros(2), np.ones(3)), (np.zeros(2), np.ones(4)), TOL, ("dx", "dW")).startswith("dW:")


def test_integer_results_accept_any_integer_or_boolean_array():
    want = np.array([0, 1, 1], dtype=np.int64)
    assert compare(np.array([False, True, True]), want, EXACT) is None
    assert compare(np.array([0, 1, 1], dtype=np.int32), want, EXACT) is None
    assert "expected integers" in compare(np.array([0.0, 1.0, 1.0]), want, EXACT)


def test_opaque_objects_never_compare_equal():
    assert "expected ndarray of shape (3,)" in compare(Opaque("an object of type Liar"), np.zeros(3), TOL)


def test_relative_error_is_the_cs231n_number():
    assert relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0


def _wire(value):
    """``value`` through a frame of the wire protocol, as between the grader and the child."""
    data = protocol.frame({"value": value})
    return protocol.parse(data[protocol.HEADER.size:])["value"]


@pytest.mark.parametrize("value", [None, True, 3, -2.5, math.inf, math.nan, "text", [1, [2.0]], (1, 2),
                                   {"a": np.arange(6, dtype=np.int64).reshape(2, 3)}, np.float32(1.5),
                                   np.array([True, False]), np.zeros((0, 3))])
def test_codec_round_trip(value):
    back = decode_value(_wire(encode_args(value)))
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(back)
    elif isinstance(value, np.generic):
        assert isinstance(back, np.ndarray) and back.ndim == 0 and back == value
    elif isinstance(value, dict):
        assert np.array_equal(back["a"], value["a"])
    elif isinstance(value, np.ndarray):
        assert np.array_equal(back, value) and back.dtype == value.dtype
    else:
        assert back == value and type(back) is type(value)


def test_codec_describes_what_it_will_not_carry():
    class Sub(np.ndarray):
        pass

    assert "ndarray subclass" in repr(decode_value(encode_args(np.zeros(2).view(Sub))))
    assert "object of type" in repr(decode_value(encode_args(object())))
    assert "dtype object" in repr(decode_value(encode_args(np.array([object()]))))
    assert "neither strings nor integers" in repr(decode_value(encode_args({(1, 2): 3})))
    assert decode_value(encode_args({1: 2, "t": 3})) == {1: 2, "t": 3}
    back = decode_value(encode_args(np.longdouble(0.25)))
    assert back.dtype == np.float64 and back == 0.25


def test_function_descriptions_cross_as_data():
    fn = Fn("quadratic", A=np.eye(2), b=np.zeros(2))
    assert decode_value(_wire(encode_args(fn))) == fn


@pytest.mark.parametrize("raw", [b"{", b'{"__nd__": "<f8", "shape": [2], "data": "AAAA"}',
                                 b'{"__nd__": "|O", "shape": [1], "data": ""}', b'{"__evil__": 1}',
                                 b"NaN", b"[" * 100000 + b"]" * 100000])
def test_malformed_messages_are_rejected(raw):
    with pytest.raises((codec.CodecError, protocol.ProtocolError)):
        decode_value(protocol.parse(raw))


def test_container_subclasses_arrive_as_plain_containers_without_running_their_methods():
    from collections import OrderedDict, namedtuple

    Grads = namedtuple("Grads", "dx dW")

    class Sneaky(dict):
        def items(self):
            raise RuntimeError("never called")

        def __len__(self):
            raise RuntimeError("never called")

    assert decode_value(encode_args(Grads(1.0, 2.0))) == (1.0, 2.0)
    assert decode_value(encode_args(OrderedDict(b=1, a=2))) == {"b": 1, "a": 2}
    assert decode_value(encode_args(Sneaky(w=np.float64(3.0))))["w"] == 3.0
