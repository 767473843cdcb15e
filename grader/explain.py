"""Name the likely cause when student code raises, from the sandbox's message and the call's inputs.

The sandboxed child describes a raised exception as text (see ``describe_exception`` in worker.py)::

    raised ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0, ...
      File "backprop.py", line 3, in linear_backward
        dW = x @ dout
             ~~^~~~~~

:func:`explain_error` matches that text against :data:`_RULES`, a table of (exception type,
pattern, handler), and the handlers use the shapes of the call's arguments to say which inputs are
involved and what would fit.  Only text and shapes are read: this runs in the trusted grader and
never executes student code.  It needs nothing but NumPy and the standard library.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
from typing import Any, Callable, Mapping, Optional

import numpy as np

_HEAD = re.compile(r"raised ([A-Za-z_][\w.]*): ?(.*?)(?=\n  File \"|\Z)", re.S)
_FRAME = re.compile(r'^  File "([^"\n]*)", line \d+, in ([^\n]*)\n((?:    [^\n]*\n?)*)', re.M)
_OPERAND = r"([\w.\[\]'\"]+)"
_NUMPY_FILES: Optional[frozenset] = None


class _Failure:
    """The parsed message (type, text, the student's failing line) and the arguments' shapes."""

    def __init__(self, message: str, args: Mapping[str, Any]):
        head = _HEAD.search(message)
        self.type = head.group(1).rpartition(".")[2] if head else ""
        self.text = head.group(2).strip() if head else ""
        frames = _FRAME.findall(message[head.end():] if head else "")
        self.functions = [function.strip() for _, function, _ in frames]
        own = [f for f in frames if not _library_file(f[0])] or frames
        lines = [line[4:] for line in own[-1][2].split("\n") if line.startswith("    ")] if own else []
        self.code = lines[0].strip() if lines else ""
        self.operands = _split_at_carets(lines[0], lines[1]) if len(lines) > 1 else None
        self.names = [str(name) for name in args]
        self.arrays: dict[str, tuple] = {}  # display name (x, params['W1'], grads[0]) -> shape
        self.dicts: dict[str, list] = {}    # argument name -> its keys
        for name, value in args.items():
            self._collect(str(name), value, top=True)

    def _collect(self, name: str, value: Any, top: bool) -> None:
        if isinstance(value, np.ndarray):
            self.arrays[name] = tuple(int(n) for n in value.shape)
        elif isinstance(value, dict) and top:
            self.dicts[name] = list(value)
            for key, item in value.items():
                self._collect(f"{name}[{key!r}]", item, top=False)
        elif isinstance(value, (list, tuple)) and top:
            for i, item in enumerate(value):
                self._collect(f"{name}[{i}]", item, top=False)

    def named(self, test: Callable[[tuple], bool]) -> list[str]:
        return [name for name, shape in self.arrays.items() if test(shape)][:3]

    def is_(self, shape: tuple) -> str:
        """'x is (3, 4)', 'x and W are (3, 4)' or 'a value is (3, 4)'."""
        names = self.named(lambda s: s == shape)
        verb = "is" if len(names) < 2 else "are"
        return f"{' and '.join(names) or 'a value'} {verb} {_fmt(shape)}"

    def shape_of(self, expr: str) -> Optional[tuple]:
        """The shape of an operand written as an argument (maybe indexed by a key, maybe with .T)."""
        expr = expr.strip().replace('"', "'")
        shape = self.arrays.get(expr[:-2] if expr.endswith(".T") else expr)
        return shape[::-1] if shape is not None and expr.endswith(".T") else shape


def _library_file(name: str) -> bool:
    """A frame in NumPy (by full path, or by base name once shortened): not the student's line."""
    global _NUMPY_FILES
    if _NUMPY_FILES is None:
        root = os.path.dirname(np.__file__)
        _NUMPY_FILES = frozenset(f for _, _, files in os.walk(root) for f in files if f.endswith(".py"))
    return "/" in name or "\\" in name or name.startswith("<") or name in _NUMPY_FILES - {"__init__.py"}


def _split_at_carets(code: str, marks: str) -> Optional[tuple[str, str]]:
    """Python 3.11+ underlines a failing binary operation as ~~~^~~~: return its two operands."""
    if set(marks.strip()) - {"~", "^"} or "~" not in marks:
        return None
    start, end, hat = len(marks) - len(marks.lstrip()), len(marks.rstrip()), marks.index("^")
    hat_end = len(marks) - len(marks[hat:].lstrip("^"))
    return code[start:hat].strip(), code[hat_end:end].strip()


def _fmt(shape: tuple) -> str:
    return str(tuple(shape))


def _parse_shape(text: str) -> tuple:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _transpose(expr: str) -> str:
    if expr.endswith(".T"):
        return expr[:-2]
    return f"{expr}.T" if re.fullmatch(_OPERAND, expr) else f"({expr}).T"


def _listing(names: list[str], what: str) -> str:
    return f" ({', '.join(names)} {'is' if len(names) == 1 else 'are'} {what})" if names else ""


# --- shapes ---------------------------------------------------------------------------------------

def _operands(err: _Failure) -> Optional[tuple[str, str]]:
    if err.operands and all(err.operands):
        return err.operands
    for pattern in (_OPERAND + r"\s*@\s*" + _OPERAND, r"(?:dot|matmul)\(\s*" + _OPERAND + r"\s*,\s*" + _OPERAND,
                    _OPERAND + r"\.dot\(\s*" + _OPERAND):
        found = re.search(pattern, err.code)
        if found:
            return found.group(1), found.group(2)
    return None


def _matmul(err: _Failure, a: tuple, b: tuple, k: int, rows: int, left: str, right: str):
    """The product's operands have shapes a and b: a's last axis (k) differs from b's rows."""
    text = (f"Matrix product with mismatched inner sizes: {left} is {_fmt(a)} and {right} is {_fmt(b)}, so the "
            f"left operand's last axis ({k}) does not equal the right operand's rows ({rows}).")
    if len(a) == len(b) == 2:
        tl, tr = _transpose(left), _transpose(right)
        options = [(f"{tl} @ {right}", a[::-1], b), (f"{left} @ {tr}", a, b[::-1]),
                   (f"{right} @ {left}", b, a), (f"{tr} @ {tl}", b[::-1], a[::-1])]
        valid = [(expr, (s[0], t[1])) for expr, s, t in options if s[1] == t[0]]
        fitting = [(expr, out, names[0]) for expr, out in valid
                   for names in [err.named(lambda s, out=out: s == out)] if names]
        if fitting:
            text += f" {fitting[0][0]} has the shape {_fmt(fitting[0][1])} of {fitting[0][2]}: a missing transpose?"
        elif valid:
            text += f" {valid[0][0]} would work (shape {_fmt(valid[0][1])})."
    return "error.matmul_shapes", text


def _matmul_sizes(m, err):
    rows, k = int(m.group(1)), int(m.group(2))
    pair = _operands(err)
    shapes = (err.shape_of(pair[0]), err.shape_of(pair[1])) if pair else (None, None)
    if None not in shapes:
        return _matmul(err, *shapes, k, rows, *pair)
    if not pair:  # no source line: look for the one pair of arguments that fits the sizes
        pairs = [(p, q) for p, s in err.arrays.items() for q, t in err.arrays.items()
                 if p != q and s and t and s[-1] == k and t[-2 if len(t) > 1 else 0] == rows]
        if len(pairs) == 1:
            return _matmul(err, err.arrays[pairs[0][0]], err.arrays[pairs[0][1]], k, rows, *pairs[0])
    where = f"In `{pair[0]} @ {pair[1]}`" if pair else "In a matrix product"
    known = "".join(f" {n} is {_fmt(s)}." for n, s in zip(pair or (), shapes) if s is not None)
    return ("error.matmul_shapes", f"{where} the left operand's last axis has size {k} but the right operand "
            f"has {rows} rows; they must be equal.{known} Print both shapes: one operand probably needs a "
            "transpose (.T), or the operands are in the wrong order.")


def _dot_shapes(m, err):
    a, b = _parse_shape(m.group(1)), _parse_shape(m.group(2))
    pair = _operands(err) or ("", "")  # names from the source line, unless they are arguments of other shapes
    names = [p if p and err.shape_of(p) in (None, s) else (err.named(lambda t, s=s: t == s) or [d])[0]
             for p, s, d in zip(pair, (a, b), "AB")]
    return _matmul(err, a, b, int(m.group(3)), int(m.group(4)), *names)


def _einsum(m, err):
    shapes = [_parse_shape(s) for s in re.findall(r"\(([\d,]*)\)->", err.text)]
    which = ": " + "; ".join(err.is_(s) for s in shapes) if shapes else ""
    return ("error.einsum_shapes", f"np.einsum: the subscripts do not fit the operands{which}. Give each "
            "operand one letter per axis, and use the same letter only for axes of the same size.")


def _broadcast(m, err):
    shapes = list(dict.fromkeys(_parse_shape(s) for s in re.findall(r"\([\d, ]*\)", m.group(1))))
    if len(shapes) < 2:
        return None
    a, b = sorted(shapes[:2], key=len, reverse=True)
    text = (f"Element-wise operation on shapes that do not broadcast: {err.is_(a)}, {err.is_(b)}. Shapes "
            "are compared from the last axis, and each pair of sizes must be equal or 1.")
    dropped = [i for i in range(len(a)) if len(b) == len(a) - 1 and a[:i] + a[i + 1:] == b]
    if dropped:
        kept = a[:dropped[0]] + (1,) + a[dropped[0] + 1:]
        text += (f" {_fmt(b)} is {_fmt(a)} reduced over axis {dropped[0]}: reduce with keepdims=True "
                 f"to get {_fmt(kept)}, which broadcasts.")
    elif a == b[::-1]:
        text += " One is the transpose of the other: a .T is probably missing."
    elif len(b) == 1 and b[0] in a[:-1]:
        text += (f" To line the vector up with axis {a.index(b[0])}, add an axis (v[:, None]) or reduce "
                 "with keepdims=True; or it was reduced over the wrong axis.")
    return "error.broadcast_shapes", text


def _assign(m, err):
    value, slot = _parse_shape(m.group(1)), _parse_shape(m.group(2))
    return ("error.assign_shape", f"A value of shape {_fmt(value)} was assigned into a slice of shape "
            f"{_fmt(slot)}{_listing(err.named(lambda s: s == value), 'the value shape')}. Check which "
            "axis the slice selects and whether the value needs a transpose.")


def _concat(m, err):
    return ("error.concat_shapes", f"The arrays joined differ along axis {m.group(1)} ({m.group(2)} vs "
            f"{m.group(3)}): all axes but the one joined along must match. Check the axis argument and "
            "whether a piece needs a transpose.")


def _reshape(m, err):
    size, target = int(m.group(1)), m.group(2)
    product = int(np.prod([int(n) for n in re.findall(r"\d+", target)]))
    why = f"{size} is not a multiple of {product}" if "newaxis" in target else f"({target}) holds {product}"
    names = err.named(lambda s: int(np.prod(s)) == size)
    like = f" (like {', '.join(names)})" if names else ""
    return ("error.reshape", f"reshape cannot change the number of elements: the array has {size} elements{like} "
            f"but {why}. Build the new shape from the input's own shape, e.g. x.reshape(x.shape[0], -1).")


def _index(m, err):
    index, axis, size = int(m.group(1)), int(m.group(2)), int(m.group(3))
    names = err.named(lambda s: len(s) > axis and s[axis] == size)
    where = f" (axis {axis} of {', '.join(names)})" if names else ""
    how = ("before the start" if index < 0 else "one past the end" if index == size
           else f"{index - size + 1} past the end")
    return ("error.index_bounds", f"Index {index} on an axis of size {size}{where} is {how}: valid indices "
            f"are 0..{size - 1}. Check the loop's range bounds (range(n) already stops at n - 1) and, for "
            "sliding windows, the output size (H + 2*padding - kernel) // stride + 1 and that the last "
            "window, i*stride + kernel, stays inside the input.")


def _too_many(m, err):
    ndim, used = int(m.group(1)), int(m.group(2))
    names = _listing(err.named(lambda s: len(s) == ndim), f"{ndim}-D")
    return ("error.too_many_indices", f"An array with {ndim} axes{names} was indexed with {used} indices: "
            f"check its shape, it may have fewer axes than you expect.")


def _axis(m, err):
    axis, ndim = int(m.group(1)), int(m.group(2))
    names = _listing(err.named(lambda s: len(s) == ndim), f"{ndim}-D")
    return ("error.axis_bounds", f"axis={axis} does not exist on a {ndim}-D array{names}: valid axes are "
            f"0..{ndim - 1} (or -1..-{ndim}). For the last axis write axis=-1, which works for any rank.")


# --- calls, names, dictionaries -------------------------------------------------------------------

def _signature(m, err):
    hint = ""
    if m.group(3) and m.group(3) in err.names:
        hint = f" The grader passes {m.group(3)}=..., so the function needs a parameter of exactly that name."
    elif m.group(4) and err.names:
        extra = [n for n in re.findall(r"'(\w+)'", m.group(4)) if n not in err.names]
        hint = f" The grader passes only {', '.join(err.names)}, not {', '.join(extra)}." if extra else ""
    return ("error.signature", f"{m.group(1)}() was called with arguments its definition does not accept "
            f"({m.group(2)}). Keep each graded function's signature exactly as in the stub: the same "
            f"parameter names, order and defaults; also check calls to your own helpers.{hint}")


def _missing_key(m, err):
    try:
        key = ast.literal_eval(m.group(0)) if len(m.group(0)) < 100 else m.group(0)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        key = m.group(0)
    lacking = [(name, keys) for name, keys in err.dicts.items() if key not in keys]
    if not lacking:
        return ("error.missing_key", f"There is no key {key!r} in the dictionary: check its spelling and "
                "that it is stored before it is read.")
    have = "; ".join(f"{name} has " + (", ".join(map(repr, keys[:12])) or "no keys (it is empty)")
                     for name, keys in lacking)
    advice = (f"Derive loop bounds from the dictionary (e.g. layers = len({lacking[0][0]}) // 2)."
              if all(keys for _, keys in lacking)
              else "Fill an empty state on first use, e.g. state.get(key, np.zeros_like(w)).")
    return "error.missing_key", f"There is no key {key!r}: {have}. {advice}"


_REMOVED = {  # NumPy names that no longer exist in NumPy 2 -> what to write instead
    "float": "float (or np.float64)", "int": "int (or np.int64)", "bool": "bool (or np.bool_)",
    "object": "object", "complex": "complex (or np.complex128)", "str": "str (or np.str_)", "long": "int",
    "unicode": "str", "asfarray": "np.asarray(x, dtype=float)", "NaN": "np.nan", "NAN": "np.nan",
    "Inf": "np.inf", "Infinity": "np.inf", "infty": "np.inf", "PINF": "np.inf", "NINF": "-np.inf",
    "PZERO": "0.0", "NZERO": "-0.0", "product": "np.prod", "cumproduct": "np.cumprod", "alltrue": "np.all",
    "sometrue": "np.any", "round_": "np.round", "float_": "np.float64", "complex_": "np.complex128",
    "cfloat": "np.complex128", "string_": "np.bytes_", "unicode_": "np.str_", "mat": "np.asarray (or np.asmatrix)",
    "in1d": "np.isin", "row_stack": "np.vstack", "trapz": "np.trapezoid", "msort": "np.sort(x, axis=0)",
    "asscalar": "x.item()", "alen": "len(x)", "rank": "np.ndim", "int0": "np.intp", "uint0": "np.uintp",
    "bool8": "np.bool_", "object0": "np.object_", "longfloat": "np.longdouble", "singlecomplex": "np.complex64",
    "clongfloat": "np.clongdouble", "longcomplex": "np.clongdouble", "cast": "np.asarray(x, dtype=...)",
}


def _numpy_attribute(m, err):
    name = m.group(1) or m.group(2)
    if name in _REMOVED:
        return ("error.numpy2_removed", f"np.{name} was removed from NumPy (it does not exist in NumPy 2): "
                f"use {_REMOVED[name]} instead.")
    close = difflib.get_close_matches(name, [n for n in dir(np) if not n.startswith("_")], n=1)
    return "error.numpy_attribute", f"NumPy has no np.{name}." + (f" Did you mean np.{close[0]}?" if close else "")


def _undefined(m, err):
    name = m.group(1)
    if name in ("np", "numpy", "math"):
        module = "numpy as np" if name == "np" else name
        return "error.missing_import", f"{name} is not defined: add `import {module}` at the top of the file."
    close = difflib.get_close_matches(name, err.names + ["np"], n=1)
    return ("error.undefined_name", f"The name {name!r} is used but never defined: a typo"
            f"{f' (did you mean {close[0]!r}?)' if close else ''}, or a variable of another function?")


def _recursion(m, err):
    here = f" Here it is {err.functions[0]}()." if len(set(err.functions)) == 1 else ""
    return ("error.recursion", "A function calls itself without end, often because it calls itself instead "
            f"of the function it should call (def softmax(x): return softmax(x)), or it lacks a base case.{here}")


def _says(ident: str, text: str) -> Callable:
    return lambda m, err: (ident, text)


_RULES: list[tuple[str, str, Callable]] = [
    ("ValueError", r"matmul: Input operand \d+ has a mismatch.*?\(size (\d+) is different from (\d+)\)",
     _matmul_sizes),
    ("ValueError", r"shapes (\([\d, ]*\)) and (\([\d, ]*\)) not aligned: (\d+) \(dim \d+\) != (\d+)", _dot_shapes),
    ("ValueError", r"broadcast together with remapped shapes|einstein sum subscripts", _einsum),
    ("ValueError", r"operands could not be broadcast together with shapes (.*)", _broadcast),
    ("ValueError", r"could not broadcast input array from shape (\([\d, ]*\)) into shape (\([\d, ]*\))", _assign),
    ("ValueError", r"along dimension (\d+), the array at index \d+ has size (\d+) and the array at index \d+ "
                   r"has size (\d+)", _concat),
    ("ValueError", r"cannot reshape array of size (\d+) into shape \(([\w, ]*)\)", _reshape),
    ("IndexError", r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", _index),
    ("IndexError", r"too many indices for array: array is (\d+)-dimensional, but (\d+) were indexed", _too_many),
    ("AxisError", r"axis (-?\d+) is out of bounds for array of dimension (\d+)", _axis),
    ("TypeError", r"^([\w.<>]+)\(\) (takes \d+ positional arguments? but \d+ (?:was|were) given|"
                  r"got an unexpected keyword argument '(\w+)'|got multiple values for argument '\w+'|"
                  r"missing \d+ required (?:positional|keyword-only) arguments?: ('\w+'.*))", _signature),
    ("KeyError", r"^.+$", _missing_key),
    ("ModuleNotFoundError", r"^No module named '(\w+)' while grading", lambda m, err: ("error.import_not_allowed",
        f"{m.group(1)} is not available while your code is graded: an exercise module may import only what "
        "the message lists. Keep plotting and other tools out of the graded module: in a separate script, a "
        "notebook cell of your own, under `if __name__ == \"__main__\":`, or behind `try: import ... / "
        "except ImportError:`.")),
    *((kind, r".", _says("error.torch_compile",
        "torch.compile cannot run in the grader's sandbox: it reads files outside your submission and "
        "starts compiler processes, both of which the sandbox refuses. Submit the eager version (the "
        "function without torch.compile); its speed is what is measured."))
      for kind in ("InternalTorchDynamoError", "BackendCompilerFailed", "TorchRuntimeError", "InductorError")),
    ("AttributeError", r"module 'numpy' has no attribute '(\w+)'|`np\.(\w+)` was removed", _numpy_attribute),
    ("NameError", r"name '(\w+)' is not defined", _undefined),
    ("UnboundLocalError", r"local variable '(\w+)'", lambda m, err: ("error.unbound_local",
        f"{m.group(1)!r} is read before it gets a value: it is assigned later in the function, only in one "
        "branch of an if, or only in a loop that did not run. Give it a value before it is first read.")),
    ("RecursionError", r"maximum recursion depth", _recursion),
    ("ZeroDivisionError", r"by zero", _says("error.zero_division",
        "A plain Python number was divided by zero (NumPy arrays give inf instead of raising): check how the "
        "divisor is computed, e.g. a count or len(...) of something empty, or N - 1 with N = 1; add a "
        "small eps only where a zero is legitimate.")),
    ("ValueError", r"^math domain error", _says("error.math_domain",
        "math.log got 0 or a negative number, or math.sqrt a negative one. Use np.log / np.sqrt, which "
        "also work on arrays, and keep the input in range, e.g. np.log(np.clip(p, 1e-12, None)).")),
    ("OverflowError", r"math range error|Numerical result out of range", _says("error.math_overflow",
        "A Python float overflowed, typically math.exp of a large number. Use a stable formula: subtract "
        "the maximum before exponentiating (softmax, log-sum-exp), np.logaddexp(0, x) for log(1 + e^x), "
        "np.exp(-np.abs(x)) inside a sigmoid.")),
    ("TypeError", r"only (?:length-1|0-dimensional|size-1) arrays can be converted to Python scalars", _says(
        "error.math_on_array", "A function for single numbers (math.exp, math.log, float(), int()) was given "
        "an array. Use NumPy's element-wise versions instead: np.exp, np.log, arr.astype(float).")),
    ("ValueError", r"truth value of an array with more than one element is ambiguous", _says("error.array_truth",
        "An array was used where Python needs one True/False: `if arr > 0`, `and`/`or` between arrays, or "
        "max(arr, 0). Work element-wise: np.where(cond, a, b), np.maximum(arr, 0), & and |.")),
    ("PermissionError", r"Permission denied|Operation not permitted|gradelab: student code may", _says("error.sandbox_refused",
        "The sandbox refused this: graded code may read only Python, NumPy and your own exercise files, "
        "write only in its working directory, and may not start processes, open sockets or signal other "
        "processes. Compute the result from the arguments alone.")),
    ("ValueError", r"setting an array element with a sequence", _says("error.array_element_sequence",
        "A whole array was stored into a single element (out[i] = vector with a 1-D out), or an array was "
        "built from lists of different lengths. Give the output its full shape and assign to out[i, :].")),
]


def _explain(message: str, args: Mapping[str, Any]) -> Optional[tuple[str, str]]:
    err = _Failure(message, args)
    for kind, pattern, handler in _RULES:
        found = re.search(pattern, err.text, re.S) if err.type == kind else None
        result = handler(found, err) if found else None
        if result is not None:
            return result
    return None


def explain_error(message: str, args: Mapping[str, Any]) -> Optional[tuple[str, str]]:
    """``(id, explanation)`` naming the likely cause of an exception raised by student code, or None.

    ``message`` is the sandbox's description of the exception, ``args`` the keyword arguments of
    the call.  Never raises: input it cannot read gives None.
    """
    try:
        return _explain(str(message), args if isinstance(args, Mapping) else {})
    except Exception:
        return None
