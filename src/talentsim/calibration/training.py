"""The simulations a neural posterior estimator learns from, run by the sweep engine.

Parameter values are drawn from the calibration's priors into a table design; the design
runs as a sweep of the calibration's simulation scenario (its size, period and survey
years), so every simulation is seeded by the sweep rule (the scenario's hash, its point),
stored as it finishes, skipped when the calibration is run again after a kill, and run on
local processes or a Dask cluster alike. The first `simulations` points train the
estimator; the `held_out` points after them are kept for the coverage checks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from talentsim.calibration.abc import (
    CalibrationSetup,
    TruncatedLogNormal,
    first_rank_probability,
    random_variable,
)
from talentsim.errors import TalentsimError
from talentsim.evidence.statistics import RunTables, run_statistics
from talentsim.model.stages.survey import SECTOR
from talentsim.runs.executors import Executor
from talentsim.runs.runner import annualise
from talentsim.runs.sweep import SweepPlan, SweepReport, plan_sweep, run_sweep
from talentsim.runs.sweep_store import COHORTS, SURVEY, TIMESERIES, run_name
from talentsim.scenario.calibration_block import Prior
from talentsim.scenario.loader import LoadedScenario
from talentsim.scenario.sweep_block import SweepConfig
from talentsim.storage.atomic import write_parquet


class TrainingError(TalentsimError):
    """A stored training simulation that cannot be read."""


#: The training sweep's folder inside a calibration folder.
SIMULATIONS = "simulations"
#: Each stored simulation's statistics (one row per point), cached beside the sweep.
STATISTICS = "statistics.parquet"
#: The prefix of the statistics' columns in a training run's row.
STATISTIC = "statistic:"


def prior_draws(priors: dict[str, Prior], n: int, seed: int) -> pd.DataFrame:
    """`n` independent draws from each prior (one column per dotted key)."""
    rng = np.random.default_rng(seed)
    columns = {}
    for key, prior in priors.items():
        rv = random_variable(prior)
        if isinstance(rv, TruncatedLogNormal):
            columns[key] = np.exp(rv._log.rvs(size=n, random_state=rng))
        else:
            columns[key] = rv.distribution.rvs(size=n, random_state=rng)
    return pd.DataFrame(columns)


def prior_log_density(priors: dict[str, Prior], values: np.ndarray) -> np.ndarray:
    """Joint log prior density of rows of values (columns in the priors' order)."""
    total = np.zeros(len(values))
    for j, prior in enumerate(priors.values()):
        rv = random_variable(prior)
        column = values[:, j]
        if isinstance(rv, TruncatedLogNormal):
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log(np.where(column > 0, column, np.nan))
                density = rv._log.logpdf(logs) - logs
            total += np.where(np.isfinite(density), density, -np.inf)
        else:
            total += rv.distribution.logpdf(column)
    return total


def prior_support(priors: dict[str, Prior]) -> tuple[list[float], list[float]]:
    """Lower and upper bounds of each prior (infinite where it has none; 0 for a lognormal)."""
    floor = {"lognormal": 0.0}
    lows = [
        floor.get(p.distribution, -math.inf) if p.low is None else p.low for p in priors.values()
    ]
    highs = [math.inf if p.high is None else p.high for p in priors.values()]
    return lows, highs


def stage_folder(folder: Path, stage: int) -> Path:
    """Where a round's simulations are stored: simulations/, then simulations_round2/...

    Stage 0 is the refinement's (simulations_refine/).
    """
    if stage == 0:
        return folder / f"{SIMULATIONS}_refine"
    return folder / (SIMULATIONS if stage == 1 else f"{SIMULATIONS}_round{stage}")


def training_fingerprint(
    setup: CalibrationSetup, keys: list[str], observed: list[float] | None = None
) -> str:
    """What the training runs depend on besides the scenario: priors, NPE settings, statistics.

    It goes into the training sweep's table name, hence into its scenario hash, so that a
    resume or a re-fit with other priors, settings or statistics (or their order) is refused
    as another sweep instead of reusing runs drawn for these. A later round's points are
    drawn around the observed statistics, so its fingerprint holds them too.
    """
    priors = {k: p.model_dump(mode="json") for k, p in setup.config.parameters.items()}
    settings = setup.config.npe.model_dump(mode="json", exclude={"samples", "refine"})
    content = {"priors": priors, "npe": settings, "statistics": keys}
    if observed is not None:
        content["observed"] = [round(float(v), 12) for v in observed]
    text = json.dumps(content, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def training_plan(
    loaded: LoadedScenario,
    setup: CalibrationSetup,
    folder: Path,
    stage: int,
    table: pd.DataFrame,
    keys: list[str],
    observed: list[float] | None = None,
    check_points: bool = True,
) -> SweepPlan:
    """The sweep of one round's simulations (the rows of `table`), in its stage folder.

    `observed`: the statistics a later round (stage 2 on, or the refinement's stage 0)
    was drawn around; `check_points`: see :func:`plan_sweep` (False: stored, only read).
    """
    fingerprint = training_fingerprint(setup, keys, observed if stage != 1 else None)
    block = SweepConfig(
        design="table",  # the name keys the seeds: another round or setting, other streams
        table=f"npe-round{stage}-n{len(table)}-{fingerprint}.csv",
        replicates=1,
    )
    base = setup.simulator.base.model_copy(update={"sweep": block, "calibration": None})
    design = dataclasses.replace(loaded, scenario=base)
    plan = plan_sweep(design, stage_folder(folder, stage), table, check_points=check_points)
    targets = setup.targets.set_index("key").loc[keys].reset_index()
    plan.outcomes = RunStatistics(targets, setup.config.npe.rank_statistic)
    return plan


def stored_design(folder: Path, stage: int) -> pd.DataFrame | None:
    """A round's stored points (design.parquet without `point`), if it was planned before."""
    path = stage_folder(folder, stage) / "design.parquet"
    if not path.is_file():
        return None
    return pq.read_table(path).to_pandas().drop(columns=["point"])


def run_training(
    plan: SweepPlan, executor: Executor, on_result: Callable[[dict[str, Any]], None] | None
) -> SweepReport:
    """Run the training sweep (what is stored already is skipped)."""
    return run_sweep(plan, executor, retries=1, on_result=on_result)


@dataclasses.dataclass
class RunStatistics:
    """The statistics of the target rows, computed from a run's tables where it ran.

    A training sweep's outcomes (SweepPlan.outcomes): stored in each run's row as
    `statistic:KEY` columns, so that reading them back is one table, not three per run.
    """

    targets: pd.DataFrame
    rank_statistic: str

    def __call__(
        self, timeseries: pd.DataFrame, survey: pd.DataFrame, cohorts: pd.DataFrame | None
    ) -> dict[str, float]:
        """`statistic:KEY` for each target row."""
        row = target_statistics(timeseries, survey, cohorts, self.targets, self.rank_statistic)
        return {STATISTIC + key: value for key, value in row.items()}


def target_statistics(
    timeseries: pd.DataFrame,
    survey: pd.DataFrame,
    cohorts: pd.DataFrame | None,
    targets: pd.DataFrame,
    rank_statistic: str,
) -> dict[str, float]:
    """One run's statistic of each target row (by key), from its tables.

    A ranking target's statistic is the sample's ranking, or with `rank_statistic`
    'probability' the chance that a survey of that size ranks the category first.
    """
    annual = annualise(timeseries.drop(columns=["point"], errors="ignore")).set_index("year")
    row = run_statistics(RunTables(annual, survey, cohorts), targets)
    if rank_statistic == "probability":
        for target in targets[targets["kind"] == "rank"].itertuples():
            rows = survey[(survey["year"] == target.year) & (survey["measure"] == SECTOR)]
            row[target.key] = first_rank_probability(rows, str(target.category))
    return row


def statistics_table(
    plan: SweepPlan, targets: pd.DataFrame, rank_statistic: str = "sample", cache: bool = True
) -> pd.DataFrame:
    """Each stored simulation's statistics of the target rows: point, then one column per key.

    Read from the runs' rows (`statistic:KEY`, computed where each run ran); for a sweep
    stored without them, from the runs' tables (cached in folder/statistics[_probability]
    .parquet, recomputed when the runs or the targets change, or when the cache is
    unreadable; with `cache` False read but not written: a folder being reused). A failed
    run has no row.

    Raises:
        TrainingError: If a stored run's tables cannot be read.
    """
    folder = plan.folder
    keys = list(targets["key"])
    stored = _stored(folder, sorted({spec.point for spec in plan.runs}))
    from_rows = _from_rows(folder, keys, stored)
    if from_rows is not None:
        return from_rows
    path = folder / (
        STATISTICS if rank_statistic == "sample" else f"statistics_{rank_statistic}.parquet"
    )
    cached = _read_cache(path)
    fresh = cached is not None and list(cached.columns[1:]) == keys
    if fresh and cached["point"].tolist() == stored:
        return cached
    rows = [_run_row(folder, point, targets, rank_statistic) for point in stored]
    frame = pd.DataFrame(rows, columns=["point", *keys])
    if cache:
        write_parquet(path, frame)
    return frame


def _read_cache(path: Path) -> pd.DataFrame | None:
    """The cached statistics, or None if there are none or they are unreadable."""
    if not path.is_file():
        return None
    try:
        return pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException, ValueError):
        return None


def _from_rows(folder: Path, keys: list[str], stored: list[int]) -> pd.DataFrame | None:
    """The statistics stored in the runs' rows, if every stored run has them all."""
    columns = [STATISTIC + key for key in keys]
    path = folder / "runs.parquet"
    try:
        runs = pq.read_table(path, columns=["point", "status", *columns]).to_pandas()
    except (OSError, pa.ArrowException, ValueError, KeyError):
        return None
    runs = runs[runs["status"] == "ok"].sort_values("point")
    if runs["point"].tolist() != stored or runs[columns].isna().all(axis=0).any():
        return None
    frame = runs[["point", *columns]].reset_index(drop=True)
    return frame.rename(columns=dict(zip(columns, keys, strict=True)))


def _stored(folder: Path, points: list[int]) -> list[int]:
    """Points whose run finished and whose tables are on disk."""
    return [p for p in points if (folder / SURVEY / run_name(p, 0)).is_file()]


def _run_row(
    folder: Path, point: int, targets: pd.DataFrame, rank_statistic: str
) -> dict[str, float]:
    name = run_name(point, 0)
    survey, timeseries = _table(folder / SURVEY / name), _table(folder / TIMESERIES / name)
    cohort_file = folder / COHORTS / name
    cohorts = _table(cohort_file) if cohort_file.is_file() else None
    return {
        "point": point,
        **target_statistics(timeseries, survey, cohorts, targets, rank_statistic),
    }


def _table(path: Path) -> pd.DataFrame:
    """A stored run's table (its content is never shown in the error)."""
    try:
        return pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException, ValueError):
        raise TrainingError(
            f"{path} is not a readable Parquet table of a training simulation; delete it "
            "(and its run's other tables) to run that simulation again",
        ) from None
