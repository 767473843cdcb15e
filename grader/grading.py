"""Grading a whole submission: resolve it, start its sandboxes, run the catalog, build results.

Every function is graded in a fresh sandboxed child with only its own module imported (and the
submission's modules that one imports), so a function's result is the same whichever other
functions are graded and however they are split into ``--jobs``.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
import time
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from multiprocessing import get_context
from typing import Callable, Optional, Union

from grader import catalog, integrity
from grader.cache import MemoryCache, OracleCache
from grader.calls import StudentFault
from grader.engine import Options, explain_fault, grade_function, warm_up
from grader.policy import NUMPY, Policy, for_tier
from grader.scrub import scrub_result
from grader.results import (ERROR, MISSING, SKIPPED, VIOLATION, CheckResult, ExerciseResult,
                            FunctionResult, GradeResult)
from grader.sandbox import Sandbox
from grader.spec import ExerciseSpec, FunctionSpec
from grader.submission import Submission, open_submission

#: Called before each function is graded: ``(exercise name, function name, index, total)``.
Progress = Callable[[str, str, int, int], None]
Selection = list[tuple[ExerciseSpec, list[FunctionSpec]]]


def grade(path: str, names: tuple[str, ...] = (), tier: str = "core", options: Options = Options(),
          timeout: float = 10.0, progress: Optional[Progress] = None, jobs: Optional[int] = None,
          cache: Union[bool, MemoryCache] = True) -> GradeResult:
    """Grade the submission at ``path``; raises SubmissionError / UnknownExercise for usage errors.

    With ``jobs > 1`` the exercises are split between this process and ``jobs - 1`` forked
    ones, each with sandboxes of its own; the results are the same as with one job.  With
    ``cache``, oracle values are read from (and added to) the persistent oracle cache, or the
    in-memory cache given.
    """
    with Session(open_submission(path), timeout, cache) as session:
        return session.grade(names, tier, options, progress, jobs)


def default_jobs() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 4))


class Session:
    """An opened submission and its sandboxes (one per tier, started when first needed).

    ``grade`` uses a session for one run; watch mode keeps one warm across runs and calls
    :meth:`refresh` after every save.
    """

    def __init__(self, submission: Submission, timeout: float = 10.0, cache: Union[bool, MemoryCache] = True):
        self.submission, self.timeout, self.use_cache = submission, timeout, bool(cache)
        self.sources = {name: _read(path) for name, path in submission.files.items()}  # as graded
        self.open: dict[str, Sandbox] = {}
        # one per process: SQLite handles are not shared (forked jobs open their own)
        self.cache = cache if isinstance(cache, MemoryCache) else OracleCache() if cache else None
        self.get(NUMPY)  # starts now, so the worker's imports overlap with the grader's

    def get(self, policy: Policy) -> Sandbox:
        if policy.tier not in self.open:
            self.open[policy.tier] = Sandbox(self.submission.files, timeout=self.timeout, policy=policy).__enter__()
        return self.open[policy.tier]

    def grade(self, names: tuple[str, ...] = (), tier: str = "core", options: Options = Options(),
              progress: Optional[Progress] = None, jobs: Optional[int] = None) -> GradeResult:
        started = time.perf_counter()
        warm_up()
        selection = catalog.select(names, tier)
        groups = _split(selection, jobs or default_jobs())
        with ExitStack() as stack:
            pool = (stack.enter_context(ProcessPoolExecutor(len(groups) - 1, mp_context=get_context("fork")))
                    if len(groups) > 1 else None)
            others = [pool.submit(_grade_in_new_session, self.submission, _names(group), options, self.timeout,
                                  self.use_cache) for group in groups[1:]]
            total = sum(len(functions) for _, functions in selection)
            graded = _grade_exercises(self, groups[0], options, progress, total)
            isolation = [self.isolation()]
            for future in others:
                results, their_isolation = future.result()
                graded += results
                isolation.append(their_isolation)
        by_name = {e.name: e for e in graded}
        result = GradeResult(self.submission.label, options.seed, time.perf_counter() - started,
                             environment(_weakest(isolation)), [by_name[e.name] for e, _ in selection],
                             notes=list(self.submission.notes))
        scrub_result(result)
        return result

    def refresh(self) -> set[str]:
        """Read the submission again (after an edit); the modules whose source changed."""
        before = self.sources
        self.submission.reopen()
        self.sources = {name: _read(path) for name, path in self.submission.files.items()}
        changed = {name for name in before.keys() | self.sources.keys() if before.get(name) != self.sources.get(name)}
        if changed:
            for sandbox in self.open.values():
                sandbox.refresh(self.submission.files)
        return changed

    def isolation(self) -> str:
        used = [box.isolation for box in self.open.values() if box.confinement]
        return _weakest(used) if used else ""

    def close(self) -> None:
        for box in self.open.values():
            box.close()
        self.open.clear()
        if self.cache is not None:
            self.cache.close()
        self.submission.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read(path: Path) -> Optional[bytes]:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _weakest(labels: list[str]) -> str:
    """The confinement every sandbox of the run had: the lowest Landlock ABI, or guard-only."""
    labels = [label for label in labels if label]
    if not labels:
        return "guard-only"
    if any(not label.startswith("landlock-abi-") for label in labels):
        return "guard-only"
    return min(labels, key=lambda label: int(label.rsplit("-", 1)[1]))


def _split(selection: Selection, jobs: int) -> list[Selection]:
    """Exercises in ``jobs`` groups of similar cost (number of checks), largest first."""
    groups: list[Selection] = [[] for _ in range(max(1, min(jobs, len(selection))))]
    cost = [0] * len(groups)
    for item in sorted(selection, key=lambda item: -sum(len(f.checks) for f in item[1])):
        lightest = cost.index(min(cost))
        groups[lightest].append(item)
        cost[lightest] += sum(len(f.checks) for f in item[1])
    return groups


def _names(group: Selection) -> list[tuple[str, list[str]]]:
    return [(exercise.name, [f.name for f in functions]) for exercise, functions in group]


def _grade_in_new_session(submission: Submission, names: list[tuple[str, list[str]]], options: Options,
                          timeout: float, cache: bool) -> tuple[list[ExerciseResult], str]:
    """A forked job: the same grading with sandboxes of its own (specs arrive by name)."""
    group = [(catalog.exercise(m), [catalog.exercise(m).functions[f] for f in fs]) for m, fs in names]
    session = Session(submission, timeout, cache)
    try:
        return _grade_exercises(session, group, options, None, 0), session.isolation()
    finally:
        for box in session.open.values():  # the submission itself belongs to the parent job
            box.close()
        if session.cache is not None:
            session.cache.close()


def _grade_exercises(sandboxes: Session, group: Selection, options: Options,
                     progress: Optional[Progress], total: int) -> list[ExerciseResult]:
    results = []
    done = 0
    for exercise, functions in group:
        result = ExerciseResult(exercise.name)
        policy = for_tier(exercise.tier)
        sandbox = sandboxes.get(policy)
        problem = _module_problem(sandboxes.submission, sandbox, exercise.name, policy)
        for function in functions:
            if progress:
                progress(exercise.name, function.name, done, total)
            done += 1
            if problem:
                result.functions.append(_not_run(function, *problem))
            else:
                result.functions.append(_grade_one(sandbox, exercise.name, function, options, sandboxes.cache))
        results.append(result)
    return results


def _grade_one(sandbox: Sandbox, module: str, function: FunctionSpec, options: Options,
               cache: Optional[OracleCache] = None) -> FunctionResult:
    """``function`` graded in a fresh child that has imported only its module."""
    status = sandbox.open(module)
    if status["status"] != "ok":
        return _not_run(function, ERROR if status["status"] == "timeout" else status["status"], status["message"])
    if function.name not in status["functions"]:
        return _not_run(function, MISSING, f"{function.name} is not defined in {module}.py")
    student = lambda check, params: sandbox.function(module, function.name, params, check.mutable, check.keep)
    return grade_function(function, student, options, cache)


def _module_problem(submission: Submission, sandbox: Sandbox, module: str, policy: Policy) -> Optional[tuple[str, str]]:
    """Why none of ``module``'s functions can be graded (status, message), or ``None``."""
    if module not in submission.files:
        return MISSING, f"the submission has no {module}.py"
    path = submission.files[module]
    source = path.read_text(encoding="utf-8", errors="replace")
    problem = integrity.syntax_error(source, path.name)
    if problem:
        return ERROR, problem
    forbidden = integrity.forbidden_imports(source, policy.forbidden)
    if forbidden:
        return VIOLATION, f"{path.name} imports {', '.join(forbidden)}; {policy.allowed}"
    status = sandbox.open(module)
    if status["status"] == VIOLATION:
        return VIOLATION, f"{path.name} {status['message']}; {policy.allowed}"
    if status["status"] != "ok":
        return ERROR if status["status"] == "timeout" else status["status"], status["message"]
    return None


def _not_run(function: FunctionSpec, status: str, message: str) -> FunctionResult:
    checks = [CheckResult(c.id, ERROR if status in (ERROR, VIOLATION) else SKIPPED, 0.0, c.points, message)
              for c in function.checks]
    if status == ERROR and checks:  # e.g. why importing the module failed
        checks[0].diagnosis = explain_fault(StudentFault(status, message), {})
    return FunctionResult(function.name, status, checks)


def environment(isolation: str = "guard-only", device: str = "cpu") -> dict[str, str]:
    """Versions and where the code ran; read without importing torch (a cached run never does)."""
    import numpy

    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "not installed"
    return {"python": platform.python_version(), "numpy": numpy.__version__,
            "torch": torch_version, "device": device, "isolation": isolation}
