"""GitHub Actions annotations: an ``::error`` at the ``def`` line of each failing function.

GitHub reads workflow commands from a step's output; each line here becomes a mark in the
pull request's changed files.  Student-controlled text (messages, printed output) is escaped
the way the runner unescapes it, so no message can end the line early or start a command of
its own.  Where a function's definition is cannot be read from a result, so the caller passes
the line numbers (:func:`definitions` finds them with ``ast``, without running the code).
"""

from __future__ import annotations

import ast
from typing import Mapping

from grader.results import GradeResult

#: Function statuses that get an annotation (a stub or a missing function is a to-do, not an error).
ANNOTATED = ("failed", "error", "timeout", "violation")
MAX_MESSAGE = 1000


def definitions(source: str) -> dict[str, int]:
    """The line of each top-level ``def`` in ``source`` (the last one wins, as in Python);
    empty when the source does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # a submission's problem, graded elsewhere
        return {}
    return {node.name: node.lineno for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def render_annotations(result: GradeResult, lines: Mapping[str, Mapping[str, int]], folder: str = "exercises") -> str:
    """One ``::error`` line per failing function; ``lines[module][function]`` is its ``def`` line
    (line 1 of the module when it has none)."""
    out = []
    for exercise, function in result.functions():
        problem = function.first_problem
        if function.status not in ANNOTATED or problem is None:
            continue
        line = lines.get(exercise.name, {}).get(function.name, 1)
        message = problem.message
        if problem.diagnosis is not None:
            message += f"\nlikely mistake ({problem.diagnosis.id}): {problem.diagnosis.message}"
        properties = {"file": f"{folder}/{exercise.name}.py", "line": str(line), "title": problem.id}
        fields = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
        out.append(f"::error {fields}::{escape_data(_shorten(message))}")
    return "\n".join(out) + ("\n" if out else "")


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def escape_data(text: str) -> str:
    """The runner's escaping for a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """The runner's escaping for a command's property values (``:`` and ``,`` too)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
