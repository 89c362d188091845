"""Running a scenario's replicates and collecting their results as tables."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from talentsim.model import TalentModel
from talentsim.observe import timeseries_columns
from talentsim.scenario import Scenario
from talentsim.survey import SURVEY_COLUMNS
from talentsim.taxonomy import CN_SECTORS, SEGMENTS

#: Columns of the annual table that are stocks (value at the end of the year).
STOCK_COLUMNS: tuple[str, ...] = (
    "in_us",
    "returned",
    "agents_active",
    *(f"in_us_{s}" for s in SEGMENTS),
    *(f"returned_{s}" for s in SEGMENTS),
)
#: Columns that are averaged over the year's steps.
MEAN_COLUMNS: tuple[str, ...] = (
    "mgmt_promotion_rate_us",
    "mgmt_promotion_rate_reference",
    "mean_salary_us_usd",
    "mean_salary_china_usd",
    "mean_salary_china_ppp",
)
#: Flows (summed over the year).
FLOW_COLUMNS: tuple[str, ...] = (
    "returns",
    "entrants",
    "exits",
    "exits_china",
    "remigrants",
    "forced_returns",
    "returns_experienced",
    "status_lost",
    *(f"returns_{s}" for s in SEGMENTS),
    *(f"returns_to_{s}" for s in CN_SECTORS),
)


@dataclass
class ReplicateResult:
    """What one replicate produced."""

    replicate: int
    seed: int
    timeseries: pd.DataFrame
    survey: pd.DataFrame
    initial_in_us: float
    stage_seconds: dict[str, float]
    wall_seconds: float


@dataclass
class RunResult:
    """All replicates of a run, as tables."""

    scenario: Scenario
    timeseries: pd.DataFrame
    annual: pd.DataFrame
    survey: pd.DataFrame
    replicates: list[ReplicateResult] = field(default_factory=list)


def run_replicate(
    scenario: Scenario,
    replicate: int,
    on_step: Callable[[], None] | None = None,
) -> ReplicateResult:
    """Run one replicate to the end.

    Args:
        scenario: Resolved scenario.
        replicate: Replicate number; with `scenario.seed` it keys the random streams.
        on_step: Called after every step (burn-in included), e.g. to advance a progress bar.

    Returns:
        Its time series (one row per recorded step) and virtual survey rows.
    """
    start = time.perf_counter()
    model = TalentModel(scenario, replicate=replicate)
    while model.running:
        model.step()
        if on_step is not None:
            on_step()
    timeseries = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    timeseries.insert(0, "replicate", replicate)
    timeseries["year"] = timeseries["year"].astype(np.int64)
    survey = pd.DataFrame(model.survey_rows, columns=list(SURVEY_COLUMNS))
    survey.insert(0, "replicate", replicate)
    return ReplicateResult(
        replicate=replicate,
        seed=model.seed,
        timeseries=timeseries[["replicate", *timeseries_columns()]],
        survey=survey,
        initial_in_us=model.initial_in_us,
        stage_seconds=dict(model.stage_times),
        wall_seconds=time.perf_counter() - start,
    )


def steps_per_replicate(scenario: Scenario) -> int:
    """Steps one replicate takes, burn-in included (for progress bars)."""
    t = scenario.time
    return (t.burn_in_years + t.end - t.start + 1) * t.steps_per_year


def run_scenario(scenario: Scenario, on_step: Callable[[], None] | None = None) -> RunResult:
    """Run every replicate of a scenario (sequentially) and assemble the tables."""
    results = [run_replicate(scenario, r, on_step) for r in range(scenario.replicates)]
    timeseries = pd.concat([r.timeseries for r in results], ignore_index=True)
    survey = pd.concat([r.survey for r in results], ignore_index=True)
    return RunResult(
        scenario=scenario,
        timeseries=timeseries,
        annual=annualise(timeseries),
        survey=survey,
        replicates=results,
    )


def annualise(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Calendar-year table: stocks at the year's end, flows summed, rates averaged."""
    grouped = timeseries.groupby(["replicate", "year"], sort=True)
    parts = [
        grouped[list(STOCK_COLUMNS)].last(),
        grouped[list(FLOW_COLUMNS)].sum(),
        grouped[list(MEAN_COLUMNS)].mean(),
    ]
    annual = pd.concat(parts, axis=1).reset_index()
    in_us_mean = grouped["in_us"].mean().to_numpy()
    annual["return_rate"] = annual["returns"].to_numpy() / in_us_mean  # per person-year in US
    return annual
