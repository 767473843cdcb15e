"""The ``grade`` command line (INTERFACE.md): the group, its commands, the exit statuses.

Exit status: 0 when grading completed (whatever the score), 1 when ``--fail-under`` is not met,
2 for a usage error, reported as one line on stderr.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from grader.commands import COMMANDS


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


for _name in COMMANDS:
    cli.add_command(importlib.import_module(f"grader.commands.{_name}").command, _name)


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
