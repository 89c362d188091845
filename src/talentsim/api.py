"""The Python API: run scenarios and sweeps, calibrate, and read results, from a notebook.

Every function takes a scenario as a file, a built-in name (``"h1b_tightening"``), a
:class:`~talentsim.scenario.schema.Scenario` or a loaded scenario, with overrides as a mapping
of dotted keys (``{"population.agents": 2000}``) or ``KEY=VALUE`` strings. The command line
calls these functions. Bad input raises :class:`talentsim.errors.TalentsimError` with the
paragraph the command line prints (a missing extra names itself). Code that runs on local
workers must sit under ``if __name__ == "__main__":`` in a script, as multiprocessing requires.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from talentsim.errors import KeyedError, TalentsimError
from talentsim.extras import needs
from talentsim.scenario.loader import LoadedScenario, Overrides, from_scenario, load_scenario
from talentsim.scenario.messages import ScenarioError
from talentsim.scenario.schema import Scenario

ScenarioLike = str | Path | Scenario | LoadedScenario | None


def load(scenario: ScenarioLike = None, overrides: Overrides = None) -> LoadedScenario:
    """A scenario, loaded and validated (the baseline if None).

    Args:
        scenario: A file, a built-in name, a Scenario, or a LoadedScenario (returned as it
            is when there are no overrides).
        overrides: A mapping of dotted keys to values, or ``KEY=VALUE`` strings.
    """
    if isinstance(scenario, LoadedScenario):
        return from_scenario(scenario.scenario, overrides) if overrides else scenario
    if isinstance(scenario, Scenario):
        return from_scenario(scenario, overrides)
    return load_scenario(scenario, overrides)


@contextlib.contextmanager
def located(loaded: LoadedScenario) -> Iterator[None]:
    """Name the file and line of the scenario key a KeyedError is about."""
    try:
        yield
    except KeyedError as err:
        if err.key.startswith("--"):  # a command-line option, not a key of the scenario
            raise TalentsimError(f"Option {err.key}: {err.detail}") from None
        raise ScenarioError([(loaded.origin(err.key), err.key, err.detail)]) from None


def check_run(
    scenario: ScenarioLike = None,
    overrides: Overrides = None,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
) -> LoadedScenario:
    """Load a scenario and check that its run can be written to `out` and fits in memory.

    Raises:
        TalentsimError: For bad input, an output folder in the way, or too little memory.
    """
    from talentsim.model.capacity import check_memory
    from talentsim.runs.run_folder import check_output_folder

    loaded = load(scenario, overrides)
    if out is not None:
        check_output_folder(Path(out), overwrite)
    check_memory(loaded.scenario)
    return loaded


def run(
    scenario: ScenarioLike = None,
    overrides: Overrides = None,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    on_step: Callable[[], None] | None = None,
) -> Any:
    """Run every replicate of a scenario; write its folder if `out` is given.

    Args:
        scenario: The scenario (see :func:`load`).
        overrides: Overrides of its keys.
        out: A folder to write (tables, resolved scenario, manifest), or None.
        overwrite: Replace `out` if it holds a run.
        on_step: Called after every step (for a progress bar).

    Returns:
        A :class:`talentsim.runs.runner.RunResult`: `timeseries`, `annual` and `survey`
        DataFrames, one row per replicate and step, year or survey figure; its `folder`.
    """
    from talentsim.runs.run_folder import build_manifest, write_run
    from talentsim.runs.runner import run_scenario

    loaded = check_run(scenario, overrides, out=out, overwrite=overwrite)
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    result = run_scenario(loaded.scenario, on_step=on_step)
    if out is not None:
        manifest = build_manifest(loaded, result, started, time.perf_counter() - clock)
        result.folder = write_run(loaded, result, Path(out), manifest, overwrite=overwrite)
    return result


@dataclass
class SweepOutcome:
    """A sweep that ran: its plan (points, runs, folder) and what it did."""

    plan: Any  # talentsim.runs.sweep.SweepPlan
    report: Any  # talentsim.runs.sweep.SweepReport

    @property
    def folder(self) -> Path:
        """Where the sweep is stored."""
        return self.plan.folder

    @property
    def runs(self) -> pd.DataFrame:
        """One row per run: point, replicate, swept values, status and outcomes."""
        return pd.read_parquet(self.folder / "runs.parquet")


def plan_sweep(
    scenario: ScenarioLike, overrides: Overrides = None, out: str | Path | None = None
) -> Any:
    """The points and runs of a scenario's `sweep:` block (nothing runs).

    Raises:
        TalentsimError: If the scenario has no sweep block or it cannot make valid points.
    """
    from talentsim.runs.outputs import default_output
    from talentsim.runs.sweep import plan_sweep as plan

    loaded = load(scenario, overrides)
    if loaded.scenario.sweep is None:
        raise TalentsimError(
            f"{loaded.files[0] if loaded.files else 'the scenario'} has no `sweep:` block; add "
            "one (see docs/tutorials/sweep.md) or use `talentsim run`"
        )
    with located(loaded):
        return plan(loaded, Path(out) if out else default_output("sweep", loaded))


def check_sweep(
    plan: Any,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
) -> None:
    """Check that a planned sweep's runs fit in memory with these workers, and its options.

    Raises:
        TalentsimError: For contradictory options or runs that would not fit.
    """
    from talentsim.model.capacity import check_memory
    from talentsim.runs.executors import check_backend, local_runs

    check_backend(workers, scheduler, dask_local)
    if plan.largest is not None:
        check_memory(plan.largest, local_runs(workers, scheduler, dask_local), "a sweep's run")


def sweep(
    scenario: ScenarioLike,
    overrides: Overrides = None,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    retries: int = 0,
    force: bool = False,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    plan: Any = None,
) -> SweepOutcome:
    """Run every point and replicate of a scenario's sweep that is not stored yet.

    Args:
        scenario: The scenario, with a `sweep:` block (ignored if `plan` is given).
        overrides: Overrides of its keys.
        out: The sweep's folder (default: ``results/sweeps/<scenario>-<hash>``).
        workers: Local worker processes (default: every core; 1: in this process).
        scheduler: A Dask scheduler's address, instead of local processes.
        dask_local: Start a local Dask cluster of this many workers instead.
        retries: Times a failed run is tried again.
        force: Run again the runs already stored.
        on_result: Called with each stored run's row.
        plan: A plan from :func:`plan_sweep`.
    """
    from talentsim.runs.executors import execute
    from talentsim.runs.sweep import run_sweep

    plan = plan or plan_sweep(scenario, overrides, out)
    run = lambda executor: run_sweep(plan, executor, retries, force, on_result=on_result)  # noqa: E731
    return SweepOutcome(plan, execute([plan], (workers, scheduler, dask_local), run))


@needs("calibrate", "talentsim calibrate")
def calibrate(
    scenario: ScenarioLike,
    overrides: Overrides = None,
    *,
    targets: str | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    log: Callable[[str], None] | None = None,
    reuse: str | Path | None = None,
) -> tuple[dict[str, Any], Path]:
    """Calibrate the free parameters of a scenario's `calibration:` block.

    With ABC-SMC (`calibration.method: abc`, the default) or neural posterior estimation
    (`npe`); `reuse` (NPE only) conditions the estimator trained in that folder on these
    targets instead of training one.

    Returns:
        The posterior summary and the fit (ABC: the generations; NPE: the coverage and the
        training), and the output folder.
    """
    import os

    from talentsim.calibration.run import calibrate as run_calibration
    from talentsim.runs.outputs import default_output

    loaded = load(scenario, overrides)
    folder = Path(out) if out else default_output("calibration", loaded)
    with located(loaded):
        workers = workers or os.cpu_count() or 1
        reused = Path(reuse) if reuse is not None else None
        return run_calibration(loaded, targets, folder, workers, scheduler, resume, log, reused)


@dataclass
class SensitivityOutcome:
    """A sensitivity analysis: its sweep's outcome, and its indices (None if runs failed)."""

    sweep: SweepOutcome
    result: Any  # talentsim.sensitivity.analysis.SensitivityResult, or None

    @property
    def folder(self) -> Path:
        """Where the sample's runs and the indices are stored."""
        return self.sweep.folder


@needs("sensitivity", "talentsim sensitivity")
def sensitivity(
    scenario: ScenarioLike,
    overrides: Overrides = None,
    *,
    method: str = "sobol",
    n: int | None = None,
    replicates: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    retries: int = 0,
    force: bool = False,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    on_plan: Callable[[Any], None] | None = None,
) -> SensitivityOutcome:
    """Sobol indices or Morris effects of the outcomes to the sweep or calibration parameters.

    The sample runs as a sweep (stored, resumable, on any backend); if every run succeeds,
    the indices, their check at N/2 and the replicate noise are written to the folder.
    `on_plan` receives the sample's sweep plan before any run (e.g. to size a progress bar).
    """
    from talentsim.sensitivity import analysis
    from talentsim.sensitivity import plan as planning
    from talentsim.sensitivity.report import write_outputs

    loaded = load(scenario, overrides)
    with located(loaded):
        plan = planning.plan_sensitivity(loaded, method, n, replicates, Path(out) if out else None)
        planning.check_stored_sample(plan)
    if on_plan is not None:
        on_plan(plan.sweep)
    backend = {"workers": workers, "scheduler": scheduler, "dask_local": dask_local}
    outcome = sweep(
        loaded, **backend, retries=retries, force=force, on_result=on_result, plan=plan.sweep
    )
    if outcome.report.failed:
        return SensitivityOutcome(outcome, None)
    result = analysis.analyse(plan, outcome.runs)
    write_outputs(result, outcome.folder)
    return SensitivityOutcome(outcome, result)


def load_result(folder: str | Path) -> Any:
    """A run, sweep or calibration folder, read (:class:`talentsim.reports.folders.Result`)."""
    from talentsim.reports.folders import load_result as read

    return read(Path(folder))


@needs("reports", "talentsim report")
def report(folders: list[str | Path], out: str | Path | None = None, fmt: str = "html") -> list:
    """Figures, tables and a report of result folders (see `talentsim report`)."""
    from talentsim.reports.report import make_report

    return make_report([Path(f) for f in folders], Path(out) if out else None, fmt)


def score(
    results: str | Path,
    targets: str | Path | None = None,
    out: str | Path | None = None,
    write: bool = True,
) -> Any:
    """A run or sweep folder scored against a targets file (see `talentsim score`).

    Args:
        results: A run folder, or a sweep folder (a posterior ensemble is one).
        targets: A targets file, or ``talentsim:NAME`` (the packaged evidence is
            ``talentsim:evidence``); the survey targets if None.
        out: Where to write score.csv and score.md (default:
            ``results/scores/<scenario>-<targets>-<UTC time>``).
        write: Write the folder (else only return the score).

    Returns:
        A :class:`talentsim.reports.score.Score`: `.table` holds one row per target.
    """
    from talentsim.evidence.targets import resolve_targets
    from talentsim.reports.score import score_folder, write_score

    scored = score_folder(Path(results), resolve_targets(targets, Path.cwd()))
    if write:
        write_score(scored, Path(out) if out else None)
    return scored


@needs("reports", "talentsim compare (its figures)")
def compare(folders: list[str | Path], out: str | Path | None = None) -> tuple[Any, Path]:
    """Runs set against the first, with intervals (see `talentsim compare`)."""
    from talentsim.reports.compare import make_comparison

    return make_comparison([Path(f) for f in folders], Path(out) if out else None)


@needs("reports", "talentsim effects (its figures)")
def effects(
    baseline: ScenarioLike,
    scenarios: list[ScenarioLike],
    overrides: Overrides = None,
    *,
    posterior: str | Path | None = None,
    draws: int | None = None,
    replicates: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    retries: int = 0,
    force: bool = False,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    on_plan: Callable[[Any], None] | None = None,
) -> Any:
    """Policy effects with their full uncertainty (see `talentsim effects`).

    Every scenario runs at `draws` posterior draws x `replicates` replicates, each policy
    run paired with the baseline run of the same draw and replicate; `overrides` apply to
    every scenario. `on_plan` receives the plan before any run.

    Returns:
        An :class:`talentsim.effects.run.EffectsOutcome`: `.table` holds the effects (None
        if a run failed), `.plan.folder` the study's folder.
    """
    from talentsim.effects.plan import plan_study
    from talentsim.effects.run import run_effects
    from talentsim.runs.executors import execute

    base, policies = load(baseline, overrides), [load(s, overrides) for s in scenarios]
    plan = plan_study(base, policies, posterior, draws, replicates, out)
    if on_plan is not None:
        on_plan(plan)
    return execute(
        plan.sweeps,
        (workers, scheduler, dask_local),
        lambda executor: run_effects(plan, executor, retries, force, on_result),
    )


@needs("discovery", "talentsim discover")
def discover(
    sweep: str | Path,
    where: str,
    *,
    method: str = "prim",
    by: str = "probability",
    density: float = 0.8,
    out: str | Path | None = None,
    allow_missing: bool = False,
) -> tuple[Any, Path]:
    """Scenario discovery on a sweep folder (see `talentsim discover`).

    Returns:
        The :class:`talentsim.discovery.analysis.Discovery` (its box: `.limits`, `.stats`;
        `.points`, `.scores`) and the folder written.
    """
    from talentsim.discovery.run import make_discovery

    folder = Path(out) if out else None
    return make_discovery(Path(sweep), where, method, by, density, folder, allow_missing)
