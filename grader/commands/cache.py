"""``grade cache clear``: empty the persistent oracle cache (``grade cache`` shows where it is)."""

from __future__ import annotations

import click


@click.group(invoke_without_command=True)
@click.pass_context
def command(ctx: click.Context) -> None:
    """The oracle cache: where it is, or `grade cache clear` to empty it."""
    if ctx.invoked_subcommand is None:
        from grader.cache import default_path

        click.echo(f"oracle cache: {default_path()}")


@command.command()
def clear() -> None:
    """Remove every cached oracle value."""
    from grader.cache import OracleCache

    cache = OracleCache()
    removed = cache.clear()
    cache.close()
    click.echo(f"removed {removed} cached oracle value{'s' * (removed != 1)} from {cache.path}")
