"""``grade notebook``: one student notebook (.ipynb) per exercise module, written to a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click


@click.command()
@click.argument("exercises", nargs=-1)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="The folder to write the notebooks to.")
@click.option("--stubs", type=click.Path(file_okay=False), default=None,
              help="The folder of stub modules to start from (default: the course's exercises/).")
@click.option("--force", is_flag=True, help="Overwrite notebooks that exist and differ (your work in them is lost).")
def command(exercises: tuple[str, ...], out: str, stubs: Optional[str], force: bool) -> None:
    """Write a notebook per exercise module (every module, or the EXERCISES named) into --out.

    Each holds the concept with its maths, a cell per function with its stub, and after each a
    check cell that grades the function as the kernel defines it. Hand one in with
    `grade run --submission DIR/MODULE.ipynb`, or the whole folder with `--submission DIR`.
    """
    from grader import catalog
    from grader.notebook import StubError, default_stubs, notebook_for, text_of

    try:
        selection = catalog.select(exercises, "all")
    except catalog.UnknownExercise as exc:
        raise click.UsageError(str(exc)) from None
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(f"cannot create --out {out!r}: {exc.strerror}") from None
    source = Path(stubs) if stubs else default_stubs()
    for exercise, functions in selection:
        if not exercises and not (source / f"{exercise.name}.py").is_file():
            click.echo(f"skipped {exercise.name}: no stub {exercise.name}.py in {source}")
            continue
        try:
            text = text_of(notebook_for(exercise.name, tuple(f.name for f in functions), source))
        except StubError as exc:
            raise click.UsageError(str(exc)) from None
        click.echo(_write(folder / f"{exercise.name}.ipynb", text, force))
        if (folder / f"{exercise.name}.py").exists():
            click.echo(f"  note: {folder / exercise.name}.py is beside it; grading the folder grades the .py, "
                       "not the notebook (write the notebooks to a folder of their own)")


def _write(path: Path, text: str, force: bool) -> str:
    """Write ``text`` unless a different notebook is there (the student's work) and not ``force``."""
    try:
        if path.exists():
            if path.read_text(encoding="utf-8", errors="replace") == text:
                return f"unchanged {path}"
            if not force:
                return f"kept {path}: it exists and differs (your work?); --force overwrites it"
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.UsageError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    return f"wrote {path}"
