"""Comparing what a student returned with what the oracle returned.

Lenient about form, strict about values: a float may arrive as a Python float, a NumPy scalar
or a 0-d array, a tuple as a list; but shapes are exact, NaN/inf never match a finite value,
and every number must satisfy ``|got - want| <= atol + rtol * |want|``.  Messages name the
output ("dW", "w after step 2"), the first offending index, and a CS231n-style relative error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """``|got - want| <= atol + rtol * |want|``, with the reason these numbers are safe."""

    rtol: float
    atol: float
    why: str

    def __str__(self) -> str:
        return f"|got - want| <= {self.atol:g} + {self.rtol:g}*|want|"


EXACT = Tolerance(0.0, 0.0, "integer or boolean results must match exactly")


class Opaque:
    """Stands for a value the student returned that is not plain data (decoded safely)."""

    def __init__(self, description: str):
        self.description = description

    def __repr__(self) -> str:
        return self.description


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """The CS231n gradient-check number: ``max |g - w| / max(1e-8, |g| + |w|)``."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.size == 0:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - want) / np.maximum(1e-8, np.abs(got) + np.abs(want))
    return float(np.nanmax(err)) if np.isfinite(err).any() else float("inf")


def describe(value: Any) -> str:
    """A short, safe description of a value for messages."""
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, (bool, np.bool_)):
        return f"bool {bool(value)}"
    if isinstance(value, (int, float)):
        return f"{type(value).__name__} {value!r}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"dict with keys {sorted(map(str, value))}"
    if value is None:
        return "None"
    return repr(value)


def _is_integer_scalar(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, int):
        return True
    return isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iu"


def _is_real_scalar(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        return True
    return isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf"


def _index(flat: int, shape: tuple) -> str:
    return str(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else "()"


def _compare_numbers(label: str, got: np.ndarray, want: np.ndarray, tol: Tolerance) -> Optional[str]:
    got = got.astype(np.float64)
    want = want.astype(np.float64)
    bad_nonfinite = ~np.isfinite(got) & np.isfinite(want)
    if bad_nonfinite.any():
        at = int(np.flatnonzero(bad_nonfinite)[0])
        return (f"{label} contains {got.flat[at]} at index {_index(at, want.shape)} where the "
                f"reference is finite ({want.flat[at]:.6g})")
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(got - want) <= tol.atol + tol.rtol * np.abs(want)
    ok &= np.isfinite(want)  # an expected inf or NaN is matched only by itself:
    ok |= (got == want) | (np.isnan(got) & np.isnan(want))  # the same non-finite value
    if ok.all():
        return None
    diff = np.where(ok, 0.0, np.abs(got - want))
    at = int(np.nanargmax(diff)) if np.isfinite(diff).any() else int(np.flatnonzero(~ok)[0])
    where = "" if want.ndim == 0 else f" at index {_index(at, want.shape)}"
    g, w = numbers(float(got.flat[at]), float(want.flat[at]))
    off = "" if want.ndim == 0 else f"; {int((~ok).sum())} of {ok.size} values off"
    return (f"{label} differs from the reference{where}: got {g}, expected {w} (off by "
            f"{abs(float(got.flat[at]) - float(want.flat[at])):.3g}{off}; tolerance {tol})")


def numbers(a: float, b: float, digits: int = 4) -> tuple[str, str]:
    """``a`` and ``b`` to four significant digits, or as many more as it takes to tell them apart."""
    for precision in range(digits, 18):
        shown = f"{a:.{precision}g}", f"{b:.{precision}g}"
        if shown[0] != shown[1] or a == b:
            return shown
    return repr(a), repr(b)


def compare(got: Any, want: Any, tol: Tolerance, names: tuple[str, ...] = (), label: str = "return value") -> Optional[str]:
    """Why ``got`` does not match ``want``, or ``None`` when it does."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{label}: returned {describe(got)}, expected a dict with keys {sorted(want)}"
        if set(map(str, got)) != set(want) or len(got) != len(want):
            return f"{label}: returned a dict with keys {sorted(map(str, got))}, expected keys {sorted(want)}"
        for key, sub in want.items():
            inner = key if label == "return value" else f"{label}[{key!r}]"
            problem = compare(got[key], sub, tol, (), inner)
            if problem:
                return problem
        return None
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{label}: returned {describe(got)}, expected a tuple of {len(want)} values"
        if len(got) != len(want):
            return f"{label}: returned {len(got)} values, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            inner = names[i] if i < len(names) else f"{label}[{i}]"
            problem = compare(g, w, tol, (), inner)
            if problem:
                return problem
        return None
    if isinstance(want, np.ndarray) and want.ndim > 0:
        return _compare_array(got, want, tol, label)
    if isinstance(want, (bool, np.bool_)):
        if isinstance(got, (bool, np.bool_)) or (isinstance(got, np.ndarray) and got.ndim == 0 and got.dtype == bool):
            return None if bool(got) == bool(want) else f"{label}: got {bool(got)}, expected {bool(want)}"
        return f"{label}: returned {describe(got)}, expected a bool"
    if _is_integer_scalar(want) or isinstance(want, np.integer):
        if not _is_integer_scalar(got) and not isinstance(got, np.integer):
            return f"{label}: returned {describe(got)}, expected an int"
        return None if int(got) == int(want) else f"{label}: got {int(got)}, expected {int(want)}"
    if _is_real_scalar(want) or isinstance(want, np.floating):
        if not _is_real_scalar(got):
            return f"{label}: returned {describe(got)}, expected a float"
        return _compare_numbers(label, np.asarray(got), np.asarray(want, dtype=np.float64), tol)
    if want is None:
        return None if got is None else f"{label}: returned {describe(got)}, expected None"
    try:
        equal = type(got) is type(want) and bool(got == want)
    except Exception:  # e.g. an array compared with a string
        equal = False
    return None if equal else f"{label}: got {describe(got)}, expected {describe(want)}"


def _compare_array(got: Any, want: np.ndarray, tol: Tolerance, label: str) -> Optional[str]:
    expected = f"ndarray of shape {tuple(want.shape)}"
    if not isinstance(got, np.ndarray):
        return f"{label}: returned {describe(got)}, expected {expected}"
    if got.shape != want.shape:
        hint = ""
        if got.size == want.size:
            hint = (" (same number of elements: a transposed or mis-reshaped result, or a kept"
                    " axis that silently changes a parameter's shape)")
        return f"{label}: returned ndarray of shape {tuple(got.shape)}, expected {expected}{hint}"
    if want.dtype.kind in "biu":
        if got.dtype.kind not in "biu":
            wanted = "a boolean (or 0/1 integer) array" if want.dtype == bool else "integers (0/1 or labels)"
            return f"{label}: returned ndarray of dtype {got.dtype}, expected {wanted}"
        if np.array_equal(got.astype(np.int64), want.astype(np.int64)):
            return None
        at = int(np.flatnonzero(got.astype(np.int64) != want.astype(np.int64))[0])
        return (f"{label} differs at index {_index(at, want.shape)}: got {got.flat[at]}, expected "
                f"{want.flat[at]} ({int((got.astype(np.int64) != want.astype(np.int64)).sum())} of {want.size} values off)")
    if got.dtype.kind not in "iuf":
        return f"{label}: returned ndarray of dtype {got.dtype}, expected floating-point numbers"
    return _compare_numbers(label, got, want, tol)
