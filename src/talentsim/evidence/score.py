"""Scoring an ensemble of runs against a targets file.

Every target's statistic is computed for every run (:mod:`.statistics`); the score of a
target is the median over runs with its 5-95 % interval, set against the observed value:

- a share, ratio or retention with a sample size: the error in binomial standard errors of
  the observed figure, within if the median lies within 2 of them;
- a flow or a stock: the relative error of the median, within if inside the tolerance;
- a growth rate, or a ratio or retention given with a tolerance: the difference, within if
  inside the tolerance;
- a ranking: how often the runs rank as observed, within if in at least half of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from talentsim.evidence.statistics import RunTables, run_statistics

#: Columns of a score table, in order.
SCORE_COLUMNS = (
    "id",
    "split",
    "kind",
    "target",
    "observed",
    "yardstick",
    "median",
    "q05",
    "q95",
    "runs",
    "error",
    "error_unit",
    "within",
    "allowed",
)
RUN_KEYS = ("point", "replicate")


def split_runs(
    annual: pd.DataFrame, survey: pd.DataFrame, cohorts: pd.DataFrame | None
) -> list[RunTables]:
    """The tables of each run (by point and replicate, or replicate) of an ensemble."""
    keys = [k for k in RUN_KEYS if k in annual.columns]
    surveys = dict(list(survey.groupby(keys))) if len(survey) else {}
    groups = dict(list(cohorts.groupby(keys))) if cohorts is not None and len(cohorts) else {}
    runs = []
    for key, rows in annual.groupby(keys):
        empty = survey.iloc[0:0]
        runs.append(
            RunTables(
                annual=rows.set_index("year"),
                survey=surveys.get(key, empty),
                cohorts=groups.get(key) if cohorts is not None else None,
            )
        )
    return runs


def simulated(runs: list[RunTables], targets: pd.DataFrame) -> pd.DataFrame:
    """One row per run, one column per target key."""
    return pd.DataFrame([run_statistics(run, targets) for run in runs], columns=targets["key"])


def score(runs: list[RunTables], targets: pd.DataFrame) -> pd.DataFrame:
    """The score table of an ensemble of runs (see the module docstring)."""
    values = simulated(runs, targets)
    return pd.DataFrame(
        [_score_row(row, values[row.key].to_numpy(dtype=float)) for row in targets.itertuples()],
        columns=list(SCORE_COLUMNS),
    )


def _score_row(row: object, values: np.ndarray) -> dict[str, object]:
    finite = values[np.isfinite(values)]
    out: dict[str, object] = {
        "id": getattr(row, "id", "") if isinstance(getattr(row, "id", ""), str) else "",
        "split": row.split or "",
        "kind": row.kind,
        "target": label(row),
        "observed": float(row.value),
        "yardstick": yardstick(row),
        "runs": len(finite),
        "allowed": allowed(row),
    }
    if not len(finite):
        out.update(median=np.nan, q05=np.nan, q95=np.nan, error=np.nan, error_unit="", within=False)
        return out
    if row.kind == "rank":  # 1/0 per run: the share of runs that rank as observed
        share = float(finite.mean())
        out.update(median=share, q05=share, q95=share, error=1.0 - share)
        out.update(error_unit="share of runs not ranking so", within=bool(share >= 0.5))
        return out
    median = float(np.median(finite))
    out.update(
        median=median,
        q05=float(np.quantile(finite, 0.05)),
        q95=float(np.quantile(finite, 0.95)),
    )
    error, unit, within = _error(row, median)
    out.update(error=error, error_unit=unit, within=within)
    return out


def _error(row: object, median: float) -> tuple[float, str, bool]:
    """Error of the simulated median, its unit, and whether it is within the yardstick."""
    within = bool(abs(median - row.value) <= allowed(row))
    if np.isfinite(row.se) and pd.isna(row.tolerance):
        z = (median - row.value) / row.se if row.se > 0 else np.inf * np.sign(median - row.value)
        return (float(z), "SE", within)
    if row.kind in ("flow", "stock"):
        return (float(median / row.value - 1.0), "relative", within)
    return (float(median - row.value), "absolute", within)


def allowed(row: object) -> float:
    """The largest miss still within, in the target's units (a ranking's: in runs' share)."""
    if row.kind == "rank":
        return 0.5
    if np.isfinite(row.se) and pd.isna(row.tolerance):
        return float(2.0 * row.se)
    if row.kind in ("flow", "stock"):
        return float(row.tolerance * abs(row.value))
    return float(row.tolerance)


def label(row: object) -> str:
    """A short readable name of a target."""
    if row.kind == "share":
        return f"{row.year} survey: {row.measure}: {row.category}"
    if row.kind == "rank":
        order = " > ".join(str(row.category).split(">"))
        first = "first" if ">" not in str(row.category) else "in this order"
        return f"{row.year} survey: {order} {first}"
    if row.kind == "growth":
        return f"growth of {row.measure}, {row.year}-{int(row.end_year)}"
    if row.kind == "retention":
        return f"{row.category} entering {row.year}: in the US {int(row.after_years)} years on"
    return f"{row.kind} {row.measure}, {row.year}"


def yardstick(row: object) -> str:
    """What counts as within: the standard error or the tolerance, in words."""
    if row.kind == "rank":
        return "ranks so in at least half of the runs"
    if np.isfinite(row.se) and pd.isna(row.tolerance):
        return f"SE {row.se:.4f} (n = {int(row.n):,})"
    if row.kind in ("flow", "stock"):
        return f"within {row.tolerance:.0%}"
    return f"within {row.tolerance:g}"
