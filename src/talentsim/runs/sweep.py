"""Sweeps: run every point and replicate of a scenario's `sweep:` block, resumably.

Each run is identified by (point, replicate) and seeded from the scenario's hash, its point
and its replicate, so its result does not depend on the number of workers, the order in
which runs finish, or the backend. Results are stored run by run (:mod:`sweep_store`);
running the same sweep again skips what is stored.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.model.capacity import check_memory, estimated_bytes
from talentsim.model.stages.survey import SECTOR
from talentsim.runs.designs import check_run_count, design_points, point_scenario
from talentsim.runs.executors import Executor
from talentsim.runs.provenance import manifest
from talentsim.runs.replicate import simulate
from talentsim.runs.runner import annualise
from talentsim.runs.sweep_store import SweepStore
from talentsim.scenario.loader import LoadedScenario, resolved_yaml, scenario_hash
from talentsim.scenario.schema import Scenario
from talentsim.storage.folders import check_output, folder_lock
from talentsim.taxonomy import CN_SECTORS


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep."""

    point: int
    replicate: int
    values: tuple[tuple[str, float], ...]  # the point's (key, value) pairs
    entropy: int
    spawn_key: tuple[int, ...]

    @property
    def label(self) -> str:
        """Short name: p<point>-r<replicate>."""
        return f"p{self.point}-r{self.replicate}"


@dataclass
class SweepPlan:
    """Everything a sweep will run."""

    loaded: LoadedScenario
    design: pd.DataFrame
    runs: list[RunSpec]
    folder: Path
    base_dir: Path | None = None
    largest: Scenario | None = None  # the point whose run needs the most memory
    #: The entropy of every run's seed sequence, if not the scenario's hash (effects studies
    #: seed every scenario's runs from the baseline's seed, to pair them).
    entropy: int | None = None
    #: More outcomes of a run, computed where it ran from its (time series, survey, cohort)
    #: tables and stored in its row; picklable, to reach Dask workers.
    outcomes: Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame], dict[str, float]] | None = None

    @property
    def scenario(self) -> Scenario:
        """The resolved base scenario (with its sweep block)."""
        return self.loaded.scenario


@dataclass
class SweepReport:
    """What a sweep did."""

    total: int
    skipped: int
    ok: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0
    model_seconds: float = 0.0


def run_entropy(scenario: Scenario) -> int:
    """Entropy of a sweep's seed sequences: the first 128 bits of the scenario's hash."""
    return int(scenario_hash(scenario)[:32], 16)


def plan_sweep(
    loaded: LoadedScenario,
    folder: Path,
    table: pd.DataFrame | None = None,
    entropy: int | None = None,
    check_points: bool = True,
) -> SweepPlan:
    """Points, runs and seeds of a scenario's sweep.

    Args:
        loaded: The scenario, with its `sweep:` block.
        folder: Where the sweep is stored.
        table: For a table design, the points made in memory instead of read from the
            block's CSV file (see :func:`design_points`).
        entropy: The entropy of the runs' seed sequences (default: from the scenario's
            hash, :func:`run_entropy`).
        check_points: Validate every point's scenario and find the largest run (False for
            stored points that are only read, never run: a calibration's re-fit).

    Raises:
        DesignError: If the sweep block cannot make valid points.
    """
    scenario = loaded.scenario
    sweep = scenario.sweep
    base_dir = Path(loaded.files[0]).parent if loaded.files else None
    design = design_points(sweep, base_dir, table)
    check_run_count(len(design), sweep.replicates)
    keys = [c for c in design.columns if c != "point"]
    check_output(folder, "sweep", "reuse")
    seeded_by = run_entropy(scenario) if entropy is None else entropy
    runs = []
    largest, need = None, -1
    for record in design.to_dict("records"):
        point = int(record["point"])
        values = tuple((k, float(record[k])) for k in keys)
        if check_points:
            variant = point_scenario(scenario, dict(values))  # validate every point first
            if estimated_bytes(variant) > need:
                largest, need = variant, estimated_bytes(variant)
        for replicate in range(sweep.replicates):
            key = (replicate,) if sweep.common_random_numbers else (point, replicate)
            runs.append(RunSpec(point, replicate, values, seeded_by, key))
    return SweepPlan(loaded, design, runs, folder, base_dir, largest, entropy)


def simulate_point(
    base: Scenario, spec: RunSpec
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The time series, survey and cohort tables of one run of a sweep.

    Each has `point` and `replicate` columns first.
    """
    scenario = point_scenario(base, dict(spec.values))
    sequence = np.random.SeedSequence(spec.entropy, spawn_key=spec.spawn_key)
    result = simulate(scenario, spec.replicate, seed_sequence=sequence)
    tables = result.timeseries, result.survey, result.cohorts
    for table in tables:
        table.insert(0, "point", spec.point)
    return tables


def run_one(base: Scenario, spec: RunSpec, outcomes: Callable | None = None) -> dict[str, Any]:
    """Run one point and replicate; never raises (a failure is returned as a result).

    `outcomes` adds to the row what it computes from the run's tables (SweepPlan.outcomes).
    """
    start = time.perf_counter()
    try:
        ts, survey, cohorts = simulate_point(base, spec)
        row = outcome_row(spec, ts, survey)
        if outcomes is not None:
            row.update(outcomes(ts, survey, cohorts))
        row["model_seconds"] = time.perf_counter() - start
        return {"row": row, "timeseries": ts, "survey": survey, "cohorts": cohorts}
    except Exception:
        row = _identity(spec)
        row.update(
            status="failed",
            error=traceback.format_exc(limit=20),
            model_seconds=time.perf_counter() - start,
        )
        return {"row": row, "timeseries": None, "survey": None, "cohorts": None}


def run_task(
    shared: tuple[Scenario, str | None, Callable | None], task: tuple[RunSpec, int, bool]
) -> dict[str, Any]:
    """Run one task of a sweep; store it here when a folder is given.

    Returns the run's row when it was stored here (the folder is on this machine), or the
    row with its tables for the caller to store.
    """
    base, folder, outcomes = shared
    spec, attempt, last = task
    result = run_one(base, spec, outcomes)
    result["row"]["attempts"] = attempt + 1
    if folder is None:
        return result
    row = result["row"]
    if row["status"] == "ok" or last:  # a failure is stored only once no retry is left
        SweepStore(Path(folder)).write_run(row, result)
    return row


def _identity(spec: RunSpec) -> dict[str, Any]:
    row: dict[str, Any] = {
        "point": spec.point,
        "replicate": spec.replicate,
        "seed_entropy": str(spec.entropy),
        "seed_spawn_key": ",".join(map(str, spec.spawn_key)),
    }
    row.update(dict(spec.values))
    return row


def outcome_row(spec: RunSpec, ts: pd.DataFrame, survey: pd.DataFrame) -> dict[str, Any]:
    """The key outcomes of a run: returns per year, stocks at the end, survey sector shares."""
    row = _identity(spec)
    row.update(status="ok", error="")
    annual = annualise(ts.drop(columns=["point"])).set_index("year")
    for year, value in annual["returns"].items():
        row[f"returns_{year}"] = float(value)
    row["returns_total"] = float(annual["returns"].sum())
    row["in_us_end"] = float(annual["in_us"].iloc[-1])
    row["returned_end"] = float(annual["returned"].iloc[-1])
    sectors = survey[survey["measure"] == SECTOR]
    for r in sectors.itertuples(index=False):
        row[f"survey_{r.year}_{r.category}"] = float(r.share)
    for category in CN_SECTORS:  # the same columns even if the survey had no respondents
        for year in sorted(set(sectors["year"])):
            row.setdefault(f"survey_{year}_{category}", float("nan"))
    return row


def sweep_manifest(plan: SweepPlan, executor: Executor) -> dict[str, Any]:
    """What the sweep is: scenario, hash, design, seeds rule, versions, commit."""
    scenario = plan.scenario
    sweep = scenario.sweep
    return manifest(
        "sweep",
        plan.loaded,
        design=sweep.model_dump(mode="json"),
        points=len(plan.design),
        replicates=sweep.replicates,
        runs=len(plan.runs),
        seeds={
            "entropy": str(run_entropy(scenario) if plan.entropy is None else plan.entropy),
            "spawn_key": "(replicate,)" if sweep.common_random_numbers else "(point, replicate)",
        },
        backend=executor.description,
    )


def run_sweep(
    plan: SweepPlan,
    executor: Executor,
    retries: int = 0,
    force: bool = False,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> SweepReport:
    """Run every run of the plan that is not stored yet; store results as they come.

    Args:
        plan: From :func:`plan_sweep`.
        executor: Where runs execute.
        retries: How many more times a failed run is tried.
        force: Run everything again, stored or not.
        on_result: Called with each stored row (for progress bars).

    Returns:
        Counts of runs done, skipped and failed, and timings.
    """
    if plan.largest is not None:
        check_memory(plan.largest, executor.local_runs, "a sweep's largest run")
    check_output(plan.folder, "sweep", "reuse")
    with folder_lock(plan.folder, "sweep"):
        return _run_locked(plan, executor, retries, force, on_result)


def _run_locked(
    plan: SweepPlan,
    executor: Executor,
    retries: int,
    force: bool,
    on_result: Callable[[dict[str, Any]], None] | None,
) -> SweepReport:
    store = SweepStore(plan.folder)
    store.open(sweep_manifest(plan, executor), resolved_yaml(plan.scenario), plan.design)
    done = set() if force else store.finished()
    pending = [r for r in plan.runs if (r.point, r.replicate) not in done]
    report = SweepReport(total=len(plan.runs), skipped=len(plan.runs) - len(pending))
    start = time.perf_counter()
    base = plan.scenario.model_copy(update={"sweep": None})
    # Workers on this machine store their own runs; remote workers send them back.
    local = executor.shares_files
    shared = (base, str(plan.folder) if local else None, plan.outcomes)
    for attempt in range(retries + 1):
        failed = []
        tasks = [(spec, attempt, attempt == retries) for spec in pending]
        for (spec, _, last), row in executor.run(run_task, shared, tasks):
            if isinstance(row, BaseException):  # lost with its worker (Dask)
                error, row = row, _identity(spec)
                row.update(
                    status="failed",
                    error=repr(error),
                    attempts=attempt + 1,
                    model_seconds=float("nan"),
                )
                if last:
                    store.write_run(row)
            elif isinstance(row, dict) and "row" in row:  # returned to be stored here
                result, row = row, row["row"]
                if row["status"] == "ok" or last:
                    store.write_run(row, result)
            final = row["status"] == "ok" or last
            if row["status"] == "ok":
                report.ok += 1
                report.model_seconds += row["model_seconds"]
            else:
                failed.append(spec)
                if final:
                    report.failed.append(row)
            if final and on_result is not None:
                on_result(row)
        pending = failed
        if not pending:
            break
    report.wall_seconds = time.perf_counter() - start
    store.consolidate()
    return report
