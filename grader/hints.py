"""Feedback that leads to the fix when no catalogued mistake matches.

Given what the student returned and what the reference returned for the same input, say in
plain words what agrees and how the rest differs: which outputs of a tuple or a trajectory
match, a clean factor between got and expected (exactly -1, 2, 1/2, N, 1/N, with N named from
the input's shapes) or between an optimizer's first step and the expected one (-1, 1/lr, lr), a
constant offset, a transposed result, a trajectory that is one step
ahead or behind, NaN or inf where the reference is finite and where those usually come from.
Pure functions of plain data; they run in the grader, never on student objects.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Optional

import numpy as np

from grader.compare import Tolerance, compare


def parts(value: Any, names: tuple[str, ...] = ()) -> Optional[list[tuple[str, Any]]]:
    """The labelled outputs of a tuple or dict result, or None for a single output."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (tuple, list)) and not _numeric(value):
        return [(names[i] if i < len(names) else f"output {i}", v) for i, v in enumerate(value)]
    return None


def matched_outputs(got: Any, want: Any, tol: Tolerance, names: tuple[str, ...] = ()) -> Optional[str]:
    """"dW and db match; only dx differs" for results with several outputs, else None."""
    wanted, given = parts(want, names), parts(got, names)
    if not wanted or not given or len(wanted) < 2 or len(given) != len(wanted):
        return None
    same = [label for (label, w), (_, g) in zip(wanted, given) if compare(g, w, tol) is None]
    differ = [label for label, _ in wanted if label not in same]
    if not same or not differ:
        return None
    verb = "matches" if len(same) == 1 else "match"
    return f"{_join(same)} {verb}; {'only ' if len(differ) == 1 else ''}{_join(differ)} differ{'s' * (len(differ) == 1)}"


def observations(got: Any, want: Any, tol: Tolerance, args: dict, names: tuple[str, ...] = ()) -> list[str]:
    """How ``got`` differs from ``want``, in plain words (the first differing output only)."""
    wanted, given = parts(want, names), parts(got, names)
    if wanted and given and len(wanted) == len(given):
        shifted = _shifted(given, wanted, tol)
        if shifted:
            return [shifted]
        for (label, w), (_, g) in zip(wanted, given):
            if compare(g, w, tol) is not None:
                step = _first_step(g, w, label, args)
                return [step] if step else [f"{label}: {note}" for note in observations(g, w, tol, args)]
        return []
    g, w = _as_array(got), _as_array(want)
    if g is None or w is None:
        return []
    low = _low_precision(got, g, w)
    if low:
        return [low]
    if g.shape != w.shape:
        return [_transposed(g, w)] if g.ndim == 2 and g.T.shape == w.shape and np.allclose(g.T, w) else []
    if not np.isfinite(g).all() and np.isfinite(w).all():
        return [_non_finite(g)]
    if not (np.isfinite(g).all() and np.isfinite(w).all()) or g.size == 0:
        return []
    notes = [note for note in (_factor(g, w, args), _offset(g, w), _transpose_same_shape(g, w), _zeros(g, w),
                               _along_an_axis(g, w), _where_negative(g, w)) if note]
    return notes[:1]


# -- the shapes of an error ------------------------------------------------------------------------
def _low_precision(got: Any, g: np.ndarray, w: np.ndarray) -> Optional[str]:
    """A float32 (or float16) result that is right to its own precision."""
    dtype = getattr(got, "dtype", None)
    if dtype is None or dtype.kind != "f" or dtype.itemsize >= 8 or g.shape != w.shape:
        return None
    eps = float(np.finfo(dtype).eps)
    scale = float(np.abs(w).max()) if w.size else 0.0
    if not np.allclose(g, w, rtol=64 * eps, atol=64 * eps * scale):
        return None
    return (f"your result is {dtype} and agrees to its precision (about {int(-np.log10(eps))} significant "
            "digits); the inputs are float64 and so must the computation be: drop the cast to a smaller "
            "float (e.g. np.float32) and the result keeps float64's precision")


def _factor(g: np.ndarray, w: np.ndarray, args: dict) -> Optional[str]:
    big = np.abs(w) > 1e-12 * max(1.0, float(np.abs(w).max()))
    if not big.any() or not np.allclose(g[~big], 0, atol=1e-9):
        return None
    ratios = g[big] / w[big]
    factor = float(np.median(ratios))
    if abs(factor - 1) < 1e-6 or not np.allclose(ratios, factor, rtol=1e-6, atol=0):
        return None
    if abs(factor + 1) < 1e-6:
        return "every value has the opposite sign of the expected one (exactly -1 times it): a sign error"
    if factor == 0:
        return None
    fraction = Fraction(factor).limit_denominator(1000)
    if ratios.size == 1 and not _clean_for_one_value(fraction, factor, args):
        return None  # any two numbers have a ratio: for one value, only a small or named one means something
    if abs(float(fraction) - factor) > 1e-6 * abs(factor):
        return f"every value is the expected one times {factor:.4g}: a constant factor is off"
    words = {Fraction(2): "exactly twice", Fraction(1, 2): "exactly half", Fraction(-2): "exactly -2 times",
             Fraction(-1, 2): "exactly -1/2 times"}
    said = words.get(fraction) or f"exactly {fraction} times"
    sized = _named_size(abs(fraction.numerator) if fraction.denominator == 1 else fraction.denominator, args)
    because = f" ({'1/' if fraction.denominator != 1 else ''}N with N = {sized})" if sized else ""
    return f"every value is {said} the expected one{because}: a constant factor is off"


def _clean_for_one_value(fraction: Fraction, factor: float, args: dict) -> bool:
    """A single wrong number is said to be off by a factor only when the factor is exact (to 1e-9)
    and a fraction of small terms (2, 1/3, -4, 10, ...) or a size of the input (a sum where a mean
    was asked).  Two unrelated numbers land that close to such a fraction about once in 10^5."""
    if abs(float(fraction) - factor) > 1e-9 * abs(factor):
        return False
    n = abs(fraction.numerator) if fraction.denominator == 1 else fraction.denominator
    small = max(abs(fraction.numerator), fraction.denominator) <= 100
    return small or (abs(fraction.numerator) == 1 or fraction.denominator == 1) and _named_size(n, args) is not None


def _named_size(n: int, args: dict) -> Optional[str]:
    """Which dimension of the input has size ``n`` ("N = 4, x.shape[0]")."""
    if n < 2:
        return None
    for name, value in args.items():
        shape = np.shape(value) if isinstance(value, (np.ndarray, list)) and _numeric(value) else ()
        for axis, size in enumerate(shape):
            if size == n:
                return f"{name}.shape[{axis}] = {n}"
    return None


def _first_step(got: Any, want: Any, label: str, args: dict) -> Optional[str]:
    """An optimizer's first step (``w_new - w``) that is a clean multiple of the expected step:
    the weights themselves rarely are, so the step is where a sign or a learning rate shows."""
    start, g, w = _as_array(args.get("w")), _as_array(got), _as_array(want)
    if label != "w after step 1" or start is None or g is None or w is None or not g.shape == w.shape == start.shape:
        return None
    if not (np.isfinite(g).all() and np.isfinite(w).all()):
        return None
    taken, expected = g - start, w - start
    ratios = taken[expected != 0] / expected[expected != 0]
    if ratios.size == 0 or not np.allclose(taken[expected == 0], 0, atol=1e-12):
        return None
    factor = float(np.median(ratios))
    if abs(factor - 1) < 1e-6 or not np.allclose(ratios, factor, rtol=1e-6, atol=0):
        return None
    lr = (args.get("hyper") or {}).get("lr")  # None where the check leaves it at its default
    why = ""
    if factor < 0:
        why = ": your step goes the opposite way (descent subtracts the update)"
    elif lr and abs(factor * lr - 1) < 1e-6:
        why = f": that is 1/lr (lr = {lr:.4g}), so the step is not scaled by lr"
    elif lr and abs(factor - lr) < 1e-6 * max(lr, 1e-12):
        why = f": that is lr (lr = {lr:.4g}), so lr is applied twice"
    return f"your first step (w after step 1 minus w) is {factor:.4g} times the expected step{why}"


def _offset(g: np.ndarray, w: np.ndarray) -> Optional[str]:
    shift = g - w
    first = float(shift.flat[0])
    if g.size < 2 or abs(first) < 1e-9 or not np.allclose(shift, first, rtol=1e-6, atol=1e-9):
        return None
    return f"every value is off by the same amount ({first:+.4g}): something added once too often, or missing"


def _along_an_axis(g: np.ndarray, w: np.ndarray) -> Optional[str]:
    """The same difference (or ratio) in every row: something applied once per column."""
    for axis in range(g.ndim if g.ndim >= 2 else 0):
        if g.shape[axis] < 2:
            continue
        shift = g - w
        if np.allclose(shift, shift.take([0], axis=axis), rtol=1e-6, atol=1e-9):
            return (f"the difference is the same at every index of axis {axis}: a per-feature term (a bias, a "
                    "shift, a mean) is missing, extra or has the wrong sign")
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = g / w
        if np.isfinite(ratio).all() and np.allclose(ratio, ratio.take([0], axis=axis), rtol=1e-6, atol=0):
            return (f"the ratio to the expected value is the same at every index of axis {axis}: a per-feature "
                    "scale (a gamma, a standard deviation, a count) is off")
    return None


def _where_negative(g: np.ndarray, w: np.ndarray) -> Optional[str]:
    """Only the entries whose expected value is negative are wrong, and they are 0."""
    wrong = ~np.isclose(g, w, rtol=1e-6, atol=1e-9)
    if wrong.any() and np.all(w[wrong] < 0) and np.all(g[wrong] == 0):
        return ("your values are 0 exactly where the expected ones are negative: a ReLU or a maximum with 0 "
                "is applied where there should be none")
    return None


def _transpose_same_shape(g: np.ndarray, w: np.ndarray) -> Optional[str]:
    if g.ndim == 2 and g.shape[0] == g.shape[1] > 1 and np.allclose(g.T, w) and not np.allclose(g, w):
        return _transposed(g, w)
    return None


def _transposed(g: np.ndarray, w: np.ndarray) -> str:
    return "your result is the transpose of the expected one: check the order of a matrix product or a .T"


def _zeros(g: np.ndarray, w: np.ndarray) -> Optional[str]:
    if np.all(g == 0) and not np.all(w == 0):
        return "your result is all zeros: is a value computed but never written back or returned?"
    return None


def _non_finite(g: np.ndarray) -> str:
    kind = "NaN" if np.isnan(g).any() else "inf"
    if kind == "NaN":
        return ("your result contains NaN where the reference is finite: NaN usually comes from 0/0 (a count, "
                "a variance or 1 - beta**t that is 0, e.g. with t = 0 on the first step), log(0) or the "
                "square root of a negative number")
    return ("your result contains inf where the reference is finite: inf usually comes from dividing by 0 or "
            "from exp of a large number (subtract the maximum first)")


def _shifted(given: list, wanted: list, tol: Tolerance) -> Optional[str]:
    """A sequence of outputs (steps, epochs) that matches the reference one position off."""
    if len(wanted) < 3:
        return None
    g, w = [v for _, v in given], [v for _, v in wanted]
    if all(compare(a, b, tol) is None for a, b in zip(g, w)):
        return None
    unit = next((word for word in ("epoch", "batch", "step") if word in wanted[0][0]), "position")
    if all(compare(a, b, tol) is None for a, b in zip(g[:-1], w[1:])):
        return (f"your {given[0][0]} is the reference's {wanted[1][0]}, and so on: your values run one "
                f"{unit} ahead (a counter incremented once too often, or starting at 1 instead of 0?)")
    if all(compare(a, b, tol) is None for a, b in zip(g[1:], w[:-1])):
        return (f"your {given[1][0]} is the reference's {wanted[0][0]}, and so on: your values run one {unit} "
                "behind (a counter incremented too late, or starting at 0 instead of 1?)")
    return None


# -- helpers -------------------------------------------------------------------------------------------
def _numeric(value: Any) -> bool:
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        return False
    return array.dtype.kind in "biuf"


def _as_array(value: Any) -> Optional[np.ndarray]:
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    if isinstance(value, (int, float, np.number)) or (isinstance(value, np.ndarray) and value.dtype.kind in "iuf"):
        return np.asarray(value, dtype=np.float64)
    return None


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
