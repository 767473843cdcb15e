"""Grading a whole submission: resolve it, start its sandbox, run the catalog, build results."""

from __future__ import annotations

import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from multiprocessing import get_context
from typing import Callable, Optional

from grader import catalog, integrity
from grader.engine import Options, grade_function, warm_up
from grader.results import (ERROR, MISSING, SKIPPED, VIOLATION, CheckResult, ExerciseResult,
                            FunctionResult, GradeResult)
from grader.sandbox import NUMPY_FORBIDDEN, Sandbox
from grader.spec import ExerciseSpec, FunctionSpec
from grader.submission import Submission, open_submission

#: Called before each function is graded: ``(exercise name, function name, index, total)``.
Progress = Callable[[str, str, int, int], None]


def grade(path: str, names: tuple[str, ...] = (), tier: str = "core", options: Options = Options(),
          timeout: float = 10.0, progress: Optional[Progress] = None, jobs: Optional[int] = None) -> GradeResult:
    """Grade the submission at ``path``; raises SubmissionError / UnknownExercise for usage errors.

    With ``jobs > 1`` the exercises are split between this process and ``jobs - 1`` forked
    ones, each with its own sandbox; every check is seeded on its own, so the results are the
    same as with one job.
    """
    started = time.perf_counter()
    submission = open_submission(path)
    try:
        with Sandbox(submission.files, timeout=timeout) as sandbox:  # starts while the specs import
            warm_up()
            selection = catalog.select(names, tier)
            groups = _split(selection, jobs or default_jobs())
            with ProcessPoolExecutor(len(groups) - 1, mp_context=get_context("fork")) if len(groups) > 1 else nullcontext() as pool:
                others = [pool.submit(_grade_in_new_sandbox, submission, _names(group), options, timeout)
                          for group in groups[1:]]
                total = sum(len(functions) for _, functions in selection)
                mine = _grade_exercises(submission, sandbox, groups[0], options, progress, total)
                graded = {e.name: e for e in mine + [e for future in others for e in future.result()]}
        exercises = [graded[exercise.name] for exercise, _ in selection]
    finally:
        submission.close()
    return GradeResult(submission.label, options.seed, time.perf_counter() - started, environment(), exercises)


Selection = list[tuple[ExerciseSpec, list[FunctionSpec]]]


def default_jobs() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 4))


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


def _grade_in_new_sandbox(submission: Submission, names: list[tuple[str, list[str]]], options: Options,
                          timeout: float) -> list[ExerciseResult]:
    """A forked job: the same grading with a sandbox of its own (specs arrive by name)."""
    group = [(catalog.exercise(m), [catalog.exercise(m).functions[f] for f in fs]) for m, fs in names]
    with Sandbox(submission.files, timeout=timeout) as sandbox:
        return _grade_exercises(submission, sandbox, group, options, None, 0)


def _grade_exercises(submission: Submission, sandbox: Sandbox, group: Selection, options: Options,
                     progress: Optional[Progress], total: int) -> list[ExerciseResult]:
    results = []
    for exercise, functions in group:
        result = ExerciseResult(exercise.name)
        module_problem = _module_problem(submission, sandbox, exercise.name)
        defined = set(sandbox.loaded.get(exercise.name, {}).get("functions", ()))
        for function in functions:
            if progress:
                progress(exercise.name, function.name, sum(len(r.functions) for r in results) + len(result.functions), total)
            if module_problem:
                result.functions.append(_not_run(function, *module_problem))
            elif function.name not in defined:
                result.functions.append(_not_run(function, MISSING, f"{function.name} is not defined in {exercise.name}.py"))
            else:
                student = lambda check, params, m=exercise.name, f=function.name: sandbox.function(m, f, params, check.mutable)
                result.functions.append(grade_function(function, student, options))
        results.append(result)
    return results


def _module_problem(submission: Submission, sandbox: Sandbox, module: str) -> Optional[tuple[str, str]]:
    """Why none of ``module``'s functions can be graded (status, message), or ``None``."""
    if module not in submission.files:
        return MISSING, f"the submission has no {module}.py"
    path = submission.files[module]
    source = path.read_text(encoding="utf-8", errors="replace")
    problem = integrity.syntax_error(source, path.name)
    if problem:
        return ERROR, problem
    forbidden = integrity.forbidden_imports(source, NUMPY_FORBIDDEN)
    if forbidden:
        return VIOLATION, (f"{path.name} imports {', '.join(forbidden)}; NumPy exercises may import only "
                           "numpy, math and the standard library")
    status = sandbox.load(module)
    if status["status"] != "ok":
        message = status["message"]
        if status["status"] == VIOLATION:
            message = f"{path.name} {message}; NumPy exercises may import only numpy, math and the standard library"
        return status["status"], message
    return None


def _not_run(function: FunctionSpec, status: str, message: str) -> FunctionResult:
    checks = [CheckResult(c.id, ERROR if status in (ERROR, VIOLATION) else SKIPPED, 0.0, c.points, message)
              for c in function.checks]
    return FunctionResult(function.name, status, checks)


def environment() -> dict[str, str]:
    import numpy
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    return {"python": platform.python_version(), "numpy": numpy.__version__,
            "torch": torch.__version__, "device": device}
