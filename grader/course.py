"""The optional course file, ``course.toml``: what a course assigns and how it weighs it.

An instructor writes it once; ``grade release`` ships it (and records it in the manifest),
``grade run`` reads it from the working directory, and ``grade ci`` reads the copy recorded in
the manifest that comes with the pinned grader, so a student's edit to it changes nothing::

    modules = ["derivatives", "activations"]   # assigned modules (default: every module)
    max_examples = 25                           # generated inputs per check
    timeout = 10                                # seconds one call of a student function may take
    hidden = ["activations.softmax", "derivatives.*.default_step"]   # checks that hide the expected value

    [points]                                    # total points of a module or of one function
    derivatives = 20
    "activations.softmax" = 5

Points rescale the checks' own points proportionally (a function first, then its module), so
fractional scores stay fractional.  A hidden pattern names a module, a function or a check id,
or is a shell-style glob over check ids.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Optional

from grader.results import FAILED, CheckResult, GradeResult

FILENAME = "course.toml"
KEYS = {"modules", "max_examples", "timeout", "hidden", "points"}

#: What a failed hidden check says instead of its comparison (which names the expected value).
HIDDEN_MESSAGE = ("hidden check: your function's result is wrong on the input below "
                  "(a hidden check does not show the right answer)")
_PRINTED = "\nyour code printed:\n"


class CourseError(ValueError):
    """The course file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Course:
    modules: tuple[str, ...] = ()
    max_examples: Optional[int] = None
    timeout: Optional[float] = None
    hidden: tuple[str, ...] = ()
    points: dict[str, float] = field(default_factory=dict)
    text: str = ""  # the file as written, for the release and its manifest

    def is_hidden(self, check_id: str) -> bool:
        return any(_covers(pattern, check_id) for pattern in self.hidden)


def find(explicit: Optional[str] = None, folder: Optional[Path] = None) -> Optional[Course]:
    """The course file named by ``--course``, else ``course.toml`` in ``folder`` (the working
    directory) when there is one, else ``None``."""
    if explicit:
        return load(Path(explicit))
    default = (folder or Path.cwd()) / FILENAME
    return load(default) if default.is_file() else None


def load(path: Path) -> Course:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(f"cannot read course file {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    return parse(text, str(path))


def parse(text: str, label: str = FILENAME) -> Course:
    """A validated course from the file's text; :class:`CourseError` names the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{label} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise CourseError(f"{label}: unknown key {unknown[0]!r}; the keys are {', '.join(sorted(KEYS))}")
    course = Course(
        modules=tuple(_strings(data, "modules", label)),
        max_examples=_number(data, "max_examples", label, int),
        timeout=_number(data, "timeout", label, float),
        hidden=tuple(_strings(data, "hidden", label)),
        points=_points(data.get("points", {}), label),
        text=text,
    )
    _check_names(course, label)
    return course


def _strings(data: dict, key: str, label: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CourseError(f"{label}: {key} must be a list of strings")
    return value


def _number(data: dict, key: str, label: str, kind: type) -> Any:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise CourseError(f"{label}: {key} must be {'an integer' if kind is int else 'a number'}")
    if value <= 0:
        raise CourseError(f"{label}: {key} must be positive")
    return kind(value)


def _points(table: Any, label: str) -> dict[str, float]:
    if not isinstance(table, dict):
        raise CourseError(f"{label}: [points] must be a table of module or function names to numbers")
    for name, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise CourseError(f"{label}: points for {name!r} must be a number, zero or more")
    return {name: float(value) for name, value in table.items()}


def _check_names(course: Course, label: str) -> None:
    """Every module, function and hidden pattern must name something in the catalog."""
    from grader import catalog

    names = tuple(course.modules) + tuple(course.points)
    unknown = [name for name in names if name.split(".", 1)[0] not in catalog.MODULES]
    if unknown:
        raise CourseError(f"{label}: unknown exercise {unknown[0]!r}; `grade list` shows the catalog")
    try:  # function names need the module's checks (loading them imports the oracles)
        catalog.select(tuple(name for name in names if "." in name), "all")
    except catalog.UnknownExercise as exc:
        raise CourseError(f"{label}: {exc}") from None
    for pattern in course.hidden:
        module = pattern.split(".", 1)[0]
        modules = [m for m in catalog.MODULES if fnmatchcase(m, module)]
        ids = [c.id for m in modules for f in catalog.exercise(m).functions.values() for c in f.checks]
        if not any(_covers(pattern, check_id) for check_id in ids):
            raise CourseError(f"{label}: hidden pattern {pattern!r} matches no check; `grade list` shows them")


def _covers(pattern: str, check_id: str) -> bool:
    """A pattern covers a check when it names it, its function or its module, or globs it."""
    return check_id == pattern or check_id.startswith(pattern + ".") or fnmatchcase(check_id, pattern)


DEFAULT_TIMEOUT = 10.0


def settings(course: Optional[Course], names: tuple[str, ...], max_examples: Optional[int],
             timeout: Optional[float]) -> tuple[tuple[str, ...], Optional[int], float]:
    """What to grade and how: names and options given on the command line win over the course's.

    Returns the exercise names, ``--max-examples`` (``None``: the engine's default) and the timeout.
    """
    if course is None:
        return names, max_examples, timeout or DEFAULT_TIMEOUT
    return (names or course.modules, max_examples or course.max_examples,
            timeout or course.timeout or DEFAULT_TIMEOUT)


def apply(course: Optional[Course], result: GradeResult) -> GradeResult:
    """The course's point weights and hidden checks applied to ``result`` (in place; returned)."""
    if course is None:
        return result
    for exercise in result.exercises:
        for function in exercise.functions:
            _rescale(function.checks, course.points.get(f"{exercise.name}.{function.name}"))
        _rescale([c for f in exercise.functions for c in f.checks], course.points.get(exercise.name))
    for _, function in result.functions():
        for check in function.checks:
            if course.is_hidden(check.id):
                hide(check)
    return result


def _rescale(checks: list[CheckResult], total: Optional[float]) -> None:
    """Scale ``checks`` so their points add up to ``total`` (their ratios unchanged)."""
    current = sum(c.max_points for c in checks)
    if total is None or current <= 0:
        return
    factor = total / current
    for check in checks:
        check.points = round(check.points * factor, 6)
        check.max_points = round(check.max_points * factor, 6)


def hide(check: CheckResult) -> None:
    """Mark ``check`` hidden; a failed comparison keeps the input and loses the expected value.

    The counterexample is the input alone, and a named mistake or the student's own printed
    output says nothing of the expected value, so those stay.  Errors and timeouts report only
    what the student's code did, so their messages stay too.
    """
    check.hidden = True
    if check.status == FAILED:
        printed = check.message.find(_PRINTED)
        check.message = HIDDEN_MESSAGE + (check.message[printed:] if printed >= 0 else "")
