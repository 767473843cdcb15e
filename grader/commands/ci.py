"""``grade ci``: grade a pull request or push in CI, unless it changed what it may not (INTERFACE.md).

The order matters: refuse without confinement when asked; then the tamper check (against the
base commit and against the manifest that comes with this grader), which withholds the grade
(exit 1) and says which files and why; only then grade ``exercises/`` with the course's
settings as the manifest recorded them.  Outputs: JUnit, a markdown summary, GitHub
annotations at each failing function's ``def`` line, Gradescope's ``results.json`` and GitHub
Classroom's result.  A failure of the grader itself exits 3 and writes no score at all.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Optional

import click


@click.command()
@click.option("--base", help="Compare with this commit (default: the merge base with the default branch).")
@click.option("--junit", type=click.Path(dir_okay=False), help="Write JUnit XML here (a test case per check).")
@click.option("--summary", type=click.Path(dir_okay=False),
              help="Write the markdown summary here (it also goes to $GITHUB_STEP_SUMMARY when that is set).")
@click.option("--gradescope", type=click.Path(dir_okay=False), help="Write Gradescope's results.json here.")
@click.option("--classroom", type=click.Path(dir_okay=False), help="Write GitHub Classroom's autograding result here.")
@click.option("--fail-under", type=float, default=None, help="Exit with status 1 when the score is below this.")
@click.option("--require-isolation", is_flag=True, help="Refuse to grade without the kernel's confinement (Landlock).")
@click.option("--manifest", "manifest_file", type=click.Path(dir_okay=False),
              help="The trusted release manifest (default: the one shipped with this grader).")
def command(base: Optional[str], junit: Optional[str], summary: Optional[str], gradescope: Optional[str],
            classroom: Optional[str], fail_under: Optional[float], require_isolation: bool,
            manifest_file: Optional[str]) -> None:
    """Grade this repository's exercises/ in CI; a change outside exercises/ withholds the grade."""
    from grader import manifest, tamper

    if require_isolation and not landlock_available():
        raise click.UsageError(UNCONFINED)
    outputs = Outputs(junit, summary, gradescope, classroom)
    try:
        root = tamper.repository_root(Path.cwd())
        trusted, trusted_text = manifest.load_trusted(manifest_file)
        problems = tamper.violations(root, tamper.resolve_base(root, base), trusted, trusted_text)
    except (tamper.TamperError, manifest.ManifestError) as exc:
        raise click.UsageError(str(exc)) from None
    if problems:
        outputs.withheld(problems)
        sys.exit(1)
    result = _grade(root, trusted, outputs)
    if require_isolation and result.environment.get("isolation") == "guard-only":
        raise click.UsageError(UNCONFINED)
    outputs.graded(result, root)
    if fail_under is not None and result.score < fail_under:
        click.echo(f"grade: score {result.score:g} is below --fail-under {fail_under:g}", err=True)
        sys.exit(1)


UNCONFINED = ("the kernel's confinement of student code (Landlock) is unavailable here, so grading would "
              "be guard-only; refusing because of --require-isolation")


def landlock_available() -> bool:
    from grader.sandbox import kernel_confinement

    return kernel_confinement()


def _grade(root: Path, trusted, outputs: "Outputs"):
    """The exercises graded with the course's settings from the trusted manifest."""
    from grader import course
    from grader.engine import DEFAULT_MAX_EXAMPLES, Options
    from grader.grading import grade
    from grader.submission import SubmissionError

    try:
        settings = course.parse(trusted.course, "the manifest's course file") if trusted.course else None
    except course.CourseError as exc:
        raise click.UsageError(str(exc)) from None
    names, max_examples, timeout = course.settings(settings, tuple(trusted.modules), None, None)
    try:
        result = grade(str(root / "exercises"), names, "all", Options(0, max_examples or DEFAULT_MAX_EXAMPLES), timeout)
    except SubmissionError as exc:
        raise click.UsageError(str(exc)) from None
    except Exception as exc:  # the grader failed, not the submission: say so, and never score it
        outputs.failed(f"{type(exc).__name__}: {exc}")
        raise
    return course.apply(settings, result)


class Outputs:
    """The files ``grade ci`` writes, and what it prints, for each outcome."""

    def __init__(self, junit: Optional[str], summary: Optional[str], gradescope: Optional[str],
                 classroom: Optional[str]):
        self.files = {"junit": junit, "summary": summary, "gradescope": gradescope, "classroom": classroom}
        for name, path in self.files.items():
            if path and not os.access(Path(path).resolve().parent, os.W_OK):
                raise click.UsageError(f"cannot write --{name} {path!r}: its folder does not exist or is not writable")

    def graded(self, result, root: Path) -> None:
        from grader.render import annotations, classroom, gradescope, junit, markdown, text

        lines = {module: annotations.definitions(_read(root / "exercises" / f"{module}.py"))
                 for module in {e.name for e in result.exercises}}
        self._write("junit", junit.render_junit(result))
        self._write("gradescope", gradescope.render_gradescope(result))
        self._write("classroom", classroom.render_classroom(result))
        self._summary(markdown.render_markdown(result) + _notes(result))
        click.echo(annotations.render_annotations(result, lines), nl=False)
        _echo_inert(text.render_text(result))

    def withheld(self, problems) -> None:
        from grader.render import annotations, classroom, withheld

        self._write("junit", withheld.render_junit(problems))
        self._write("gradescope", withheld.render_gradescope(problems))
        self._write("classroom", classroom.render_classroom_withheld(withheld.summary_line(problems)))
        self._summary(withheld.render_markdown(problems))
        from grader.protocol import clean_text

        for problem in problems:  # a path that is not UTF-8 is shown with U+FFFD where its bytes were
            where = annotations.escape_property(clean_text(problem.path))
            click.echo(f"::error file={where},title=grade withheld::{annotations.escape_data(problem.reason)}")
        click.echo(f"grade: {withheld.summary_line(problems)} (see the summary)", err=True)

    def failed(self, reason: str) -> None:
        """The grader broke: the summary says so, and no score file is left behind."""
        from grader.render.withheld import code_span

        for name in ("junit", "gradescope", "classroom"):
            if self.files[name]:
                Path(self.files[name]).unlink(missing_ok=True)
        self._summary(f"## gradelab: the grader failed\n\nThis is not a grade, and not your code's fault: "
                      f"{code_span(reason)}. Ask your instructor to look at this run.\n")

    def _write(self, name: str, report: str) -> None:
        if self.files[name]:
            Path(self.files[name]).write_text(report, encoding="utf-8")

    def _summary(self, report: str) -> None:
        self._write("summary", report)
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:
            with open(step_summary, "a", encoding="utf-8") as handle:
                handle.write(report)


def _notes(result) -> str:
    hidden = sum(1 for _, f in result.functions() for c in f.checks if c.hidden)
    notes = []
    if hidden:
        notes.append(f"{hidden} hidden check{'s' * (hidden != 1)} counted: they show the input, never the expected value.")
    notes.append(f"Isolation: {result.environment.get('isolation', 'unknown')}. Grader files checked: "
                 "nothing outside `exercises/` changed.")
    return "\n" + "\n\n".join(notes) + "\n"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _echo_inert(report: str) -> None:
    """The text report, with GitHub's workflow commands switched off around it in Actions, so
    nothing a student's code printed can act as a command."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        click.echo(report, nl=False)
        return
    token = secrets.token_hex(16)
    click.echo(f"::stop-commands::{token}")
    click.echo(report, nl=False)
    click.echo(f"::{token}::")
