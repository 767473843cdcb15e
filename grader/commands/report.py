"""``grade report``: grade a whole class into a gradebook, result documents and a report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click


@click.command()
@click.argument("arguments", nargs=-1, required=True, metavar="SUBMISSIONS... [EXERCISE...]")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the gradebook and the report.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Warm worker processes (default: one per CPU, at most 4).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Grade on this Dask scheduler (tcp://host:8786) instead of local workers.")
@click.option("--tier", type=click.Choice(["core", "torch", "all"]), default="core", show_default=True,
              help="What runs when no exercise is named.")
@click.option("--max-examples", type=click.IntRange(min=1), default=None, help="Generated inputs per check (default 25).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds one call of a student function may take (default 10).")
@click.option("--course", "course_file", type=click.Path(dir_okay=False),
              help="The course file: modules, points, hidden checks (default: ./course.toml when there is one).")
@click.option("--min-similarity", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Smallest score of a pair in the similarity table.")
@click.option("--allow-unconfined", is_flag=True,
              help="Grade even where the kernel cannot confine student code (no Landlock): only for trusted code.")
def command(arguments: tuple[str, ...], out: str, jobs: Optional[int], scheduler: Optional[str], tier: str,
            max_examples: Optional[int], seed: int, timeout: Optional[float], course_file: Optional[str],
            min_similarity: float, allow_unconfined: bool) -> None:
    """Grade a class: SUBMISSIONS is one folder with an entry per student (a folder, .py, .ipynb
    or .zip, named after the student) or several such paths.

    Name EXERCISES (`gan`, `optimizers.adam`) to grade only those.  Writes gradebook.csv,
    summary.md, report.html and students/<student>.json into --out.  Running the same command
    again grades only the submissions without a result for these options.
    """
    from grader import classroom, course
    from grader.catalog import UnknownExercise, select
    from grader.engine import DEFAULT_MAX_EXAMPLES

    from grader.sandbox import kernel_confinement

    if not allow_unconfined and not kernel_confinement():
        raise click.UsageError("the kernel's confinement of student code (Landlock) is unavailable here, so a class "
                               "would be graded guard-only; grade where it is, or pass --allow-unconfined for "
                               "trusted code")
    _require_report_extra()
    paths, names = _split(arguments)
    try:
        students = classroom.discover(paths, out)  # first: it fails fast, the catalog imports torch
        chosen = course.find(course_file)
        names, max_examples, timeout = course.settings(chosen, names, max_examples, timeout)
        select(names, tier)
    except (UnknownExercise, ValueError) as exc:  # CourseError is a ValueError
        raise click.UsageError(str(exc)) from None
    settings = classroom.Settings(tuple(names), tier, seed, max_examples or DEFAULT_MAX_EXAMPLES, timeout,
                                  chosen.text if chosen else "")
    folder = _output_folder(out)
    report = _grade(students, settings, folder, jobs, scheduler)
    _similarity(report, students, min_similarity)
    _write_outputs(report, folder)
    ungradable = report.count(classroom.UNGRADABLE)
    click.echo(f"{len(report.rows)} submissions ({report.resumed} already graded) -> "
               f"{folder / 'gradebook.csv'}, {folder / 'summary.md'}, {folder / 'report.html'}")
    if ungradable:
        click.echo(f"grade: {ungradable} submission(s) could not be graded (a failure of the grader); "
                   "see summary.md, and run the same command again to retry them", err=True)


def _require_report_extra() -> None:
    from importlib.util import find_spec

    missing = [name for name in ("matplotlib", "copydetect") if find_spec(name) is None]
    if missing:
        raise click.UsageError(f"grade report needs {' and '.join(missing)}: pip install 'gradelab[report]'")


def _split(arguments: tuple[str, ...]) -> tuple[list[str], tuple[str, ...]]:
    """Submissions are paths; an argument that is no path but names a catalog entry is an exercise."""
    import os

    from grader.catalog import MODULES

    paths, names = [], []
    for argument in arguments:
        module, _, _ = argument.partition(".")
        if not os.path.lexists(argument) and module in MODULES:
            names.append(argument)
        else:
            paths.append(argument)
    if not paths:
        raise click.UsageError("name at least one submission (a class folder, or one path per student)")
    return paths, tuple(names)


def _output_folder(out: str) -> Path:
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(f"cannot create --out {out!r}: {exc.strerror}") from None
    return folder


def _grade(students, settings, folder: Path, jobs, scheduler):
    from grader import classroom
    from grader.cluster import ClusterUnavailable

    try:
        with _Progress() as progress:
            return classroom.grade_class(students, settings, folder, jobs, scheduler, progress)
    except ClusterUnavailable as exc:
        raise click.UsageError(str(exc)) from None


def _similarity(report, students, threshold: float) -> None:
    from grader.classroom import GRADED
    from grader.similarity import find_similar

    graded = {row.student for row in report.rows if row.status == GRADED}
    report.similar, report.similar_total = find_similar([s for s in students if s.id in graded],
                                                        report.settings, threshold)


def _write_outputs(report, folder: Path) -> None:
    from grader.render.csv import render_gradebook
    from grader.render.html import render_html
    from grader.render.summary import render_summary

    for name, render in (("gradebook.csv", render_gradebook), ("summary.md", render_summary),
                         ("report.html", render_html)):
        try:
            # errors="replace": a path that is not UTF-8 (quoted in a reason) never stops the report
            folder.joinpath(name).write_text(render(report), encoding="utf-8", errors="replace")
        except OSError as exc:
            raise click.UsageError(f"cannot write {folder / name}: {exc.strerror}") from None


class _Progress:
    """A progress bar with an ETA on stderr while the class is graded (when stderr is a terminal)."""

    def __init__(self):
        self.bar = None

    def __enter__(self) -> "_Progress":
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self.bar = Progress(TextColumn("grading {task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
        return self

    def __call__(self, row, done: int, total: int) -> None:
        if self.bar is None:
            return
        if row is None:  # the start: results reused from an earlier run do not count for the ETA
            self.task = self.bar.add_task("the class", total=total - done)
        else:
            from rich.markup import escape

            self.bar.update(self.task, advance=1, description=escape(row.student))

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
