"""What the commands share: the error they raise, loading with notes, options, progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


class InputError(click.ClickException):
    """A paragraph on stderr and an exit status (2: bad input, by default)."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def load(scenario: str | None, overrides: list[str]) -> Any:
    """Load a scenario; print what loading changed (notes) to stderr."""
    from talentsim.scenario.loader import load_scenario

    loaded = load_scenario(scenario, overrides)
    for note in loaded.notes:
        click.echo(f"Note: {note}", err=True)
    return loaded


def overrides_option(command: Callable) -> Callable:
    """The repeatable `--set KEY=VALUE` option."""
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a scenario key, e.g. --set population.agents=20000 (repeatable).",
    )(command)


def backend_options(command: Callable) -> Callable:
    """`--workers`, `--scheduler` and `--dask-local`: where runs are executed."""
    options = [
        click.option(
            "--workers",
            type=click.IntRange(min=1, max=1024),
            default=None,
            help="Local worker processes (default: all cores; 1 runs in this process).",
        ),
        click.option("--scheduler", metavar="ADDRESS", help="Run on an existing Dask cluster."),
        click.option(
            "--dask-local",
            type=click.IntRange(min=1, max=1024),
            metavar="N",
            help="Start a local Dask cluster of N worker processes.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


retries_option = click.option(
    "--retries",
    type=click.IntRange(min=0, max=100),
    default=0,
    show_default=True,
    help="Times a failed run is tried again.",
)
quiet_option = click.option("--quiet", is_flag=True, help="No progress bar or summary.")


def progress(
    quiet: bool, total: int, description: str, unit: str, *, auto_refresh: bool = True
) -> Any:
    """A rich progress bar on stderr (nothing when quiet).

    With `auto_refresh` False it is redrawn at each update instead of by a thread of its
    own: a command that starts local worker processes keeps a single thread, so that the
    pool is forked with the model already imported (runs/executors.py).
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeRemainingColumn(),
    )
    console = Console(stderr=True, quiet=quiet)
    bar = Progress(*columns, console=console, transient=True, auto_refresh=auto_refresh)
    bar.add_task(description, total=total, failed=0)
    return bar
