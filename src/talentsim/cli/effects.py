"""`talentsim effects`: policy effects over the posterior, paired with the baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from talentsim.cli.common import (
    backend_options,
    overrides_option,
    progress,
    quiet_option,
    retries_option,
)


@click.command()
@click.argument("baseline")
@click.argument("scenarios", nargs=-1, required=True)
@click.option(
    "--posterior",
    type=click.Path(path_type=Path, file_okay=False),
    help="A calibration folder whose posterior draws to run at (default: the baseline's).",
)
@click.option(
    "--draws",
    type=click.IntRange(min=1, max=100_000),
    help="Posterior draws K (default 20; at most what the posterior holds).",
)
@click.option(
    "--replicates",
    type=click.IntRange(min=1, max=10_000),
    help="Replicates R per draw (default 2; 2 or more split the uncertainty).",
)
@backend_options
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/effects/<baseline>-<hash of the study>).",
)
@retries_option
@click.option("--force", is_flag=True, help="Run again the runs already stored.")
@overrides_option
@quiet_option
def effects(
    baseline: str,
    scenarios: tuple[str, ...],
    posterior: Path | None,
    draws: int | None,
    replicates: int | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
    out: Path | None,
    retries: int,
    force: bool,
    overrides: tuple[str, ...],
    quiet: bool,
) -> None:
    """Effects of policy SCENARIOS against BASELINE, with the parameters' uncertainty.

    Every scenario runs at K posterior draws x R replicates (stored run by run, resumed when
    run again, locally or on Dask); each policy run is paired with the baseline run of the
    same draw and replicate (common random numbers). Writes effects.csv, report.md and fan
    charts: median effects with 90 % intervals, the probability of direction and how much
    of each effect's variance comes from the parameters rather than chance. --set applies
    to every scenario. Exits with 1 if runs fail, 2 on bad input.
    """
    from talentsim import api
    from talentsim.effects.report import print_effects
    from talentsim.render.console import console

    bar: Any = None
    failed = 0

    def on_plan(plan: Any) -> None:
        nonlocal bar
        bar = progress(
            quiet,
            plan.runs,
            plan.labels[0],
            "runs, {task.fields[failed]} failed",
            auto_refresh=False,
        )
        bar.start()

    def on_result(row: dict) -> None:
        nonlocal failed
        failed += row["status"] != "ok"
        bar.update(bar.task_ids[0], advance=1, failed=failed, refresh=True)

    try:
        outcome = api.effects(
            baseline,
            list(scenarios),
            list(overrides),
            posterior=posterior,
            draws=draws,
            replicates=replicates,
            out=out,
            workers=workers,
            scheduler=scheduler,
            dask_local=dask_local,
            retries=retries,
            force=force,
            on_result=on_result,
            on_plan=on_plan,
        )
    finally:
        if bar is not None:
            bar.stop()
    plan = outcome.plan
    if outcome.table is None:
        click.echo(
            f"{outcome.failed} of {plan.runs} runs failed: no effects computed; run the same "
            f"command again to retry them (runs in {plan.folder / 'runs'})",
            err=True,
        )
        raise SystemExit(1)
    if not quiet:
        print_effects(
            outcome.table, console(), {"draws": plan.draws, "replicates": plan.replicates}
        )
    done = sum(r.ok for r in outcome.reports.values())
    click.echo(
        f"Effects in {plan.folder} (effects.csv, report.md, effects.png); {done} runs done "
        f"now, {plan.runs - done} already stored"
    )


COMMANDS = [effects]
