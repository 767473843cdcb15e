"""``grade report --scheduler ADDRESS``: the same grading, on a Dask distributed cluster.

Each submission becomes one task that runs :func:`grader.warm.grade_student` on a Dask worker,
exactly what a local worker process runs, so the rows (and the gradebook) are the same.  A
worker warms up on its first task and keeps its imports and oracle memo for the next ones.
Workers must see the submissions at the same absolute paths (a shared folder) and have the same
gradelab installed; the instructor starts them (README, "Grading a class").  Needs the optional
extra: ``pip install 'gradelab[cluster]'``.
"""

from __future__ import annotations

import uuid
from typing import Iterator

from grader.classroom import UNGRADABLE, Settings, Student, StudentRow

class ClusterUnavailable(RuntimeError):
    """The cluster cannot be used: Dask is not installed, or the scheduler does not answer."""


def grade_on_cluster(address: str, students: list[Student], settings: Settings) -> Iterator[StudentRow]:
    """Rows as the cluster finishes them; a task that fails makes its row ``ungradable``.

    Connects at once, so an unreachable scheduler is reported before anything is graded.
    """
    return _rows(connect(address), students, settings)


def _rows(client, students: list[Student], settings: Settings) -> Iterator[StudentRow]:
    try:
        from distributed import as_completed

        from grader.warm import grade_student

        if not students:
            return
        batch = uuid.uuid4().hex[:8]
        futures = {client.submit(grade_student, student, settings, key=f"grade-{batch}-{n}", pure=False): student
                   for n, student in enumerate(students)}
        for future in as_completed(futures):
            student = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # the task or its worker failed: the grader's fault, not the student's
                yield StudentRow(student.id, student.path, UNGRADABLE, f"on the cluster: {type(exc).__name__}: {exc}")
    finally:
        client.close()


def connect(address: str):
    """A Dask client for the scheduler at ``address``, or :class:`ClusterUnavailable`."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterUnavailable("--scheduler needs Dask: pip install 'gradelab[cluster]'") from None
    try:
        return Client(address)  # waits at most distributed.comm.timeouts.connect
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address}: {exc}") from None
