"""The command group, its error handling, and what its commands share.

Every :class:`~talentsim.errors.TalentsimError` raised by a command becomes one paragraph
on stderr and the error's exit status (2 for bad input, 1 for a result that could not be
written); so does a failure to write for want of space or permission. Only click and
talentsim's lightest modules are imported here: `talentsim --help` starts at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from talentsim import __version__
from talentsim.errors import TalentsimError
from talentsim.runs.processes import exit_cleanly_on_termination


class InputError(click.ClickException):
    """A paragraph on stderr and an exit status (2: bad input, by default)."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Commands(click.Group):
    """The command group: a TalentsimError or a failed write becomes a paragraph and a status."""

    def invoke(self, ctx: click.Context) -> Any:  # noqa: D102
        from talentsim.storage.atomic import WRITE_ERRNOS, write_failure

        try:
            return super().invoke(ctx)
        except TalentsimError as err:
            raise InputError(err.message, err.exit_code) from None
        except OSError as err:
            if err.errno not in WRITE_ERRNOS:
                raise
            failure = write_failure(err, err.filename or "the output")
            raise InputError(failure.message, failure.exit_code) from None


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="talentsim")
def main() -> None:
    """talentsim: an agent-based model of Chinese-born tech talent returning from the US.

    Run `talentsim run` for the baseline scenario, `talentsim COMMAND --help` for details.
    """
    exit_cleanly_on_termination()


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


def progress(quiet: bool, total: int, description: str, unit: str) -> Any:
    """A rich progress bar on stderr (nothing when quiet)."""
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
    bar = Progress(*columns, console=Console(stderr=True, quiet=quiet), transient=True)
    bar.add_task(description, total=total, failed=0)
    return bar


def register() -> None:
    """Add the commands to the group (their modules import what they need when run)."""
    from talentsim.cli import calibrate, reports, scenarios, sweeps, viz

    for module in (scenarios, sweeps, calibrate, reports, viz):
        for command in module.COMMANDS:
            main.add_command(command)


register()
