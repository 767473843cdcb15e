"""The worker side of ``grade report``: a process that stays warm and grades many submissions.

A fresh ``grade run`` spends seconds importing NumPy, torch and the specs before it grades
anything.  A report's workers pay that once: they start with the numeric libraries pinned to one
thread (the workers already use every core between them), and :func:`warm` imports everything
and installs an :class:`OracleMemo`: an oracle value computed for one student is reused for the
next one asked the same question (the seed is shared, so students who pass a check see exactly
the same drawn inputs).  The memo answers from memory, so these workers leave the persistent
oracle cache alone.  Then :func:`grade_student` grades one submission through the normal
:func:`grader.grading.grade` path: student code still only runs in its sandbox.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import threading
import time
import types
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from grader.classroom import GRADED, INVALID, UNGRADABLE, Settings, Student, StudentRow, staged

#: Environment that keeps BLAS and OpenMP to one thread; read when NumPy and torch are imported.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}

_lock = threading.Lock()  # hypothesis and the sandbox's process reaping are not thread-safe
_memo: Optional["OracleMemo"] = None


def warm() -> None:
    """Import the grader's heavy parts and install the oracle memo (once).

    Threads are pinned by the environment the process started with (:data:`ONE_THREAD`, set by
    :func:`one_thread_environment` for local workers and by Dask's nanny on a cluster), which
    NumPy and torch read as they load; nothing here changes a running process's settings.
    """
    global _memo
    with _lock:
        if _memo is not None:
            return
        from grader import catalog
        from grader.engine import warm_up

        catalog.exercises()  # every spec, its oracles and torch
        warm_up()
        _memo = OracleMemo()
        _memo.install(catalog.exercises())


def memo() -> Optional["OracleMemo"]:
    """This process's oracle memo (``None`` before :func:`warm`)."""
    return _memo


def grade_student(student: Student, settings: Settings) -> StudentRow:
    """One student's row: graded, invalid (the path cannot be graded) or ungradable (a grader
    failure, with its reason).  Never raises for anything the submission does."""
    from grader.grading import grade
    from grader.submission import SubmissionError

    warm()
    started = time.perf_counter()
    with _lock, staged(student, settings) as path:
        try:
            result = grade(path, settings.names, settings.tier, settings.options(), settings.timeout, None, 1,
                           cache=False)  # the memo serves oracle values from memory
        except SubmissionError as exc:
            reason = str(exc).replace(path, student.path)
            return StudentRow(student.id, student.path, INVALID, reason, seconds=time.perf_counter() - started)
        except Exception as exc:  # the grader failed, not the student: never scored as zero
            return StudentRow(student.id, student.path, UNGRADABLE, f"{type(exc).__name__}: {exc}",
                              seconds=time.perf_counter() - started)
    result.submission = student.path
    settings.apply_course(result)
    return StudentRow(student.id, student.path, GRADED, "", result, time.perf_counter() - started)


@contextmanager
def one_thread_environment() -> Iterator[None]:
    """:data:`ONE_THREAD` in ``os.environ`` while worker processes are started (they inherit it)."""
    saved = {name: os.environ.get(name) for name in ONE_THREAD}
    os.environ.update(ONE_THREAD)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class OracleMemo:
    """Oracle values by (check id, hash of the drawn input), kept in this process's memory.

    Each check's recipe is wrapped so that, when the recipe is run with the check's oracle, the
    value is looked up first.  Only the oracle is memoised: the student's calls and the
    catalogued mistakes always run.  A value is handed out as a deep copy, so nothing a
    comparison does to it can leak into the next student's grading.
    """

    def __init__(self, limit: int = 200_000):
        self.limit = limit
        self.values: dict[tuple[str, str], Any] = {}
        self.hits = self.misses = 0

    def install(self, exercises) -> None:
        for exercise in exercises:
            for function in exercise.functions.values():
                function.checks[:] = [self.wrap(check) for check in function.checks]

    def wrap(self, check):
        if getattr(check.run, "memoised", False):
            return check
        recipe, oracle, check_id = check.run, check.oracle, check.id

        def run(fn: Callable[..., Any], args: dict) -> Any:
            key = input_hash(args) if fn is oracle else None
            if key is None:
                return recipe(fn, args)
            if (check_id, key) in self.values:
                self.hits += 1
                return copy.deepcopy(self.values[check_id, key])
            self.misses += 1
            value = recipe(fn, args)
            if len(self.values) < self.limit:
                self.values[check_id, key] = copy.deepcopy(value)
            return value

        run.memoised = True
        return dataclasses.replace(check, run=run)


class _Unhashable(Exception):
    pass


def input_hash(value: Any) -> Optional[str]:
    """A digest of drawn (and materialised) arguments, or ``None`` when they hold something that
    cannot be described exactly (then the oracle simply runs)."""
    digest = hashlib.sha256()
    try:
        _feed(digest, value, 0)
    except _Unhashable:
        return None
    return digest.hexdigest()


def _feed(digest, value: Any, depth: int) -> None:
    import numpy as np

    if depth > 20:
        raise _Unhashable
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise _Unhashable
        digest.update(f"A{value.dtype.str}{value.shape}".encode() + np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.generic):
        digest.update(f"G{value.dtype.str}".encode() + value.tobytes())
    elif value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        digest.update(f"S{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, (list, tuple, dict)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        digest.update(f"C{type(value).__name__}{len(value)}[".encode())
        for key, item in items:
            _feed(digest, key, depth + 1)
            _feed(digest, item, depth + 1)
        digest.update(b"]")
    elif isinstance(value, types.FunctionType):
        _feed_function(digest, value, depth)
    else:
        raise _Unhashable


def _feed_function(digest, fn: types.FunctionType, depth: int) -> None:
    """A grader-built callable (``grader.testfns``): its code and what its closure holds."""
    code = fn.__code__
    digest.update(f"F{fn.__module__}.{fn.__qualname__}".encode() + code.co_code)
    _feed(digest, tuple(c for c in code.co_consts if not isinstance(c, types.CodeType)), depth + 1)
    _feed(digest, fn.__defaults__, depth + 1)
    _feed(digest, tuple(cell.cell_contents for cell in fn.__closure__ or ()), depth + 1)
