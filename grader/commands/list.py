"""``grade list``: the catalog, and each check with its tolerance and the reason for it."""

from __future__ import annotations

import click


@click.command(name="list")
@click.argument("exercises", nargs=-1)
def command(exercises: tuple[str, ...]) -> None:
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
