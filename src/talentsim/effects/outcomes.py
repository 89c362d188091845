"""The outcomes an effects study compares, computed where each run ran.

Each run's row (in its sweep's runs/ table) gets one column per outcome and year, named
``<outcome>@<year>``, so that the effects are computed from the rows alone: a study reads
no time series back, and its memory does not grow with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from talentsim.model.stages.survey import SECTOR
from talentsim.runs.runner import annualise
from talentsim.taxonomy import CN_SECTORS, SEGMENTS


@dataclass(frozen=True)
class Outcome:
    """An outcome of the study: its column stem, label and unit."""

    name: str
    label: str
    unit: str


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("returns", "Returns to China in the year", "people per year"),
    Outcome("returns_cumulated", "Returns to China since the start", "people"),
    Outcome("in_us", "Chinese-born talent in the US, end of year", "people"),
    Outcome("returned", "Returnees living in China, end of year", "people"),
    Outcome("survey_technology", "Technology's share of surveyed returnees", "percentage points"),
    *(Outcome(f"returns_{s}", f"Returns from {s}", "people per year") for s in SEGMENTS),
    *(Outcome(f"returns_to_{k}", f"Returns into {k}", "people per year") for k in CN_SECTORS),
)
#: The outcomes shown in the fan charts and the printed table.
HEADLINE = ("returns", "returns_cumulated", "in_us", "survey_technology")
_ANNUAL = [o.name for o in OUTCOMES if o.name not in ("returns_cumulated", "survey_technology")]


def column(outcome: str, year: int) -> str:
    """The row's column of an outcome in a year."""
    return f"{outcome}@{year}"


def split_column(name: str) -> tuple[str, int] | None:
    """(outcome, year) of an outcome column, None for the row's other columns."""
    outcome, sep, year = name.rpartition("@")
    return (outcome, int(year)) if sep and year.isdigit() else None


def effect_outcomes(
    timeseries: pd.DataFrame, survey: pd.DataFrame, cohorts: pd.DataFrame
) -> dict[str, float]:
    """The study's outcomes of one run, by year (SweepPlan.outcomes)."""
    annual = annualise(timeseries.drop(columns=["point"])).set_index("year")
    values: dict[str, float] = {}
    for name in _ANNUAL:
        for year, value in annual[name].items():
            values[column(name, int(year))] = float(value)
    for year, value in annual["returns"].cumsum().items():
        values[column("returns_cumulated", int(year))] = float(value)
    rows = survey[(survey["measure"] == SECTOR) & (survey["category"] == "technology")]
    for r in rows.itertuples(index=False):  # in percentage points, as researchers quote it
        values[column("survey_technology", int(r.year))] = 100.0 * float(r.share)
    return values
