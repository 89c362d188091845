"""`talentsim calibrate`: ABC-SMC or neural posterior estimation against the targets."""

from __future__ import annotations

from pathlib import Path

import click

from talentsim.cli.common import load, overrides_option


@click.command()
@click.argument("scenario")
@click.option(
    "--targets",
    metavar="FILE",
    help="Targets CSV (form of data/survey_targets.csv), or talentsim:NAME.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=1024),
    default=None,
    help="Local worker processes (default: all cores).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Simulate on an existing Dask cluster.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/calibrations/<scenario>-<hash>).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the calibration in the output folder (ABC: its history; NPE: its "
    "training simulations).",
)
@click.option(
    "--reuse",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="NPE: condition the estimator trained in DIR on these targets (no new training "
    "simulation).",
)
@overrides_option
@click.option("--quiet", is_flag=True, help="No progress lines or summary.")
def calibrate(
    scenario: str,
    targets: str | None,
    workers: int | None,
    scheduler: str | None,
    out: Path | None,
    resume: bool,
    reuse: Path | None,
    overrides: tuple[str, ...],
    quiet: bool,
) -> None:
    """Calibrate SCENARIO's free parameters (its `calibration:` block).

    By ABC-SMC (pyabc; `calibration.method: abc`) or neural posterior estimation (sbi;
    `npe`). Writes the method's state (pyabc's history; NPE's simulations and estimator),
    the posterior, a calibrated scenario, a posterior ensemble for
    `talentsim sweep`, figures and report.md to the output folder. The same seed gives the
    same posterior with any number of workers, on Dask, and after a resume.
    """
    from rich.console import Console

    from talentsim import api
    from talentsim.render.console import console
    from talentsim.reports.summary import print_calibration_summary

    loaded = load(scenario, list(overrides))
    lines = Console(stderr=True, quiet=quiet)
    results, folder = api.calibrate(
        loaded,
        targets=targets,
        out=out,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        reuse=reuse,
        log=lambda line: lines.print(f"[dim]calibrate[/dim] {line}"),
    )
    if not quiet:
        print_calibration_summary(results, console())
    click.echo(f"Results in {folder}")


COMMANDS = [calibrate]
