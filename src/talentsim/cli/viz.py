"""`talentsim viz`: the browser view of a scenario."""

from __future__ import annotations

from pathlib import Path

import click

from talentsim.cli.common import InputError, load


@click.command()
@click.argument("scenario", required=False)
@click.option(
    "--port",
    type=click.IntRange(min=1, max=65535),
    default=8765,
    show_default=True,
    help="Port to serve on.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (0.0.0.0 serves other machines too).",
)
def viz(scenario: str | None, port: int, host: str) -> None:
    """Open SCENARIO (the baseline by default) in the browser: Mesa's SolaraViz page.

    Step, Play and Reset the model, move the levers, and watch the returnee wave by year.
    Every asset is served locally, so it works offline. Needs the `viz` extra.
    """
    from talentsim.viz import server

    loaded = load(scenario, [])
    missing = server.missing_packages()
    if missing:
        raise InputError(
            f"talentsim viz needs the viz extra ({', '.join(missing)} not installed); "
            "install it with: pip install 'talentsim[viz]'"
        )
    server.check_address(host, port)
    click.echo(
        f"talentsim viz: scenario '{loaded.scenario.name}' at {server.url(host, port)} "
        "(Ctrl+C to stop)"
    )
    status = server.serve(Path(loaded.files[0]).resolve(), host, port)
    if status:
        raise SystemExit(status)


COMMANDS = [viz]
