"""Grading a whole submission: resolve it, start its sandbox, run the catalog, build results."""

from __future__ import annotations

import platform
import time
from typing import Callable, Optional

from grader import catalog, integrity
from grader.engine import Options, grade_function
from grader.results import (ERROR, MISSING, SKIPPED, VIOLATION, CheckResult, ExerciseResult,
                            FunctionResult, GradeResult)
from grader.sandbox import NUMPY_FORBIDDEN, Sandbox
from grader.spec import FunctionSpec
from grader.submission import Submission, open_submission

#: Called before each function is graded: ``(exercise name, function name, index, total)``.
Progress = Callable[[str, str, int, int], None]


def grade(path: str, names: tuple[str, ...] = (), tier: str = "core", options: Options = Options(),
          timeout: float = 10.0, progress: Optional[Progress] = None) -> GradeResult:
    """Grade the submission at ``path``; raises SubmissionError / UnknownExercise for usage errors."""
    started = time.perf_counter()
    submission = open_submission(path)
    try:
        with Sandbox(submission.files, timeout=timeout) as sandbox:
            selection = catalog.select(names, tier)
            total = sum(len(functions) for _, functions in selection)
            done = 0
            exercises = []
            for exercise, functions in selection:
                result = ExerciseResult(exercise.name)
                module_problem = _module_problem(submission, sandbox, exercise.name)
                defined = set(sandbox.loaded.get(exercise.name, {}).get("functions", ()))
                for function in functions:
                    if progress:
                        progress(exercise.name, function.name, done, total)
                    done += 1
                    if module_problem:
                        result.functions.append(_not_run(function, *module_problem))
                    elif function.name not in defined:
                        result.functions.append(_not_run(function, MISSING, f"{function.name} is not defined in {exercise.name}.py"))
                    else:
                        student = lambda check, params, m=exercise.name, f=function.name: sandbox.function(m, f, params, check.mutable)
                        result.functions.append(grade_function(function, student, options))
                exercises.append(result)
    finally:
        submission.close()
    return GradeResult(submission.label, options.seed, time.perf_counter() - started, environment(), exercises)


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
