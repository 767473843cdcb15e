"""A class of submissions: who is in it, grading each one once, and the class-level result.

``grade report`` composes three steps from here: :func:`discover` the students (one folder
holding one entry per student, or several paths), :func:`grade_class` them -- each through the
normal :func:`grader.grading.grade` path, fanned out over warm worker processes
(:mod:`grader.warm`) or a Dask cluster (:mod:`grader.cluster`) -- and render the
:class:`ClassResult` (``grader/render/html.py``, ``csv.py``, ``summary.py``).

Nothing is lost: every student gets a row.  ``graded`` rows carry their
:class:`~grader.results.GradeResult`; ``invalid`` rows are paths that cannot be graded (a
corrupt zip, an unreadable notebook), scored zero with the reason; ``ungradable`` rows are
failures of the grader itself, with the reason, never scored and left out of class statistics.
Each row is stored in the output folder as soon as it is known, keyed by the grader's version,
the options and the submission's content, so running the same report again after an
interruption grades only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

from grader.results import CheckResult, Diagnosis, ExerciseResult, FunctionResult, GradeResult

GRADED, INVALID, UNGRADABLE = "graded", "invalid", "ungradable"
SUFFIXES = (".zip", ".py", ".ipynb")
ROOT = Path(__file__).resolve().parent.parent


# -- the model ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Student:
    id: str    # the entry's name (without .zip, .py or .ipynb)
    path: str  # absolute path of the entry


@dataclass(frozen=True)
class Settings:
    """What every submission of the report is graded with (part of each result's key)."""

    names: tuple[str, ...] = ()
    tier: str = "core"
    seed: int = 0
    max_examples: int = 25
    timeout: float = 10.0
    course: str = ""  # the course file's text (course.toml), when there is one

    def options(self):
        from grader.engine import Options

        return Options(seed=self.seed, max_examples=self.max_examples)

    def columns(self) -> list[tuple[str, list[tuple[str, float]]]]:
        """The graded modules, each with its functions and their points (the course's weights
        applied), in catalog order."""
        from grader import catalog

        skeleton = GradeResult("", self.seed, 0.0, {}, [
            ExerciseResult(exercise.name, [FunctionResult(f.name, "passed", [
                CheckResult(c.id, "passed", c.points, c.points) for c in f.checks]) for f in functions])
            for exercise, functions in catalog.select(self.names, self.tier)])
        self.apply_course(skeleton)
        return [(e.name, [(f.name, f.max_score) for f in e.functions]) for e in skeleton.exercises]

    def apply_course(self, result: GradeResult) -> GradeResult:
        """The course file's point weights and hidden checks, as ``grade run`` applies them."""
        if self.course:
            from grader import course

            course.apply(course.parse(self.course), result)
        return result

    def single_module(self) -> Optional[str]:
        """The one module named, when exactly one is (a lone ``alice.py`` is graded as it)."""
        modules = {name.partition(".")[0] for name in self.names}
        return modules.pop() if len(modules) == 1 else None


@dataclass
class StudentRow:
    student: str
    source: str
    status: str                      # graded, invalid or ungradable
    reason: str = ""
    result: Optional[GradeResult] = None
    seconds: float = 0.0

    @property
    def counted(self) -> bool:
        """In class statistics: everything but a failure of the grader."""
        return self.status != UNGRADABLE

    @property
    def score(self) -> Optional[float]:
        if self.status == UNGRADABLE:
            return None
        return self.result.score if self.result else 0.0

    def function(self, module: str, name: str) -> Optional[FunctionResult]:
        for exercise in self.result.exercises if self.result else ():
            if exercise.name == module:
                return next((f for f in exercise.functions if f.name == name), None)
        return None

    def module_score(self, module: str) -> Optional[float]:
        if self.status == UNGRADABLE:
            return None
        found = [e.score for e in (self.result.exercises if self.result else ()) if e.name == module]
        return found[0] if found else 0.0


@dataclass(frozen=True)
class MistakeCount:
    id: str
    message: str
    students: int
    example_student: str
    example_check: str
    example_input: Any


@dataclass(frozen=True)
class FailingInput:
    check: str
    counterexample: Any
    students: tuple[str, ...]


@dataclass
class ClassResult:
    """Every student's row, what was graded, and the near-identical implementations found."""

    rows: list[StudentRow]
    settings: Settings
    columns: list[tuple[str, list[tuple[str, float]]]]
    duration_s: float = 0.0
    resumed: int = 0
    similar: list = field(default_factory=list)  # grader.similarity.Similarity, best first
    similar_total: int = 0                        # pairs found in all (``similar`` is the head)

    @property
    def max_score(self) -> float:
        return round(sum(points for _, functions in self.columns for _, points in functions), 6)

    @property
    def counted(self) -> list[StudentRow]:
        return [row for row in self.rows if row.counted]

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)

    def scores(self) -> list[float]:
        return [row.score for row in self.counted]

    def score_stats(self) -> dict[str, float]:
        scores = self.scores()
        if not scores:
            return {}
        return {"mean": statistics.fmean(scores), "median": statistics.median(scores),
                "min": min(scores), "max": max(scores)}

    def pass_rates(self) -> list[tuple[str, float]]:
        """``module.function`` and the fraction of counted students who passed it."""
        counted = self.counted
        rates = []
        for module, functions in self.columns:
            for name, _ in functions:
                passed = sum(1 for row in counted if (f := row.function(module, name)) and f.status == "passed")
                rates.append((f"{module}.{name}", passed / len(counted) if counted else 0.0))
        return rates

    def module_means(self) -> list[tuple[str, float, float]]:
        """Each module's mean score over counted students, and its maximum."""
        counted = self.counted
        return [(module, statistics.fmean(row.module_score(module) for row in counted) if counted else 0.0,
                 sum(points for _, points in functions)) for module, functions in self.columns]

    def problem_checks(self) -> Iterator[tuple[str, CheckResult]]:
        """(student, check) for every check that did not pass, in counted rows."""
        for row in self.counted:
            for _, function in row.result.functions() if row.result else ():
                for check in function.checks:
                    if check.status not in ("passed", "skipped"):
                        yield row.student, check

    def mistakes(self) -> list[MistakeCount]:
        """Diagnosed mistakes by the number of students who made them, with a first example."""
        seen: dict[str, set[str]] = {}
        example: dict[str, tuple[str, CheckResult]] = {}
        for student, check in self.problem_checks():
            if check.diagnosis is None:
                continue
            seen.setdefault(check.diagnosis.id, set()).add(student)
            example.setdefault(check.diagnosis.id, (student, check))
        ranked = sorted(seen, key=lambda key: (-len(seen[key]), key))
        return [MistakeCount(key, example[key][1].diagnosis.message, len(seen[key]), example[key][0],
                             example[key][1].id, example[key][1].counterexample) for key in ranked]

    def failing_inputs(self) -> list[FailingInput]:
        """The minimal failing inputs seen most often (same check, same input), most first."""
        students: dict[tuple[str, str], list[str]] = {}
        values: dict[tuple[str, str], Any] = {}
        for student, check in self.problem_checks():
            if check.counterexample is None:
                continue
            key = (check.id, json.dumps(check.counterexample, sort_keys=True, default=str))
            if student not in students.setdefault(key, []):
                students[key].append(student)
            values.setdefault(key, check.counterexample)
        ranked = sorted(students, key=lambda key: (-len(students[key]), key))
        return [FailingInput(key[0], values[key], tuple(students[key])) for key in ranked]

    def slowest(self, count: int = 10) -> list[StudentRow]:
        return sorted(self.rows, key=lambda row: (-row.seconds, row.student))[:count]

    def isolation(self) -> list[str]:
        return sorted({row.result.environment.get("isolation", "") for row in self.rows if row.result} - {""})


# -- who is in the class ------------------------------------------------------------------------
def discover(paths: Sequence[str], out: Optional[str] = None) -> list[Student]:
    """The students: the entries of one class folder, or each path given.

    A single folder that holds no exercise module itself is a class folder: each entry in it
    (a directory, ``.py``, ``.ipynb`` or ``.zip``; hidden names and ``out`` skipped) is one
    student, named after the entry.  Raises :class:`ValueError` for a path that does not exist
    or a class folder with nobody in it.
    """
    for path in paths:
        if not os.path.lexists(path):
            raise ValueError(f"submission path {path!r} does not exist")
    if len(paths) == 1 and _is_class_folder(Path(paths[0])):
        skip = Path(out).resolve() if out else None
        entries = sorted((e for e in Path(paths[0]).iterdir()
                          if not e.name.startswith(".") and e.resolve() != skip), key=lambda e: e.name)
        if not entries:
            raise ValueError(f"{paths[0]!r} holds no submissions (one entry per student: a folder, .py, .ipynb or .zip)")
    else:
        entries = [Path(path) for path in paths]
    return [Student(name, str(entry.absolute())) for name, entry in zip(_unique_ids(entries), entries)]


def _is_class_folder(path: Path) -> bool:
    from grader.catalog import MODULES

    return path.is_dir() and not any((path / f"{module}{suffix}").is_file()
                                     for module in MODULES for suffix in (".py", ".ipynb"))


def _unique_ids(entries: list[Path]) -> list[str]:
    """Entry names without their suffix; the full name where that collides, then a number.

    Names are made printable first (a name that is not UTF-8 gets U+FFFD where its bytes were
    not), and two ids never differ only in case: each one names a student's files in the output
    folder, which may be on a file system that ignores case.
    """
    from grader.protocol import clean_text

    names = [clean_text(e.name) or "student" for e in entries]
    short = [name[: -len(e.suffix)] if e.suffix.lower() in SUFFIXES and e.stem else name
             for name, e in zip(names, entries)]
    counts = Counter(name.casefold() for name in short)
    ids, taken = [], set()
    for name, full in zip(short, names):
        candidate = name if counts[name.casefold()] == 1 else full
        unique, n = candidate, 1
        while unique.casefold() in taken:
            n += 1
            unique = f"{candidate}-{n}"
        taken.add(unique.casefold())
        ids.append(unique)
    return ids


@contextmanager
def staged(student: Student, settings: Settings) -> Iterator[str]:
    """The path to grade: a single ``alice.py`` or ``alice.ipynb`` is graded as the one module
    the report selects (the file name is the student's, not the module's)."""
    source = Path(student.path)
    module = settings.single_module()
    if not (source.is_file() and source.suffix.lower() in (".py", ".ipynb") and module
            and source.stem != module):
        yield student.path
        return
    folder = tempfile.mkdtemp(prefix="gradelab-student-")
    try:
        target = Path(folder, module + source.suffix.lower())
        try:
            shutil.copyfile(source, target)
        except OSError:
            yield student.path  # grade() names what is wrong with the original path
            return
        yield str(target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)



# -- resume: what a stored result was graded with --------------------------------------------------
@lru_cache(maxsize=None)
def grader_fingerprint() -> str:
    """The grader's version: its package versions and the sources of grader/ and reference/."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    for package in ("gradelab", "numpy", "torch", "hypothesis"):
        try:
            digest.update(f"{package}={version(package)};".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=?;".encode())
    for folder in ("grader", "reference"):
        for path in sorted(ROOT.joinpath(folder).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def content_hash(path: Path) -> str:
    """A digest of what grading ``path`` reads: a folder's modules and notebooks, or the file's bytes.

    Links are described by their target, never followed, so hashing reads nothing outside.
    """
    from grader.catalog import MODULES

    digest = hashlib.sha256()
    if path.is_dir():
        for module in MODULES:
            for suffix in (".py", ".ipynb"):
                _hash_file(digest, path / f"{module}{suffix}")
    else:
        _hash_file(digest, path, follow=True)
    return digest.hexdigest()


def _hash_file(digest, path: Path, follow: bool = False) -> None:
    digest.update(os.fsencode(path.name) + b"\0")  # the name's bytes, UTF-8 or not
    if path.is_symlink() and not follow:
        digest.update(b"link:" + os.fsencode(os.readlink(path)))
    elif path.is_file():
        try:
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as exc:
            digest.update(f"unreadable:{exc.errno}".encode())
    else:
        digest.update(b"absent" if not os.path.lexists(path) else b"special")


def result_key(student: Student, settings: Settings) -> str:
    payload = {"grader": grader_fingerprint(), "settings": asdict(settings), "path": student.path,
               "content": content_hash(Path(student.path))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class ResultStore:
    """Per-student files in the output folder: ``students/<id>.json`` (the result document of
    INTERFACE.md) and ``.gradelab/<id>.json`` (the key and the row's status and reason)."""

    def __init__(self, out: Path):
        self.documents = Path(out, "students")
        self.records = Path(out, ".gradelab")

    def load(self, student: Student, key: str) -> Optional[StudentRow]:
        """The stored row when it was graded with ``key``; ungradable rows are graded again."""
        name = file_name(student.id)
        try:
            record = json.loads(self.records.joinpath(name).read_text(encoding="utf-8"))
            if record.get("key") != key or record.get("status") not in (GRADED, INVALID):
                return None
            result = None
            if record["status"] == GRADED:
                result = result_from_dict(json.loads(self.documents.joinpath(name).read_text(encoding="utf-8")))
            return StudentRow(student.id, student.path, record["status"], record.get("reason", ""), result,
                              float(record.get("seconds", 0.0)))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save(self, row: StudentRow, key: str) -> None:
        name = file_name(row.student)
        if row.result is not None:
            _write(self.documents / name, json.dumps(row.result.to_dict(), indent=2) + "\n")
        else:
            self.documents.joinpath(name).unlink(missing_ok=True)
        record = {"key": key, "student": row.student, "source": row.source, "status": row.status,
                  "reason": row.reason, "seconds": round(row.seconds, 3)}
        _write(self.records / name, json.dumps(record, indent=2) + "\n")


def file_name(student: str) -> str:
    """A safe file name for a student id (with a digest when characters had to be replaced)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", student)[:100]
    if safe != student or safe.startswith("."):
        safe = f"{safe.lstrip('.') or 'student'}-{hashlib.sha256(student.encode()).hexdigest()[:8]}"
    return safe + ".json"


def _write(path: Path, text: str) -> None:
    """Write atomically, so an interrupted report never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def result_from_dict(doc: dict) -> GradeResult:
    """The :class:`GradeResult` a result document (``GradeResult.to_dict()``) was made from."""

    def known(cls, data: dict) -> dict:
        names = {f.name for f in fields(cls)}
        return {key: value for key, value in data.items() if key in names}

    def check(data: dict) -> CheckResult:
        values = known(CheckResult, data)
        if values.get("diagnosis") is not None:
            values["diagnosis"] = Diagnosis(**values["diagnosis"])
        return CheckResult(**values)

    exercises = [ExerciseResult(e["name"], [FunctionResult(f["name"], f["status"], [check(c) for c in f["checks"]])
                                            for f in e["functions"]]) for e in doc["exercises"]]
    return GradeResult(**{**known(GradeResult, doc), "environment": dict(doc["environment"]), "exercises": exercises})


# -- grading the class -----------------------------------------------------------------------------
#: Told about every row as it is known: ``(row or None at the start, rows done, rows in all)``.
Progress = Callable[[Optional[StudentRow], int, int], None]


def grade_class(students: list[Student], settings: Settings, out: Path, jobs: Optional[int] = None,
                scheduler: Optional[str] = None, progress: Optional[Progress] = None) -> ClassResult:
    """Every student's row: stored ones reused (same key), the others graded and stored."""
    started = time.perf_counter()
    store = ResultStore(out)
    keys = {student.id: result_key(student, settings) for student in students}
    rows = {s.id: row for s in students if (row := store.load(s, keys[s.id])) is not None}
    resumed = len(rows)
    todo = [student for student in students if student.id not in rows]
    if progress:
        progress(None, resumed, len(students))
    if scheduler:
        from grader.cluster import grade_on_cluster

        graded = grade_on_cluster(scheduler, todo, settings)
    else:
        graded = grade_in_workers(todo, settings, jobs)
    for row in graded:
        store.save(row, keys[row.student])
        rows[row.student] = row
        if progress:
            progress(row, len(rows), len(students))
    return ClassResult([rows[s.id] for s in students], settings, settings.columns(),
                       time.perf_counter() - started, resumed)


def grade_in_workers(students: list[Student], settings: Settings, jobs: Optional[int] = None) -> Iterator[StudentRow]:
    """Rows as warm worker processes finish them.

    A worker that dies (which student code, sandboxed, cannot cause) loses the submissions it
    held: they are tried again one at a time, and a second loss makes the row ``ungradable``.
    """
    from grader.grading import default_jobs

    jobs = jobs or default_jobs()
    tries = dict.fromkeys((s.id for s in students), 0)
    pending = list(students)
    while pending:
        lost: list[Student] = []
        yield from _pool_round(pending, settings, jobs, lost)
        pending = []
        for student in lost:
            tries[student.id] += 1
            if tries[student.id] < 2:
                pending.append(student)
            else:
                yield StudentRow(student.id, student.path, UNGRADABLE,
                                 "the grading worker stopped unexpectedly while grading this submission")
        jobs = 1


def _pool_round(students: list[Student], settings: Settings, jobs: int, lost: list[Student]) -> Iterator[StudentRow]:
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    from grader import warm

    with warm.one_thread_environment():
        pool = ProcessPoolExecutor(min(jobs, len(students)), mp_context=get_context("spawn"), initializer=warm.warm)
        finished = False
        try:
            futures = {pool.submit(warm.grade_student, student, settings): student for student in students}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool:
                    lost.append(student)
                except Exception as exc:
                    yield StudentRow(student.id, student.path, UNGRADABLE, f"{type(exc).__name__}: {exc}")
            finished = True
        finally:
            pool.shutdown(wait=finished, cancel_futures=True)
