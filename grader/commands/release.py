"""``grade release``: a student starter repository, without solutions (INTERFACE.md)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

import click


@click.command()
@click.option("--out", required=True, type=click.Path(file_okay=False), help="An empty or new folder for the release.")
@click.option("--course", "course_file", type=click.Path(dir_okay=False),
              help="The course file (default: ./course.toml when there is one).")
@click.option("--grader-url", help="The grader repository the workflow installs from (default: this checkout's origin).")
@click.option("--grader-ref", help="The grader commit to pin (default: this checkout's HEAD).")
@click.option("--stubs", type=click.Path(file_okay=False), help="The stubs to release (default: this checkout's exercises/).")
@click.option("--trusted-manifest", type=click.Path(dir_okay=False),
              help="Where to write the grader's copy of the manifest (default: grader/release_manifest.json "
                   "in this checkout, for the course to commit).")
@click.option("--classroom", is_flag=True, help="Also report scores to GitHub Classroom (a job with checks: write).")
def command(out: str, course_file: Optional[str], grader_url: Optional[str], grader_ref: Optional[str],
            stubs: Optional[str], trusted_manifest: Optional[str], classroom: bool) -> None:
    """Write a student starter repository into OUT: stubs, README, .gitignore, course file,
    a CI workflow that runs `grade ci` with this grader pinned, and the manifest of protected files."""
    from importlib.metadata import version

    from grader import course, manifest, starter

    target = Path(out)
    if target.exists() and any(target.iterdir()):
        raise click.UsageError(f"--out {out!r} is not empty; choose a new folder")
    trusted = Path(trusted_manifest) if trusted_manifest else manifest.packaged_path()
    if not trusted_manifest and not starter.in_checkout(trusted):
        raise click.UsageError("this grader is not installed from its git checkout, so the course cannot commit "
                               "the manifest here: pass --trusted-manifest FILE (and --grader-url, --grader-ref)")
    if not os.access(trusted.parent if trusted.parent.exists() else Path.cwd(), os.W_OK):
        raise click.UsageError(f"cannot write the trusted manifest to {str(trusted)!r}; pass --trusted-manifest FILE")
    try:
        chosen = course.find(course_file)
        pin = starter.pin_for(grader_url, grader_ref)
        _, text = starter.build(target, Path(stubs) if stubs else starter.SOURCE_ROOT / "exercises", chosen, pin,
                                version("torch").split("+")[0], classroom, version("gradelab"))
    except (course.CourseError, starter.ReleaseError) as exc:
        raise click.UsageError(str(exc)) from None
    leaked = starter.leaks(target, [starter.SOURCE_ROOT / "solutions", starter.SOURCE_ROOT / "reference"])
    if leaked:
        shutil.rmtree(target)
        raise click.UsageError(f"the release would show a solution ({leaked[0]}); fix the stubs and release again")
    trusted.parent.mkdir(parents=True, exist_ok=True)
    trusted.write_text(text, encoding="utf-8")
    click.echo(f"wrote the release to {target} (grader pinned at {pin.commit[:12]}) and its manifest to {trusted}")
    if not trusted_manifest and not starter.pinned_commit_has(pin.commit, text):
        click.echo(f"next: commit grader/{manifest.PACKAGED_NAME} (and {course.FILENAME}), push, and "
                   "run `grade release` again so the workflow pins a commit that carries this manifest", err=True)
