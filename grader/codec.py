"""The safe encoding that carries values between the grader and the sandboxed child.

Only plain data crosses: None, bools, ints, floats (NaN and inf included), strings, lists,
tuples, dicts with string or integer keys, NumPy arrays and scalars of numeric or boolean dtype,
descriptions of test functions, and references to values the child keeps (:class:`Ref`).  Anything else is encoded as an opaque description of its
type, so an object that lies in ``__eq__``, ``__float__`` or ``__array__`` is never
reconstructed.  Decoding validates every field and never executes anything.

This file is loaded by the child by path, so it depends on NumPy and the standard library only.
"""

from __future__ import annotations

import base64
import math
from typing import Any, Callable, Optional

import numpy as np

MAX_DEPTH = 32
MAX_ARRAY_BYTES = 32 * 1024 * 1024
MAX_LIST_ITEMS = 100_000
_DTYPES = {np.dtype(t).str: np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float16, np.float32, np.float64)}
_SCALARS = tuple(d.type for d in _DTYPES.values())


class CodecError(ValueError):
    """A message that is not well-formed plain data."""


class Ref:
    """A value that stays where it was made (the student's optimizer state, in the child);
    only this reference crosses, and the child swaps it back for the value."""

    __slots__ = ("id",)

    def __init__(self, id: int):
        self.id = id

    def __repr__(self) -> str:
        return f"<kept in the sandbox #{self.id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other.id == self.id

    __hash__ = None


def _describe(value: Any) -> str:
    kind = type(value)
    name = f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', '?')}"
    if kind is np.ndarray:
        return f"an ndarray of dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"an instance of {name[:200]} (an ndarray subclass)"
    return f"an object of type {name[:200]}"


def encode(value: Any, describe_fn: Optional[Callable[[Any], Optional[dict]]] = None, _depth: int = 0) -> Any:
    """``value`` as JSON-ready data.  ``describe_fn`` may turn special objects into a tag."""
    if _depth > MAX_DEPTH:
        return {"__opaque__": f"a structure nested deeper than {MAX_DEPTH} levels"}
    kind = type(value)
    if value is None or kind in (bool, str):
        return value
    if kind is int:
        return value if abs(value) < 2**63 else {"__opaque__": "an int too large to carry"}
    if kind is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if kind is Ref:
        return {"__ref__": value.id}
    if kind is np.ndarray and value.dtype.kind == "f" and value.dtype not in _DTYPES.values():
        value = value.astype(np.float64)  # extended precision (longdouble) is compared in float64 anyway
    if kind is np.ndarray and value.dtype in _DTYPES.values():
        if value.nbytes > MAX_ARRAY_BYTES:
            return {"__opaque__": f"an ndarray of shape {value.shape}, too large to carry"}
        data = value if value.flags.c_contiguous else np.ascontiguousarray(value)
        return {"__nd__": data.dtype.str, "shape": list(data.shape),
                "data": base64.b64encode(data.tobytes()).decode("ascii")}
    if kind in _SCALARS or (isinstance(value, np.floating) and kind.__module__ == "numpy"):
        return encode(np.asarray(value), describe_fn, _depth)
    # Containers, subclasses included (a namedtuple is a tuple, an OrderedDict a dict), are read
    # through the base type's own methods, so no method a subclass overrides ever runs.
    base = next((b for b in (list, tuple, dict) if isinstance(value, b)), None)
    if base is not None and base.__len__(value) > MAX_LIST_ITEMS:
        return {"__opaque__": f"a {base.__name__} of {base.__len__(value)} items, too large to carry"}
    if base is list:
        return [encode(v, describe_fn, _depth + 1) for v in list.__iter__(value)]
    if base is tuple:
        return {"__tuple__": [encode(v, describe_fn, _depth + 1) for v in tuple.__iter__(value)]}
    if base is dict:
        items = list(dict.items(value))
        if not all(type(k) in (str, int) for k, _ in items):
            return {"__opaque__": "a dict with keys that are neither strings nor integers"}
        return {"__dict__": [[k, encode(v, describe_fn, _depth + 1)] for k, v in items]}
    if describe_fn is not None:
        tagged = describe_fn(value)
        if tagged is not None:
            return tagged
    return {"__opaque__": _describe(value)}


def decode(data: Any, make_fn: Optional[Callable[[str, dict], Any]] = None,
           make_opaque: Callable[[str], Any] = str, make_ref: Callable[[int], Any] = Ref, _depth: int = 0) -> Any:
    """The value that ``encode`` described, validated field by field.

    ``make_ref`` turns a reference back into its value (the child's table); by default it stays
    a :class:`Ref`.
    """
    if _depth > MAX_DEPTH + 2:
        raise CodecError("nested too deeply")
    kind = type(data)
    if data is None or kind in (bool, int, str):
        return data
    if kind is float:
        return data
    if kind is list:
        return [decode(v, make_fn, make_opaque, make_ref, _depth + 1) for v in data]
    if kind is not dict or len(data) == 0:
        raise CodecError(f"unexpected {kind.__name__}")
    if "__nd__" in data:
        return _decode_array(data)
    if set(data) == {"__float__"}:
        text = data["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise CodecError("bad float")
        return float(text)
    if set(data) == {"__tuple__"} and type(data["__tuple__"]) is list:
        return tuple(decode(v, make_fn, make_opaque, make_ref, _depth + 1) for v in data["__tuple__"])
    if set(data) == {"__dict__"} and type(data["__dict__"]) is list:
        out = {}
        for pair in data["__dict__"]:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in (str, int):
                raise CodecError("bad dict entry")
            out[pair[0]] = decode(pair[1], make_fn, make_opaque, make_ref, _depth + 1)
        return out
    if set(data) == {"__fn__", "params"} and make_fn is not None and type(data["__fn__"]) is str:
        params = decode(data["params"], make_fn, make_opaque, make_ref, _depth + 1)
        if type(params) is not dict:
            raise CodecError("bad function parameters")
        return make_fn(data["__fn__"], params)
    if set(data) == {"__ref__"} and type(data["__ref__"]) is int:
        return make_ref(data["__ref__"])
    if set(data) == {"__opaque__"} and type(data["__opaque__"]) is str:
        return make_opaque(data["__opaque__"][:300])
    raise CodecError("unknown tag")


def _decode_array(data: dict) -> np.ndarray:
    if set(data) != {"__nd__", "shape", "data"} or data["__nd__"] not in _DTYPES:
        raise CodecError("bad array header")
    shape = data["shape"]
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape) or len(shape) > 32:
        raise CodecError("bad array shape")
    if type(data["data"]) is not str:
        raise CodecError("bad array data")
    dtype = _DTYPES[data["__nd__"]]
    raw = base64.b64decode(data["data"].encode("ascii"), validate=True)
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise CodecError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


class _Unseen:
    """Stands for a value :func:`snapshot` does not copy (a student's own object): never compared."""


def snapshot(value: Any) -> Any:
    """A deep copy of the plain data in ``value`` (arrays, lists, tuples, dicts, numbers, strings),
    to tell afterwards whether a call changed it in place."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(snapshot(v) for v in value)
    if type(value) is dict:
        return {k: snapshot(v) for k, v in value.items()}
    if value is None or type(value) in (bool, int, float, str) or type(value) in _SCALARS:
        return value
    return _Unseen()


def same_data(a: Any, b: Any) -> bool:
    """Structural equality of plain data; arrays equal elementwise (NaN equal to NaN)."""
    if isinstance(a, _Unseen) or isinstance(b, _Unseen):
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_data, a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def changed(before: tuple, args: tuple, kwargs: dict) -> list:
    """Positions and names of the arguments a call changed in place (``before`` is their snapshot)."""
    old_args, old_kwargs = before
    return ([i for i, (old, new) in enumerate(zip(old_args, args)) if not same_data(old, new)]
            + [name for name, new in kwargs.items() if not same_data(old_kwargs[name], new)])
