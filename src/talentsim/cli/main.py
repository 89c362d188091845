"""The command group, its error handling, and what its commands share.

Every :class:`~talentsim.errors.TalentsimError` raised by a command becomes one paragraph
on stderr and the error's exit status (2 for bad input, 1 for a result that could not be
written); so does a failure to write for want of space or permission. Only click and
talentsim's lightest modules are imported here: `talentsim --help` starts at once.
"""

from __future__ import annotations

import os
from typing import Any

import click

# pydantic looks for plugins through importlib.metadata at import (20 ms); the command line
# uses none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from talentsim.cli.common import InputError
from talentsim.errors import TalentsimError
from talentsim.runs.processes import exit_cleanly_on_termination


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
@click.version_option(package_name="talentsim", prog_name="talentsim")
def main() -> None:
    """talentsim: an agent-based model of Chinese-born tech talent returning from the US.

    Run `talentsim run` for the baseline scenario, `talentsim COMMAND --help` for details.
    """
    exit_cleanly_on_termination()


def register() -> None:
    """Add the commands to the group (their modules import what they need when run)."""
    import talentsim.cli.calibrate as calibrate
    import talentsim.cli.discover as discover
    import talentsim.cli.effects as effects
    import talentsim.cli.reports as reports
    import talentsim.cli.scenarios as scenarios
    import talentsim.cli.sweeps as sweeps
    import talentsim.cli.viz as viz

    for module in (scenarios, sweeps, effects, discover, calibrate, reports, viz):
        for command in module.COMMANDS:
            main.add_command(command)


register()
