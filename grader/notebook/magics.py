"""IPython syntax in a cell (magics, shell escapes, help) is not Python: find it and blank it out.

A cell that parses as Python is left alone, whatever its lines start with (a ``%`` may begin the
continuation of a modulo, a ``!`` a line of a docstring).  Otherwise each line that looks like
IPython syntax becomes ``pass`` at the same indentation, so line numbers and blocks survive; a
line is put back if the cell still parses with it, so string contents are never touched.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

#: Cell magics whose body is Python: only their first line is dropped.
PYTHON_BODY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})

_LINE = re.compile(r"""^\s*(?:[%!?]|\w+\s*=\s*[%!]|[\w.\[\]'"]+\?\??\s*$)""")


@dataclass(frozen=True)
class Stripped:
    source: str             # the cell with IPython lines blanked out (or the cell unchanged)
    removed: tuple[str, ...]  # the IPython lines that were blanked, as the student wrote them


def strip_magics(source: str) -> Stripped:
    """The cell as Python, and the IPython lines it held (see the module docstring)."""
    source = source.replace("\r\n", "\n")
    if _parses(source):
        return Stripped(source, ())
    lines = source.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        if name not in PYTHON_BODY_CELL_MAGICS:  # %%bash, %%writefile, %%html ...: not Python at all
            return Stripped("\n".join("pass" if i == 0 else "" for i in range(len(lines))), (first,))
        lines[0] = "pass"
        return Stripped(*_blank_lines(lines, removed=[first]))
    return Stripped(*_blank_lines(lines, removed=[]))


def _blank_lines(lines: list[str], removed: list[str]) -> tuple[str, tuple[str, ...]]:
    quoted = _in_long_strings(lines)
    candidates = [i for i, line in enumerate(lines) if _LINE.match(line) and i not in quoted]
    blanked = list(lines)
    for i in candidates:
        blanked[i] = _indent(lines[i]) + "pass"
    tree = _tree("\n".join(blanked))
    if tree is not None and candidates:
        # A candidate is put back when it lies inside a string literal the short scan missed:
        # at the start of a statement no IPython line is Python, so a string is the only place
        # where the original line can stand.  One parse finds every string; one more checks.
        inside = _string_lines(tree)
        trial = [lines[i] if i in inside else blanked[i] for i in range(len(lines))]
        if trial != blanked and _parses("\n".join(trial)):
            blanked = trial
    removed += [lines[i].strip() for i in candidates if blanked[i] != lines[i]]
    return "\n".join(blanked), tuple(removed)


def _string_lines(tree: ast.AST) -> set[int]:
    """Indexes (from 0) of the lines that begin inside a string literal spanning several lines."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))):
            end = getattr(node, "end_lineno", None)
            if end is not None and end > node.lineno:
                inside.update(range(node.lineno, end))  # line numbers lineno+1..end, as indexes
    return inside


def _in_long_strings(lines: list[str]) -> set[int]:
    """Lines that begin inside a triple-quoted string (a short scan: quotes, escapes, comments)."""
    inside: set[int] = set()
    delimiter = None  # the triple quote we are in, if any
    for number, line in enumerate(lines):
        if delimiter:
            inside.add(number)
        i, short = 0, None  # short: the quote of a one-line string, which ends with its line
        while i < len(line):
            if delimiter or short:
                if line[i] == "\\":
                    i += 2
                    continue
                if delimiter and line.startswith(delimiter, i):
                    delimiter, i = None, i + 3
                    continue
                if short and line[i] == short:
                    short = None
            elif line[i] == "#":
                break
            elif line.startswith(('"""', "'''"), i):
                delimiter, i = line[i:i + 3], i + 3
                continue
            elif line[i] in "\"'":
                short = line[i]
            i += 1
    return inside


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _parses(source: str) -> bool:
    return _tree(source) is not None


def _tree(source: str):
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
