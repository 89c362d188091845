"""The `talentsim` command line: run, validate, schema, scenarios.

Bad input (a scenario that does not validate, a bad --set, an output folder in the way)
prints one paragraph to stderr and exits with status 2, before anything is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from talentsim import __version__
from talentsim.capacity import check_memory
from talentsim.console import console as output_console
from talentsim.errors import KeyedError, TalentsimError
from talentsim.executors import DaskCluster, Executor, InProcess, LocalPool
from talentsim.loader import (
    LoadedScenario,
    ScenarioError,
    builtin_names,
    builtin_path,
    load_scenario,
)
from talentsim.processes import exit_cleanly_on_termination
from talentsim.results import build_manifest, check_output_folder, default_run_folder, write_run
from talentsim.runner import run_scenario, steps_per_replicate
from talentsim.scenario import Scenario
from talentsim.storage.atomic import write_text
from talentsim.summary import print_calibration_summary, print_summary, print_sweep_summary


class InputError(click.ClickException):
    """Bad input: printed as one paragraph, exit status 2 (or the one given)."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Commands(click.Group):
    """The command group: every :class:`TalentsimError` becomes one paragraph and its status."""

    def invoke(self, ctx: click.Context) -> object:  # noqa: D102
        try:
            return super().invoke(ctx)
        except TalentsimError as err:
            raise InputError(err.message, err.exit_code) from None


def _load(scenario: str | None, overrides: list[str]) -> LoadedScenario:
    """Load a scenario; print what loading changed (notes) to stderr."""
    loaded = load_scenario(scenario, overrides)
    for note in loaded.notes:
        click.echo(f"Note: {note}", err=True)
    return loaded


@contextlib.contextmanager
def _located(loaded: LoadedScenario):
    """Name the file and line of the scenario key a KeyedError is about."""
    try:
        yield
    except KeyedError as err:
        raise ScenarioError([(loaded.origin(err.key), err.key, err.detail)]) from None


def overrides_option(command: Callable) -> Callable:
    """The repeatable `--set KEY=VALUE` option."""
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a scenario key (repeatable).",
    )(command)


def backend_options(command: Callable) -> Callable:
    """`--workers`, `--scheduler` and `--dask-local`: where runs are executed."""
    options = [
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help="Local worker processes (default: all cores; 1 runs in this process).",
        ),
        click.option("--scheduler", metavar="ADDRESS", help="Run on an existing Dask cluster."),
        click.option(
            "--dask-local",
            type=click.IntRange(min=1),
            metavar="N",
            help="Start a local Dask cluster of N worker processes.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


retries_option = click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Times a failed run is tried again.",
)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="talentsim")
def main() -> None:
    """talentsim: an agent-based model of Chinese-born tech talent returning from the US.

    Run `talentsim run` for the baseline scenario, `talentsim COMMAND --help` for details.
    """
    exit_cleanly_on_termination()


@main.command()
@click.argument("scenario", required=False)
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the first replicate.")
@click.option("--replicates", type=click.IntRange(min=1), help="Number of replicates.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a scenario key, e.g. --set population.agents=20000 (repeatable).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/runs/<scenario>-<time>).",
)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def run(
    scenario: str | None,
    seed: int | None,
    replicates: int | None,
    overrides: tuple[str, ...],
    out: Path | None,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Run SCENARIO (a file or a built-in name; the baseline by default).

    Writes timeseries.parquet, annual.parquet, survey.parquet, the resolved scenario.yaml
    and manifest.json to the output folder, and prints a summary.
    """
    extra = list(overrides)
    if seed is not None:
        extra.append(f"seed={seed}")
    if replicates is not None:
        extra.append(f"replicates={replicates}")
    loaded = _load(scenario, extra)
    config = loaded.scenario
    out = out or default_run_folder(config.name)
    check_output_folder(out, overwrite)
    check_memory(config)

    console = Console(stderr=True, quiet=quiet)
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    total = config.replicates * steps_per_replicate(config)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{config.name} x {config.replicates}", total=total)
        result = run_scenario(config, on_step=lambda: progress.advance(task))
    manifest = build_manifest(loaded, result, started, time.perf_counter() - clock)
    folder = write_run(loaded, result, out, manifest, overwrite=overwrite)
    if not quiet:
        print_summary(result, output_console())
    click.echo(f"Results written to {folder}")


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a key before validating (repeatable).",
)
def validate(files: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario FILES; print each one's name and hash, or what is wrong."""
    failed = 0
    for file in files:
        try:
            loaded = load_scenario(file, list(overrides))
        except ScenarioError as err:
            failed += 1
            click.echo(f"Error: {err}", err=True)
            continue
        click.echo(f"ok  {file}  (scenario '{loaded.scenario.name}', hash {loaded.hash[:12]})")
    if failed:
        raise SystemExit(2)


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output.",
)
def schema(out: Path | None) -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    document = Scenario.model_json_schema(by_alias=True)
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://talentsim.org/schema/scenario.json",
        **document,
    }
    text = json.dumps(document, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    if not out.parent.is_dir():
        raise InputError(f"cannot write {out}: the folder {out.parent} does not exist")
    write_text(out, text)


@main.command()
def scenarios() -> None:
    """List the scenarios shipped with talentsim and the question each asks."""
    for name in builtin_names():
        comment = []
        for line in builtin_path(name).read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("#").strip())
        text = " ".join(comment)
        question = text[: text.index("?") + 1] if "?" in text else text
        click.echo(f"{name:28s} {question}")


@main.command()
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
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
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
    from talentsim import sweep as sweeps

    _check_backend(workers, scheduler, dask_local)
    loaded = _load(scenario, list(overrides))
    config = loaded.scenario
    if config.sweep is None:
        raise InputError(
            f"{scenario} has no `sweep:` block; add one (see README, 'Sweeps') or use "
            "`talentsim run`"
        )
    folder = out or Path("results/sweeps") / f"{config.name}-{loaded.hash[:12]}"
    with _located(loaded):
        plan = sweeps.plan_sweep(loaded, folder)
    if dry_run:
        _print_runs(plan)
        return
    executor = _executor(workers, scheduler, dask_local)
    report = _run_sweep(plan, executor, retries, force, quiet)
    if not quiet:
        print_sweep_summary(plan, report, output_console())
    click.echo(f"Results in {folder}")
    if report.failed:
        raise SystemExit(1)


def _check_backend(workers: int | None, scheduler: str | None, dask_local: int | None) -> None:
    """Reject contradictory backend options (exit 2)."""
    if scheduler and dask_local:
        raise InputError("give either --scheduler or --dask-local, not both")
    if workers is not None and (scheduler or dask_local):
        raise InputError("--workers is for local processes; with Dask, size the cluster")


def _run_sweep(plan, executor: Executor, retries: int, force: bool, quiet: bool):
    """Run a planned sweep with a progress bar; close the executor whatever happens."""
    from talentsim import sweep as sweeps

    console = Console(stderr=True, quiet=quiet)
    try:
        with _sweep_progress(console, plan) as advance:
            return sweeps.run_sweep(plan, executor, retries, force, on_result=advance)
    finally:
        executor.close()


def _executor(workers: int | None, scheduler: str | None, dask_local: int | None) -> Executor:
    """The executor the options ask for."""
    if scheduler:
        try:
            return DaskCluster(address=scheduler)
        except (OSError, TimeoutError) as err:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
    if dask_local:
        return DaskCluster(local_workers=dask_local)
    workers = workers or os.cpu_count() or 1
    return InProcess() if workers == 1 else LocalPool(workers)


def _print_runs(plan) -> None:
    """The runs a sweep would make (--dry-run)."""
    keys = [c for c in plan.design.columns if c != "point"]
    click.echo(
        f"{len(plan.runs)} runs: {len(plan.design)} points x "
        f"{plan.scenario.sweep.replicates} replicates -> {plan.folder}"
    )
    click.echo("\t".join(["point", "replicate", *keys, "seed spawn key"]))
    for run in plan.runs:
        values = [f"{v:g}" for _, v in run.values]
        click.echo(
            "\t".join(
                [str(run.point), str(run.replicate), *values, ",".join(map(str, run.spawn_key))]
            )
        )


@contextlib.contextmanager
def _sweep_progress(console: Console, plan):
    """A progress bar of runs done and failed, with the time left; yields its callback."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs, {task.fields[failed]} failed"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(plan.scenario.name, total=len(plan.runs), failed=0)
        failed = 0

        def advance(row: dict) -> None:
            nonlocal failed
            failed += row["status"] != "ok"
            progress.update(task, advance=1, failed=failed)

        yield advance


@main.command()
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
    type=click.IntRange(min=1),
    help="Base samples (Sobol: a power of 2, default 64) or trajectories (Morris, default 16).",
)
@click.option(
    "--replicates",
    type=click.IntRange(min=1),
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
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
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
    import pandas as pd

    from talentsim import sensitivity as sa
    from talentsim.sensitivity_report import print_summary as print_indices
    from talentsim.sensitivity_report import write_outputs

    _check_backend(workers, scheduler, dask_local)
    loaded = _load(scenario, list(overrides))
    try:
        with _located(loaded):
            plan = sa.plan_sensitivity(loaded, method, n, replicates, out)
            sa.check_stored_sample(plan)
    except sa.SensitivityError as err:
        raise InputError(f"{scenario}: {err}") from None
    executor = _executor(workers, scheduler, dask_local)
    report = _run_sweep(plan.sweep, executor, retries, force, quiet)
    if report.failed:
        print_sweep_summary(plan.sweep, report, output_console(stderr=True))
        click.echo(
            f"{len(report.failed)} of {report.total} runs failed: nothing analysed; run the "
            f"same command again to retry them (results in {plan.sweep.folder})",
            err=True,
        )
        raise SystemExit(1)
    result = sa.analyse(plan, pd.read_parquet(plan.sweep.folder / "runs.parquet"))
    write_outputs(result, plan.sweep.folder)
    if not quiet:
        print_indices(result, output_console())
    click.echo(
        f"Sensitivity analysis in {plan.sweep.folder} (sensitivity.md, sensitivity.png); "
        f"{report.ok} runs done now, {report.skipped} already stored"
    )


@main.command()
@click.argument("scenario")
@click.option(
    "--targets",
    metavar="FILE",
    help="Targets CSV (form of data/survey_targets.csv), or talentsim:NAME.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes (default: all cores).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Simulate on an existing Dask cluster.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/calibrations/<scenario>-<hash>).",
)
@click.option("--resume", is_flag=True, help="Continue the history in the output folder.")
@overrides_option
@click.option("--quiet", is_flag=True, help="No progress lines or summary.")
def calibrate(
    scenario: str,
    targets: str | None,
    workers: int | None,
    scheduler: str | None,
    out: Path | None,
    resume: bool,
    overrides: tuple[str, ...],
    quiet: bool,
) -> None:
    """Calibrate SCENARIO's free parameters (its `calibration:` block) with ABC-SMC.

    Writes pyabc's history, the posterior, a calibrated scenario, a posterior ensemble for
    `talentsim sweep`, figures and report.md to the output folder.
    """
    from talentsim.calibration_run import calibrate as run_calibration
    from talentsim.calibration_run import default_folder

    loaded = _load(scenario, list(overrides))
    console = Console(stderr=True, quiet=quiet)
    with _located(loaded):
        results, folder = run_calibration(
            loaded,
            targets,
            out or default_folder(loaded),
            workers or os.cpu_count() or 1,
            scheduler,
            resume,
            log=lambda line: console.print(f"[dim]abc[/dim] {line}"),
        )
    if not quiet:
        print_calibration_summary(results, output_console())
    click.echo(f"Results in {folder}")


@main.command()
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

    loaded = _load(scenario, [])
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


@main.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: RESULTS/report for one folder).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md"]),
    default="html",
    show_default=True,
    help="html: one self-contained page; md: Markdown linking the figure files.",
)
def report(results: tuple[Path, ...], out: Path | None, fmt: str) -> None:
    """Figures (PNG and SVG), tables (CSV) and a report of run, sweep or calibration RESULTS.

    Several run folders are set side by side in one report. Exits with 2 on a folder that is
    not a talentsim result; a sweep with failed runs gets a report that says what is missing.
    """
    from talentsim.report import make_report

    outputs = make_report(list(results), out, fmt)
    for output in outputs:
        for note in output.missing:
            click.echo(f"Warning: {note}", err=True)
        click.echo(f"Report written to {output.document} ({len(output.figures)} figures)")


@main.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/comparisons/<names>-<time>).",
)
@click.option("--quiet", is_flag=True, help="Do not print the table.")
def compare(folders: tuple[Path, ...], out: Path | None, quiet: bool) -> None:
    """Set run FOLDERS side by side against the first (the baseline).

    Differences in returns, people in the US and returnees' sector shares by year, with 95 %
    intervals over replicates (paired t with common random numbers, else Welch t), written
    as compare.csv, compare.md and a figure.
    """
    from talentsim.compare import make_comparison, print_comparison

    comparison, folder = make_comparison(list(folders), out)
    if not quiet:
        print_comparison(comparison, output_console())
    click.echo(f"Comparison written to {folder}")
