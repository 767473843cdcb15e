"""The ``grade`` command (INTERFACE.md): parse, grade, render, set the exit status.

Exit status: 0 when grading completed (whatever the score), 1 when ``--fail-under`` is not met,
2 for a usage error, reported as one line on stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import click

FORMATS = ("text", "json", "junit", "gradescope", "markdown")


class GradeGroup(click.Group):
    """``grade`` with no command means ``grade run``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=GradeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gradelab")
def cli() -> None:
    """Grade deep-learning exercises with property-based checks against trusted oracles."""


@cli.command()
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
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="Seconds one call of a student function may take.")
@click.option("--fail-under", type=float, default=None, help="Exit with status 1 when the score is below this.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Grade exercises in this many processes (default: one per CPU, at most 4).")
def run(exercises: tuple[str, ...], submission: str, fmt: str, output: Optional[str], tier: str,
        max_examples: Optional[int], seed: int, timeout: float, fail_under: Optional[float],
        jobs: Optional[int]) -> None:
    """Grade a submission (all core exercises, or the EXERCISES named: `optimizers`, `optimizers.adam`)."""
    from grader.catalog import UnknownExercise
    from grader.engine import DEFAULT_MAX_EXAMPLES, Options
    from grader.grading import grade
    from grader.render import RENDERERS
    from grader.submission import SubmissionError

    if output and not os.access(Path(output).resolve().parent, os.W_OK):
        raise click.UsageError(f"cannot write --output {output!r}: its folder does not exist or is not writable")
    options = Options(seed=seed, max_examples=max_examples or DEFAULT_MAX_EXAMPLES)
    try:
        with _progress(enabled=output is not None or fmt == "text") as progress:
            result = grade(submission, exercises, tier, options, timeout, progress, jobs)
    except (SubmissionError, UnknownExercise) as exc:
        raise click.UsageError(str(exc)) from None
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


@cli.command(name="list")
@click.argument("exercises", nargs=-1)
def list_(exercises: tuple[str, ...]) -> None:
    """Show the catalog: exercises, functions, checks, points and tier.

    Name EXERCISES (`optimizers`, `optimizers.adam`) to see each check, what it verifies, and
    the tolerance it allows with the reason it is safe.
    """
    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    from grader import catalog

    try:
        selection = catalog.select(exercises, "all")
    except catalog.UnknownExercise as exc:
        raise click.UsageError(str(exc)) from None
    console = Console(highlight=False)
    if exercises:
        for _, functions in selection:
            for function in functions:
                for check in function.checks:
                    console.print(f"[bold]{check.id}[/bold]  ({check.points:g} point{'s' * (check.points != 1)})")
                    console.print(Padding(Text(check.description), (0, 0, 0, 4)))
                    console.print(Padding(Text(f"tolerance {check.tol}: {check.tol.why}", style="dim"), (0, 0, 0, 4)))
        return
    table = Table(show_edge=False)
    for column in ("exercise", "function", "checks", "points", "tier"):
        table.add_column(column, justify="right" if column in ("checks", "points") else "left")
    for exercise, functions in selection:
        for function in functions:
            table.add_row(exercise.name, function.name, str(len(function.checks)),
                          f"{function.max_score:g}", exercise.tier)
    console.print(table)


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


def main() -> None:
    """Console entry point: usage errors are one line on stderr with exit status 2."""
    try:
        cli.main(standalone_mode=False, prog_name="grade")
    except click.exceptions.Abort:
        click.echo("grade: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"grade: error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(2 if exc.exit_code == 1 or isinstance(exc, click.UsageError) else exc.exit_code)
    except Exception as exc:  # a bug in the grader itself, never something a user did
        if os.environ.get("GRADELAB_DEBUG"):
            raise
        click.echo(f"grade: internal error: {type(exc).__name__}: {exc} (rerun with GRADELAB_DEBUG=1 "
                   "for the traceback, and please report it)", err=True)
        sys.exit(3)
    sys.exit(0)


if __name__ == "__main__":
    main()
