"""``grade run``: grade a submission and render the result in one format (INTERFACE.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import click

FORMATS = ("text", "json", "junit", "gradescope", "markdown")


@click.command()
@click.argument("exercises", nargs=-1)
@click.option("--submission", default="exercises", show_default=True,
              help="A directory like exercises/, one .py module, a .ipynb notebook or a .zip.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write the report here instead of stdout.")
@click.option("--tier", type=click.Choice(["core", "torch", "all"]), default="core", show_default=True,
              help="What runs when no exercise is named.")
@click.option("--max-examples", type=click.IntRange(min=1), default=None,
              help="Generated inputs per check (default 25).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds one call of a student function may take (default 10).")
@click.option("--fail-under", type=float, default=None, help="Exit with status 1 when the score is below this.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Grade exercises in this many processes (default: one per CPU, at most 4).")
@click.option("--watch", is_flag=True, help="Keep grading: re-grade after every save of a submission file.")
@click.option("--no-cache", is_flag=True, help="Compute every oracle value again (ignore the oracle cache).")
@click.option("--course", "course_file", type=click.Path(dir_okay=False),
              help="The course file: modules, points, hidden checks (default: ./course.toml when there is one).")
@click.option("--cpu-perf", is_flag=True,
              help="Torch tier: count the speed points measured on a CPU (otherwise shown as indicative).")
def command(exercises: tuple[str, ...], submission: str, fmt: str, output: Optional[str], tier: str,
        max_examples: Optional[int], seed: int, timeout: float, fail_under: Optional[float],
        jobs: Optional[int], watch: bool, no_cache: bool, course_file: Optional[str] = None,
        cpu_perf: bool = False) -> None:
    """Grade a submission (all core exercises, or the EXERCISES named: `optimizers`, `optimizers.adam`)."""
    from grader import course
    from grader.catalog import UnknownExercise
    from grader.engine import DEFAULT_MAX_EXAMPLES, Options
    from grader.grading import grade
    from grader.render import RENDERERS
    from grader.submission import SubmissionError

    if output and not os.access(Path(output).resolve().parent, os.W_OK):
        raise click.UsageError(f"cannot write --output {output!r}: its folder does not exist or is not writable")
    chosen, (exercises, max_examples, timeout) = _course(course_file, exercises, max_examples, timeout)
    options = Options(seed=seed, max_examples=max_examples or DEFAULT_MAX_EXAMPLES, cpu_perf=cpu_perf)
    if watch:
        if fmt != "text" or output or fail_under is not None:
            raise click.UsageError("--watch shows the text report in the terminal; drop --format, --output and --fail-under")
        return _watch(submission, exercises, tier, options, timeout, not no_cache)
    try:
        with _progress(enabled=output is not None or fmt == "text") as progress:
            result = grade(submission, exercises, tier, options, timeout, progress, jobs, cache=not no_cache)
    except (SubmissionError, UnknownExercise) as exc:
        raise click.UsageError(str(exc)) from None
    course.apply(chosen, result)
    color = output is None and sys.stdout.isatty()
    report = RENDERERS[fmt](result, color=color)
    if output:
        try:
            Path(output).write_text(report, encoding="utf-8")
        except OSError as exc:
            raise click.UsageError(f"cannot write --output {output!r}: {exc.strerror}") from None
    else:
        click.echo(report, nl=False)
    if fail_under is not None and result.score < fail_under:
        click.echo(f"grade: score {result.score:g} is below --fail-under {fail_under:g}", err=True)
        sys.exit(1)


def _watch(submission: str, exercises: tuple[str, ...], tier: str, options, timeout: float, cache: bool) -> None:
    from grader.catalog import UnknownExercise, select
    from grader.grading import Session
    from grader.render import RENDERERS
    from grader.submission import SubmissionError, open_submission
    from grader.watch import watch

    try:
        select(exercises, tier)
        session = Session(open_submission(submission), timeout, cache)
    except (SubmissionError, UnknownExercise) as exc:
        raise click.UsageError(str(exc)) from None
    color = sys.stdout.isatty()
    try:
        click.echo(f"watching {submission} (Ctrl-C to stop)", err=True)
        watch(session, exercises, tier, options, lambda result: RENDERERS["text"](result, color=color),
              lambda text: click.echo(text, nl=False))
    except KeyboardInterrupt:
        click.echo("grade: stopped watching", err=True)
    finally:
        session.close()


def _course(course_file: Optional[str], exercises, max_examples, timeout):
    """The course file (``--course``, else ./course.toml) and the settings it gives this run."""
    from grader import course

    try:
        chosen = course.find(course_file)
    except course.CourseError as exc:
        raise click.UsageError(str(exc)) from None
    return chosen, course.settings(chosen, exercises, max_examples, timeout)


class _progress:
    """A transient progress line on stderr while grading, when stderr is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(console=Console(stderr=True), transient=True)
        self.bar.start()
        self.task = self.bar.add_task("grading", total=None)
        return self

    def __call__(self, exercise: str, function: str, index: int, total: int) -> None:
        self.bar.update(self.task, total=total, completed=index, description=f"{exercise}.{function}")

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
