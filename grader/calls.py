"""The boundary every call of an exercise function crosses, wherever the function runs.

A *student function* is a callable that the engine treats like any other: it takes the check's
arguments and returns a value, or raises :class:`StudentFault` saying why it could not.  The
sandbox provides one that runs in the child process; :class:`LocalFunction` runs trusted code
(oracle mistakes, the project's tests) in this process through the same codec and the same
in-place rule, so both paths are judged identically.
"""

from __future__ import annotations

import copy
import random
import traceback
from typing import Any, Callable, Iterable

import numpy as np

from grader import codec
from grader.codec import same_data
from grader.compare import Opaque
from grader.testfns import Fn, build


#: NumPy's and Python's global generators are seeded with this before every call, wherever the
#: function runs, so code that (wrongly) uses them is still deterministic.
GLOBAL_SEED = 1234


def seed_global_generators(seed: int = GLOBAL_SEED) -> None:
    np.random.seed(seed)
    random.seed(seed)


class StudentFault(Exception):
    """The call produced no gradable value; ``status`` is a check/function status word."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def encode_args(value: Any) -> Any:
    """``value`` in the wire encoding, with :class:`Fn` descriptions kept as descriptions."""
    return codec.encode(value, describe_fn=_describe_fn)


def _describe_fn(value: Any):
    if isinstance(value, Fn):
        return {"__fn__": value.name, "params": encode_args(value.params)}
    return None


def decode_value(data: Any) -> Any:
    """A decoded reply: plain data, :class:`Fn` for descriptions, :class:`Opaque` for the rest."""
    return codec.decode(data, make_fn=lambda name, params: Fn(name, **params), make_opaque=Opaque)


def materialize(value: Any) -> Any:
    """A deep copy of ``value`` with every :class:`Fn` replaced by the function it describes."""
    if isinstance(value, Fn):
        return build(value.name, copy.deepcopy(value.params))
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(materialize(v) for v in value)
    return copy.deepcopy(value)


def bind_names(param_names: Iterable[str], args: tuple, kwargs: dict) -> dict[str, Any]:
    """Argument values by parameter name, as the call passed them."""
    named = dict(zip(param_names, args))
    named.update(kwargs)
    return named


def check_unmodified(before: dict[str, Any], after: dict[str, Any], mutable: Iterable[str]) -> None:
    """Raise ``StudentFault('failed')`` naming the first input the call changed in place."""
    for name, value in before.items():
        if name in mutable or isinstance(value, Fn):
            continue
        if not same_data(value, after.get(name)):
            raise modified_in_place(name, value)


def modified_in_place(name: str, value: Any) -> StudentFault:
    """The fault for an input ``name`` (holding ``value`` before the call) changed in place."""
    how = (f"copy the arrays you change (e.g. `{name}[key].copy()`) or build a new dict"
           if isinstance(value, dict) else f"work on a copy (e.g. `{name} = {name}.copy()`) or build a new array")
    return StudentFault("failed", f"modified its input `{name}` in place; {how}")


class LocalFunction:
    """Trusted code called in this process exactly as the sandbox would call student code."""

    def __init__(self, impl: Callable[..., Any], param_names: tuple[str, ...], mutable: tuple[str, ...] = ()):
        self.impl = impl
        self.param_names = param_names
        self.mutable = mutable

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        sent = decode_value(encode_args((args, kwargs)))
        before = bind_names(self.param_names, *sent)
        call_args, call_kwargs = materialize(sent[0]), materialize(sent[1])
        seed_global_generators()
        try:
            value = self.impl(*call_args, **call_kwargs)
        except NotImplementedError as exc:
            raise StudentFault("not_implemented", str(exc) or "NotImplementedError") from None
        except Exception as exc:  # the implementation's own bug, reported like a student's
            raise StudentFault("error", f"raised {type(exc).__name__}: {exc}\n"
                               + "".join(traceback.format_exception(exc)[-3:])) from None
        after = bind_names(self.param_names, call_args, call_kwargs)
        check_unmodified(before, decode_value(encode_args(after)), self.mutable)
        return decode_value(encode_args(value))
