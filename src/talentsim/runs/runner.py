"""A run: every replicate of a scenario (one after another), and its annual table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from talentsim.model.state import RECORDED_FLOWS
from talentsim.runs.replicate import Replicate, simulate
from talentsim.scenario.schema import Scenario
from talentsim.taxonomy import CN_SECTORS, EDUCATION, SEGMENTS

#: Columns of the annual table that are stocks (value at the end of the year).
STOCK_COLUMNS: tuple[str, ...] = (
    "in_us",
    "returned",
    "agents_active",
    *(f"in_us_{s}" for s in SEGMENTS),
    *(f"returned_{s}" for s in SEGMENTS),
    *(f"in_us_{d}" for d in EDUCATION),
    *(f"returned_{d}" for d in EDUCATION),
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
    *RECORDED_FLOWS,
    *(f"returns_{s}" for s in SEGMENTS),
    *(f"returns_to_{s}" for s in CN_SECTORS),
    *(f"returns_{d}" for d in EDUCATION),
)


@dataclass
class RunResult:
    """All replicates of a run, as tables."""

    scenario: Scenario
    timeseries: pd.DataFrame
    annual: pd.DataFrame
    survey: pd.DataFrame
    cohorts: pd.DataFrame
    replicates: list[Replicate] = field(default_factory=list)
    folder: Path | None = None  # where it was written, if it was


def steps_per_replicate(scenario: Scenario) -> int:
    """Steps one replicate takes, burn-in included (for progress bars)."""
    t = scenario.time
    return (t.burn_in_years + t.end - t.start + 1) * t.steps_per_year


def run_scenario(scenario: Scenario, on_step: Callable[[], None] | None = None) -> RunResult:
    """Run every replicate of a scenario (sequentially) and assemble the tables."""
    results = [simulate(scenario, r, on_step=on_step) for r in range(scenario.replicates)]
    timeseries = pd.concat([r.timeseries for r in results], ignore_index=True)
    survey = pd.concat([r.survey for r in results], ignore_index=True)
    cohorts = pd.concat([r.cohorts for r in results], ignore_index=True)
    return RunResult(
        scenario=scenario,
        timeseries=timeseries,
        annual=annualise(timeseries),
        survey=survey,
        cohorts=cohorts,
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
