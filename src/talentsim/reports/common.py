"""What the parts of a report share: its output record, number formats, CSV tables."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.render import figures as figs
from talentsim.storage.atomic import write_text

MAX_LINES = 6  # sweeps with more points draw only their corner points over time
#: A sweep's run column of technology's share of returnees in a survey year.
SURVEY_TECHNOLOGY = re.compile(r"survey_(\d{4})_technology")


def headline_survey(columns: Iterable[str]) -> tuple[str, int] | None:
    """The survey outcome a sweep is summarised by, and its year (None if there is none).

    Technology's share of returnees in the last survey year among the run columns:
    `talentsim sweep`'s summary and the sweep's report both use it, so they show one year.
    """
    found = {
        int(m.group(1)): column
        for column in columns
        if (m := SURVEY_TECHNOLOGY.fullmatch(str(column)))
    }
    if not found:
        return None
    year = max(found)
    return found[year], year


@dataclass
class ReportOutput:
    """What `make_report` wrote."""

    folder: Path
    document: Path
    figures: list[figs.Figure] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def quantiles(values: pd.Series) -> tuple[float, float, float]:
    """Median, 5th and 95th percentile (NaN-aware)."""
    array = values.to_numpy(dtype=float)
    if np.isnan(array).all():
        return (np.nan, np.nan, np.nan)
    median, low, high = (float(np.nanpercentile(array, q)) for q in (50, 5, 95))
    return (median, low, high)


def fmt_people(m: float, lo: float, hi: float) -> str:
    """'12,300 (11,900-12,800)'."""
    return f"{m:,.0f} ({lo:,.0f}-{hi:,.0f})"


def fmt_share(m: float, lo: float, hi: float) -> str:
    """'15.2% (13.1%-17.0%)'."""
    if np.isnan(m):
        return "no respondents"
    return f"{m:.1%} ({lo:.1%}-{hi:.1%})"


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV (atomically); return its path."""
    write_text(path, table.to_csv(index=False))
    return path


def quantile_record(block: pd.DataFrame, column: str, unit: str, **ids: Any) -> dict[str, Any]:
    """One row of a headline table: the outcome's median and 90 % interval over replicates."""
    m, lo, hi = quantiles(block[column])
    return {
        **ids,
        "outcome": column,
        "unit": unit,
        "median": m,
        "q05": lo,
        "q95": hi,
        "replicates": len(block),
    }


def interval(record: dict[str, Any]) -> tuple[float, float, float]:
    """(median, 5th, 95th percentile) of a quantile record."""
    return record["median"], record["q05"], record["q95"]


def fmt_param(value: float) -> str:
    """A parameter's value with four significant digits."""
    return f"{value:.4g}"


def fit_cells(row: Any) -> tuple[str, str, str]:
    """A posterior-predictive fit row as text: observed, simulated, error.

    Shares in percent with their 95 % band and the error in standard errors; rankings as
    the share of draws ranking so; other kinds (growth rates, ratios, flows) as numbers,
    the error in the target's tolerance.
    """
    if row.kind == "share":
        simulated = fmt_share(row.simulated_median, row.simulated_q05, row.simulated_q95)
        return f"{row.target:.1%} ± {1.96 * row.se:.1%}", simulated, f"{row.error_in_se:+.1f} SE"
    if row.kind == "rank":
        return "ranked so", f"so in {row.share_of_runs_ranked_first:.0%} of draws", ""
    simulated = f"{row.simulated_median:.3g} ({row.simulated_q05:.3g}-{row.simulated_q95:.3g})"
    return f"{row.target:.3g} ± {row.se:.3g}", simulated, f"{row.error_in_se:+.1f} tol."
