"""The simulated value of each target, from one run's tables.

A run's tables are its annual table, its virtual survey and its cohort table (one replicate,
or one point and replicate of a sweep). :func:`run_statistics` gives one number per target
row, keyed like the row (:func:`talentsim.evidence.targets.target_key`); NaN where the run
holds no answer (a year outside the run, a survey with no respondents).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from talentsim.evidence.targets import RETENTION, annual_terms
from talentsim.model.stages.survey import SECTOR


@dataclass
class RunTables:
    """The tables of one run: annual (indexed by year), survey rows, cohort rows (or None)."""

    annual: pd.DataFrame
    survey: pd.DataFrame
    cohorts: pd.DataFrame | None


def run_statistics(tables: RunTables, targets: pd.DataFrame) -> dict[str, float]:
    """The simulated statistic of every target row (see the module docstring)."""
    rules = {
        "share": _share,
        "rank": _rank,
        "flow": _level,
        "stock": _level,
        "growth": _growth,
        "ratio": _ratio,
        RETENTION: _retention,
    }
    return {row.key: rules[row.kind](tables, row) for row in targets.itertuples()}


def _annual_value(annual: pd.DataFrame, year: int, expression: str) -> float:
    if year not in annual.index:
        return float("nan")
    return float(sum(annual.at[year, term] for term in annual_terms(expression)))


def _share(tables: RunTables, row: object) -> float:
    survey = tables.survey
    hit = survey[
        (survey["year"] == row.year)
        & (survey["measure"] == row.measure)
        & (survey["category"] == row.category)
    ]
    return float(hit["share"].iloc[0]) if len(hit) else float("nan")


def _rank(tables: RunTables, row: object) -> float:
    """1 if the category ranks first (or the categories come in the order given), else 0."""
    survey = tables.survey
    rows = survey[(survey["year"] == row.year) & (survey["measure"] == SECTOR)]
    shares = dict(zip(rows["category"], rows["share"], strict=True))
    names = str(row.category).split(">")
    if not rows.size or any(not np.isfinite(shares.get(n, np.nan)) for n in names):
        return float("nan")
    if len(names) == 1:  # the survey's own rank (the residual answer is never ranked)
        return float(rows.loc[rows["category"] == names[0], "rank"].iloc[0] == 1)
    ordered = [shares[n] for n in names]
    return float(all(a >= b for a, b in itertools.pairwise(ordered)))


def _level(tables: RunTables, row: object) -> float:
    return _annual_value(tables.annual, row.year, row.measure)


def _growth(tables: RunTables, row: object) -> float:
    """Mean annual (compound) growth rate from `year` to `end_year`."""
    first = _annual_value(tables.annual, row.year, row.measure)
    last = _annual_value(tables.annual, int(row.end_year), row.measure)
    if not (first > 0 and last > 0):
        return float("nan")
    return float((last / first) ** (1.0 / (int(row.end_year) - row.year)) - 1.0)


def _ratio(tables: RunTables, row: object) -> float:
    numerator, denominator = str(row.measure).split("/")
    top = _annual_value(tables.annual, row.year, numerator)
    bottom = _annual_value(tables.annual, row.year, denominator)
    return top / bottom if bottom > 0 else float("nan")


def _retention(tables: RunTables, row: object) -> float:
    """Share of the cohort entering in `year` still in the US `after_years` years later."""
    cohorts = tables.cohorts
    if cohorts is None:
        return float("nan")
    hit = cohorts[
        (cohorts["cohort"] == row.year)
        & (cohorts["years_after"] == int(row.after_years))
        & (cohorts["group"] == row.category)
    ]
    if not len(hit) or hit["entered"].iloc[0] <= 0:
        return float("nan")
    return float(hit["in_us"].iloc[0] / hit["entered"].iloc[0])
