"""The worker side of ``grade report``: a process that stays warm and grades many submissions.

A fresh ``grade run`` spends seconds importing NumPy, torch and the specs before it grades
anything.  A report's workers pay that once: they start with the numeric libraries pinned to one
thread (the workers already use every core between them), and :func:`warm` imports everything
and makes a :class:`grader.cache.MemoryCache`: an oracle value computed for one student is reused for the
next one asked the same question (the seed is shared, so students who pass a check see exactly
the same drawn inputs).  The memo answers from memory, so these workers leave the persistent
oracle cache alone.  Then :func:`grade_student` grades one submission through the normal
:func:`grader.grading.grade` path: student code still only runs in its sandbox.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from grader.cache import MemoryCache
from grader.classroom import GRADED, INVALID, UNGRADABLE, Settings, Student, StudentRow, staged

#: Environment that keeps BLAS and OpenMP to one thread; read when NumPy and torch are imported.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}

_lock = threading.Lock()  # hypothesis and the sandbox's process reaping are not thread-safe
_memo: Optional[MemoryCache] = None


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
        _memo = MemoryCache()


def memo() -> Optional[MemoryCache]:
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
                           cache=_memo)  # oracle values from memory, shared by this worker's students
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
