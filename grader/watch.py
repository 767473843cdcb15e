"""``grade run --watch``: one warm grading session that re-grades after every save.

The session keeps its sandboxes' zygotes, the imported checks and the oracle cache warm, so a
save of one module costs only that module's checks.  After each save the modules whose source
changed -- and the submission's modules that import them -- are graded again, what changed since
the last run (newly passing, newly failing, the same) is printed above the usual report, and the
loop goes on: a syntax error mid-edit, an infinite loop or a crashed child are results like any
other.  Ctrl-C ends it.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Callable, Iterable, Optional

from grader.engine import Options
from grader.grading import Session
from grader.results import PASSED, GradeResult

#: Renders a result for the terminal (the text renderer, bound to its options).
Render = Callable[[GradeResult], str]


def watch(session: Session, names: tuple[str, ...], tier: str, options: Options, render: Render,
          echo: Callable[[str], None], changes: Optional[Iterable] = None) -> None:
    """Grade, then grade again after each batch of ``changes`` (watchfiles' by default) forever."""
    result = session.grade(names, tier, options, jobs=1)
    echo(render(result))
    for _ in changes if changes is not None else _saves(session):
        changed = session.refresh()
        if not changed:
            continue
        affected = affected_modules(session, changed)
        selection = tuple(f"{e.name}.{f.name}" for e, f in result.functions() if e.name in affected)
        if not selection:
            continue
        update = session.grade(selection, tier, options, jobs=1)
        merged = merge(result, update)
        echo(describe_changes(result, merged, affected) + "\n" + render(merged))
        result = merged


def _saves(session: Session):
    from watchfiles import watch as watch_files

    path = session.submission.path
    folder = path if path.is_dir() else path.parent
    # every half second without an event the sources are compared anyway (``refresh``), so a save
    # made while the watcher was being set up, or one the file system did not report, is not lost
    yield from watch_files(folder, debounce=50, step=20, rust_timeout=500, yield_on_timeout=True,
                           watch_filter=lambda _, changed: changed.endswith((".py", ".ipynb", ".zip")))


def affected_modules(session: Session, changed: set[str]) -> set[str]:
    """``changed`` and the submission's modules that import one of them (directly or not)."""
    imports = {name: _imported(path) & set(session.submission.files) for name, path in session.submission.files.items()}
    affected = set(changed)
    while True:
        more = {name for name, uses in imports.items() if uses & affected} - affected
        if not more:
            return affected
        affected |= more


def _imported(path: Path) -> set[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError, OSError):
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.partition(".")[0])
    return found


def merge(old: GradeResult, new: GradeResult) -> GradeResult:
    """``old`` with the functions graded again in ``new`` replaced."""
    fresh = {(e.name, f.name): f for e, f in new.functions()}
    exercises = []
    for exercise in old.exercises:
        functions = [fresh.get((exercise.name, f.name), f) for f in exercise.functions]
        exercises.append(type(exercise)(exercise.name, functions))
    return GradeResult(new.submission, new.seed, new.duration_s, new.environment, exercises)


def describe_changes(old: GradeResult, new: GradeResult, modules: set[str]) -> str:
    """Newly passing, newly failing and unchanged functions among those graded again."""
    before = {(e.name, f.name): f for e, f in old.functions()}
    passing, failing, same = [], [], []
    for exercise, function in new.functions():
        if exercise.name not in modules:
            continue
        previous = before.get((exercise.name, function.name))
        name = f"{exercise.name}.{function.name}"
        if previous is None or (previous.status, previous.score) == (function.status, function.score):
            same.append(name)
        elif function.status == PASSED or function.score > previous.score:
            passing.append(f"{name} ({previous.status} -> {function.status})")
        else:
            failing.append(f"{name} ({previous.status} -> {function.status})")
    lines = [f"== saved: {', '.join(sorted(modules))} re-graded =="]
    if passing:
        lines.append("newly passing: " + ", ".join(passing))
    if failing:
        lines.append("newly failing: " + ", ".join(failing))
    lines.append(f"unchanged: {len(same)} function{'s' * (len(same) != 1)}")
    return "\n".join(lines)
