"""The wire format's promises that mutation testing found unguarded: what crosses arrives as
itself (arrays of every carried dtype and layout, non-finite floats, keys, references), what
cannot cross is described rather than rebuilt, and every malformed field is refused."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

from grader import codec
from grader.codec import MAX_DEPTH, CodecError, Ref, decode, encode


def wire(value, **options):
    """``value`` encoded, through JSON (as a frame carries it), and decoded."""
    return decode(json.loads(json.dumps(encode(value))), **options)


# -- what crosses arrives as itself ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint16, np.int32, np.int64, np.uint64,
                                   np.float16, np.float32, np.float64])
def test_arrays_of_every_carried_dtype_arrive_unchanged(dtype):
    value = (np.arange(12) % 3).astype(dtype).reshape(3, 4)
    back = wire(value)
    assert back.dtype == value.dtype and back.shape == (3, 4) and np.array_equal(back, value)
    assert back.flags.writeable  # a copy the grader may modify, not a view of the message


def test_a_non_contiguous_array_arrives_with_its_own_values():
    value = np.arange(12.0).reshape(3, 4).T
    assert np.array_equal(wire(value), value)
    assert np.array_equal(wire(value[:, ::2]), value[:, ::2])


def test_scalars_and_extended_precision_arrive_as_float64_values():
    assert wire(np.float32(1.5)).dtype == np.float32 and wire(np.float32(1.5)) == 1.5
    back = wire(np.array([0.25, 0.5], dtype=np.longdouble))
    assert back.dtype == np.float64 and np.array_equal(back, [0.25, 0.5])


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinities_arrive_with_their_sign(value):
    assert wire(value) == value
    assert encode(value) == {"__float__": repr(value)}


def test_plain_values_keep_their_type():
    for value in (0, -7, 2**62, 0.1, "", "x", True, False, None):
        back = wire(value)
        assert back == value and type(back) is type(value)
    assert wire([1, (2, 3), {"k": [4]}]) == [1, (2, 3), {"k": [4]}]
    assert type(wire((1,))) is tuple
    assert wire({3: "int key", "s": 1}) == {3: "int key", "s": 1}


def test_references_cross_as_their_number_and_come_back_as_the_kept_value():
    kept = {7: "the child's optimizer state"}
    assert encode(Ref(7)) == {"__ref__": 7}
    assert wire(Ref(7)) == Ref(7)
    assert wire([Ref(7)], make_ref=kept.__getitem__) == ["the child's optimizer state"]
    assert Ref(7) != Ref(8) and Ref(7) != 7
    assert "#7" in repr(Ref(7))


def test_test_function_descriptions_are_rebuilt_only_by_the_given_maker():
    data = {"__fn__": "quadratic", "params": encode({"a": 2.0})}
    assert decode(data, make_fn=lambda name, params: (name, params)) == ("quadratic", {"a": 2.0})
    with pytest.raises(CodecError):
        decode(data)  # no maker: an unknown tag, never a function
    with pytest.raises(CodecError):
        decode({"__fn__": "quadratic", "params": [1]}, make_fn=lambda name, params: name)
    with pytest.raises(CodecError):
        decode({"__fn__": 3, "params": encode({})}, make_fn=lambda name, params: name)


class Described:
    """Stands for a test function's description (what ``describe_fn`` tags)."""

    def __init__(self, name, **params):
        self.name, self.params = name, params


def _tag(value):
    return {"__fn__": value.name, "params": encode(value.params, _tag)} if isinstance(value, Described) else None


def test_the_makers_apply_at_every_level_of_every_container():
    value = {"state": [(Ref(1), object()), {"f": Described("quadratic", a=np.ones(2))}],
             "params": Described("shifted", inner={"r": Ref(2), "o": object()})}
    back = decode(json.loads(json.dumps(encode(value, _tag))), make_fn=lambda name, params: ("fn", name, params),
                  make_opaque=lambda text: ("opaque", text[:20]), make_ref=lambda number: ("kept", number))
    (ref, opaque), inner = back["state"]
    assert ref == ("kept", 1) and opaque == ("opaque", "an object of type bu")
    assert inner["f"][:2] == ("fn", "quadratic") and np.array_equal(inner["f"][2]["a"], np.ones(2))
    assert back["params"] == ("fn", "shifted", {"inner": {"r": ("kept", 2), "o": ("opaque", "an object of type bu")}})


def test_a_special_object_may_be_tagged_by_the_caller():
    tagged = encode([object()], describe_fn=lambda value: {"__opaque__": "tagged"})
    assert tagged == [{"__opaque__": "tagged"}]
    assert encode(object(), describe_fn=lambda value: None)["__opaque__"].startswith("an object of type builtins.object")


# -- what cannot cross is described, never rebuilt -----------------------------------------------------------
def test_what_is_too_big_or_too_deep_is_described():
    assert encode(2**63) == {"__opaque__": "an int too large to carry"}
    assert encode(-2**63) == {"__opaque__": "an int too large to carry"}
    assert encode(2**63 - 1) == 2**63 - 1
    deep: list = []
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    assert f"nested deeper than {MAX_DEPTH} levels" in json.dumps(encode(deep))
    assert encode([0] * (codec.MAX_LIST_ITEMS + 1)) == {"__opaque__": f"a list of {codec.MAX_LIST_ITEMS + 1} items, too large to carry"}
    assert encode((0,) * codec.MAX_LIST_ITEMS)["__tuple__"][-1] == 0
    big = np.zeros(codec.MAX_ARRAY_BYTES // 8 + 1)
    assert encode(big) == {"__opaque__": f"an ndarray of shape {big.shape}, too large to carry"}
    assert encode(np.zeros(codec.MAX_ARRAY_BYTES // 8))["shape"] == [codec.MAX_ARRAY_BYTES // 8]  # the limit itself crosses


@pytest.mark.parametrize("wrap", [lambda v: [v], lambda v: (v,), lambda v: {"k": v}], ids=["list", "tuple", "dict"])
def test_every_container_counts_one_level_of_nesting(wrap):
    value = 1.5
    for _ in range(MAX_DEPTH):
        value = wrap(value)
    assert wire(value) == value  # the limit itself crosses whole
    deeper = wrap(wrap(value))
    assert f"nested deeper than {MAX_DEPTH} levels" in json.dumps(encode(deeper))


def test_objects_are_described_by_their_type_and_an_opaque_text_is_cut():
    class Liar(float):
        pass

    assert encode(Liar(1.0))["__opaque__"].endswith("Liar")
    assert encode(np.array([object()])) == {"__opaque__": "an ndarray of dtype object"}
    assert decode({"__opaque__": "x" * 1000}) == "x" * 300
    assert decode({"__opaque__": "an object"}, make_opaque=lambda text: ("opaque", text)) == ("opaque", "an object")


# -- every malformed field is refused ----------------------------------------------------------------------
def _array(**fields):
    good = {"__nd__": "<f8", "shape": [2], "data": base64.b64encode(np.zeros(2).tobytes()).decode()}
    return {**good, **fields}


@pytest.mark.parametrize("data", [
    _array(__nd__="|O8"), _array(shape=[3]), _array(shape=[-2]), _array(shape=[2.0]), _array(shape="2"),
    _array(shape=[1] * 33), _array(data=5), _array(data="not base64!"), {**_array(), "extra": 1},
    {"__float__": "1e999"}, {"__float__": "nan", "x": 1}, {"__tuple__": "ab"}, {"__dict__": [["k"]]},
    {"__dict__": [[1.5, 2]]}, {"__dict__": [("k", 1)]}, {"__dict__": [["k", 1, 2]]}, {"__dict__": "k"}, {"__ref__": "7"}, {"__ref__": 7, "x": 1},
    {"__opaque__": 3}, {}, {"__evil__": 1}, (1, 2), b"bytes",
])
def test_malformed_fields_are_refused(data):
    with pytest.raises(ValueError):  # CodecError, or binascii.Error for bad base64: both refuse the reply
        decode(data)


def test_an_empty_array_and_a_scalar_array_are_well_formed():
    assert wire(np.zeros((0, 3))).shape == (0, 3)
    assert decode(_array(shape=[], data=base64.b64encode(np.ones(1).tobytes()).decode())) == 1.0


def test_nesting_beyond_the_limit_is_refused_when_decoding():
    data: list = []
    for _ in range(MAX_DEPTH + 3):
        data = [data]
    with pytest.raises(CodecError, match="nested too deeply"):
        decode(data)
    within: list = []
    for _ in range(MAX_DEPTH + 1):
        within = [within]
    decode(within)


# -- an input is unchanged only when it is the same data ---------------------------------------------------
def test_the_same_data_is_recognised_nan_included():
    nan = float("nan")
    assert codec.same_data(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    assert codec.same_data(np.array([1, 2]), np.array([1, 2]))
    assert codec.same_data([1, (2.0, nan)], [1, (2.0, nan)]) and codec.same_data({"m": nan}, {"m": nan})


@pytest.mark.parametrize("a,b", [
    (np.array([1.0, 2.0]), np.array([1.0, 2.5])), (np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32)),
    (np.array([1.0, np.nan]), np.array([1.0, 2.0])), (np.zeros(2), np.zeros((1, 2))), (np.zeros(2), [0.0, 0.0]),
    ([1, 2], (1, 2)), ([1, 2], [1, 2, 3]), ([1, 2], [1, 3]), ({"m": 1}, {"v": 1}), ({"m": 1}, {"m": 2}),
    (1.0, 2.0), (1.0, float("nan")), (1, 2), (1, 1.0), ("a", "b"),
])
def test_a_change_of_value_type_dtype_or_shape_is_seen(a, b):
    assert not codec.same_data(a, b) and not codec.same_data(b, a)


def test_the_child_names_exactly_the_arguments_a_call_changed_in_place():
    x, state, lr = np.arange(3.0), {"m": [np.zeros(2), 1]}, 0.1
    before = codec.snapshot(((x, state), {"lr": lr, "grads": [np.ones(2)]}))
    assert codec.changed(before, (x, state), {"lr": lr, "grads": [np.ones(2)]}) == []
    x[1] = 7.0
    state["m"][0][0] = 1.0
    assert codec.changed(before, (x, state), {"lr": 0.2, "grads": [np.ones(2)]}) == [0, 1, "lr"]
    grads = [np.ones(2)]
    before = codec.snapshot(((), {"grads": grads}))
    grads[0] *= 2
    assert codec.changed(before, (), {"grads": grads}) == ["grads"]


def test_a_snapshot_is_a_deep_copy_of_plain_data_and_skips_objects():
    value = (np.ones(2), [{"k": np.zeros(1)}], 3, 2.5, "s", None, True, np.float32(1.5))
    copy = codec.snapshot(value)
    assert type(copy) is tuple and codec.same_data(copy, value)
    assert copy[0] is not value[0] and copy[1][0]["k"] is not value[1][0]["k"]
    opaque = object()
    assert codec.same_data(codec.snapshot([opaque]), [object()])  # a student's own object is never compared
