"""`talentsim sweep` and `talentsim sensitivity`: many runs, stored one by one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from talentsim.cli.common import (
    backend_options,
    load,
    overrides_option,
    progress,
    quiet_option,
    retries_option,
)


@contextlib.contextmanager
def _bar(quiet: bool, plan: Any) -> Iterator[Any]:
    """A progress bar of runs done and failed; yields its callback."""
    bar = progress(
        quiet,
        len(plan.runs),
        plan.scenario.name,
        "runs, {task.fields[failed]} failed",
        auto_refresh=False,
    )
    failed = 0

    def advance(row: dict) -> None:
        nonlocal failed
        failed += row["status"] != "ok"
        bar.update(bar.task_ids[0], advance=1, failed=failed, refresh=True)

    with bar:
        yield advance


def _print_runs(plan: Any) -> None:
    """The runs a sweep would make (--dry-run)."""
    keys = [c for c in plan.design.columns if c != "point"]
    click.echo(
        f"{len(plan.runs)} runs: {len(plan.design)} points x "
        f"{plan.scenario.sweep.replicates} replicates -> {plan.folder}"
    )
    click.echo("\t".join(["point", "replicate", *keys, "seed spawn key"]))
    for run in plan.runs:
        values = [f"{v:g}" for _, v in run.values]
        key = ",".join(map(str, run.spawn_key))
        click.echo("\t".join([str(run.point), str(run.replicate), *values, key]))


@click.command()
@click.argument("scenario")
@backend_options
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/sweeps/<scenario>-<hash>).",
)
@retries_option
@click.option("--dry-run", is_flag=True, help="List the runs and exit.")
@click.option("--force", is_flag=True, help="Run again the runs already stored.")
@overrides_option
@quiet_option
def sweep(
    scenario: str,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
    out: Path | None,
    retries: int,
    dry_run: bool,
    force: bool,
    overrides: tuple[str, ...],
    quiet: bool,
) -> None:
    """Run the sweep of SCENARIO (its `sweep:` block): every point, every replicate.

    Results are stored run by run; running the same command again skips what is stored.
    Exits with 1 if a run still fails after its retries, 2 on bad input.
    """
    from talentsim import api
    from talentsim.render.console import console
    from talentsim.reports.summary import print_sweep_summary

    loaded = load(scenario, list(overrides))
    plan = api.plan_sweep(loaded, out=out)
    if dry_run:
        _print_runs(plan)
        return
    api.check_sweep(plan, workers, scheduler, dask_local)  # before the progress bar starts
    with _bar(quiet, plan) as advance:
        outcome = api.sweep(
            loaded,
            workers=workers,
            scheduler=scheduler,
            dask_local=dask_local,
            retries=retries,
            force=force,
            on_result=advance,
            plan=plan,
        )
    if not quiet:
        print_sweep_summary(plan, outcome.report, console())
    click.echo(f"Results in {plan.folder}")
    if outcome.report.failed:
        raise SystemExit(1)


@click.command()
@click.argument("scenario")
@click.option(
    "--method",
    type=click.Choice(["sobol", "morris"]),
    default="sobol",
    show_default=True,
    help="Sobol indices (S1, ST) or Morris elementary effects (mu*, sigma).",
)
@click.option(
    "--n",
    "n",
    type=click.IntRange(min=1, max=65_536),
    help="Base samples (Sobol: a power of 2, default 64) or trajectories (Morris, default 16).",
)
@click.option(
    "--replicates",
    type=click.IntRange(min=1, max=10_000),
    help="Runs per point, averaged before the analysis (default: the sweep block's, else 2).",
)
@backend_options
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/sweeps/<scenario>-<method>-<hash>).",
)
@retries_option
@click.option("--force", is_flag=True, help="Run again the runs already stored.")
@overrides_option
@quiet_option
def sensitivity(
    scenario: str,
    method: str,
    n: int | None,
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
    """Global sensitivity (SALib) of SCENARIO's outcomes to its sweep or calibration parameters.

    The sample runs as a sweep (stored run by run, resumed when run again, locally or on
    Dask); each point's replicates are averaged, then indices with intervals, a check at N/2,
    the replicate noise, tables and a figure are written to the folder. Exits with 1 if runs
    fail, 2 on bad input.
    """
    from talentsim import api
    from talentsim.render.console import console
    from talentsim.reports.summary import print_sweep_summary
    from talentsim.sensitivity.report import print_summary

    loaded = load(scenario, list(overrides))
    with contextlib.ExitStack() as stack:
        callbacks: list = []

        def on_result(row: dict) -> None:
            for callback in callbacks:
                callback(row)

        outcome = api.sensitivity(
            loaded,
            method=method,
            n=n,
            replicates=replicates,
            out=out,
            workers=workers,
            scheduler=scheduler,
            dask_local=dask_local,
            retries=retries,
            force=force,
            on_result=on_result,
            on_plan=lambda plan: callbacks.append(stack.enter_context(_bar(quiet, plan))),
        )
    report = outcome.sweep.report
    if outcome.result is None:
        print_sweep_summary(outcome.sweep.plan, report, console(stderr=True))
        click.echo(
            f"{len(report.failed)} of {report.total} runs failed: nothing analysed; run the "
            f"same command again to retry them (results in {outcome.folder})",
            err=True,
        )
        raise SystemExit(1)
    if not quiet:
        print_summary(outcome.result, console())
    click.echo(
        f"Sensitivity analysis in {outcome.folder} (sensitivity.md, sensitivity.png); "
        f"{report.ok} runs done now, {report.skipped} already stored"
    )


COMMANDS = [sweep, sensitivity]
