"""The student's view: a table per exercise, then each problem with its smallest failing input."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.engine import NOT_IMPLEMENTED_PREFIX
from grader.results import GradeResult

STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "red", "violation": "bold red",
         "missing": "yellow", "not_implemented": "yellow", "skipped": "dim"}
MARK = {"passed": "✓", "not_implemented": "…", "missing": "?"}


def render_text(result: GradeResult, color: bool = False, width: int = 100) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width,
                      highlight=False, emoji=False, force_jupyter=False)  # a string, even inside Jupyter
    for note in result.notes:
        console.print(Text("Note: ", style="yellow") + Text(note), soft_wrap=True)  # never markup
    if result.notes:
        console.print()
    if not result.exercises:
        console.print("Nothing to grade: no exercise matches this selection (`grade list` shows the catalog).")
    for exercise in result.exercises:
        table = Table(title=f"{exercise.name}  {_points(exercise.score, exercise.max_score)}",
                      title_justify="left", expand=True, show_edge=False)
        table.add_column("function", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("points", justify="right", no_wrap=True)
        table.add_column("note", ratio=1, overflow="fold")
        for function in exercise.functions:
            problem = function.first_problem
            note = "" if problem is None else problem.message.splitlines()[0] if problem.message else ""
            table.add_row(function.name, Text(f"{MARK.get(function.status, '✗')} {function.status}",
                                              style=STYLE.get(function.status, "")),
                          _points(function.score, function.max_score), Text(note))  # never markup
        console.print(table)
        console.print()
    _problems(console, result)
    _todo(console, result)
    if result.environment.get("isolation") == "guard-only":
        console.print(Text("Note: student code was not confined by the kernel here (no Landlock: isolation "
                           "guard-only); see README's security section.", style="yellow"))
    console.print(Text(f"Score: {_points(result.score, result.max_score)}  "
                       f"(seed {result.seed}, {result.duration_s:.1f} s, {result.environment.get('device', 'cpu')})",
                       style="bold"))
    return buffer.getvalue()


def _problems(console: Console, result: GradeResult) -> None:
    failing = [(e, f) for e, f in result.functions() if f.status in ("failed", "error", "timeout", "violation")]
    if not failing:
        return
    console.print(Text("Problems", style="bold underline"))
    for exercise, function in failing:
        check = function.first_problem
        console.print(Text(f"{exercise.name}.{function.name}", style="bold") + Text(f"  {check.id} ({check.status})"))
        for line in check.message.splitlines():
            console.print(Text(f"    {line}"), soft_wrap=True)
        if check.counterexample is not None:
            console.print(Text("    smallest failing input:", style="dim"))
            for name, value in _entries(check.counterexample):
                prefix = f"      {name} = "
                console.print(Text(prefix + value.replace("\n", "\n" + " " * len(prefix))), soft_wrap=True)
        if check.diagnosis is not None:
            console.print(Text(f"    likely mistake ({check.diagnosis.id}): ", style="bold magenta")
                          + Text(check.diagnosis.message), soft_wrap=True)
        console.print()


def _todo(console: Console, result: GradeResult) -> None:
    waiting = [(e, f) for e, f in result.functions() if f.status in ("not_implemented", "missing")]
    if not waiting:
        return
    console.print(Text("To do", style="bold underline"))
    for exercise, function in waiting:
        name = f"{exercise.name}.{function.name}"
        hint = function.checks[0].message if function.checks else ""
        hint = hint.removeprefix(NOT_IMPLEMENTED_PREFIX).removeprefix(f"{name}: ")
        console.print(Text(f"  {name}: ", style="bold") + Text(hint), soft_wrap=True)
    console.print()


def _entries(example):
    items = example.items() if isinstance(example, dict) else [("input", example)]
    for name, value in items:
        yield name, _short(value)


WHOLE = 200  # arrays up to this many numbers are printed whole; the message names the entry that differs


def _short(value) -> str:
    if isinstance(value, list):
        try:
            array = np.asarray(value)
        except ValueError:  # ragged
            array = None
        if array is not None and array.dtype.kind in "biuf":
            return np.array2string(array, separator=", ", threshold=WHOLE, max_line_width=96,
                                   formatter={"float_kind": lambda x: f"{x:.4g}"})
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value)


def _points(score: float, max_score: float) -> str:
    return f"{score:g}/{max_score:g}"
