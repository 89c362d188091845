"""Paired effects of policies over posterior draws and replicates, and their variance split.

The effect of a policy in run (draw k, replicate r) is the policy's outcome minus the
baseline's in the run of the same draw and replicate (the two share their random numbers).
Over the K x R paired differences of an outcome in a year: the median and the 90 % interval,
the probability of direction (the share of differences with the median's sign), and how
the variance splits between the parameters and chance (a one-way random-effects analysis
of variance with the draws as groups):

    chance     = mean over draws of the variance between replicates (needs R >= 2)
    parameters = max(variance of the draws' means - chance / R, 0) (needs K >= 2)

With one draw there is no parameter uncertainty in the interval (it reduces to the paired
comparison over replicates that `talentsim compare` makes); with one replicate per draw the
two cannot be told apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from talentsim.effects.outcomes import split_column

LEVEL = 0.90
KEYS = ["point", "replicate"]


class UnpairedError(ValueError):
    """Runs of a policy without a baseline run of the same draw and replicate."""


def paired_differences(baseline: pd.DataFrame, policy: pd.DataFrame) -> pd.DataFrame:
    """The policy's outcomes minus the baseline's, run by run (draw = the sweep's point).

    Args:
        baseline: The baseline's run rows (point, replicate and outcome columns).
        policy: The policy's run rows.

    Returns:
        One row per (point, replicate), one column per outcome column.
    """
    columns = [c for c in baseline.columns if split_column(str(c)) and c in policy.columns]
    base = baseline.set_index(KEYS)[columns].sort_index()
    other = policy.set_index(KEYS)[columns].sort_index()
    if not base.index.equals(other.index):
        raise UnpairedError(
            "the policy's runs and the baseline's are not the same draws and replicates"
        )
    return (other - base).reset_index()


def variance_split(values: np.ndarray) -> tuple[float, float]:
    """(parameters, chance) variance components of a draws x replicates array.

    NaN where the design cannot estimate one: chance needs two replicates per draw; with
    one draw, the parameters' component is 0 (no parameter uncertainty was sampled).
    """
    draws, replicates = values.shape
    chance = float(values.var(axis=1, ddof=1).mean()) if replicates > 1 else float("nan")
    if draws == 1:
        return 0.0, chance
    between = float(values.mean(axis=1).var(ddof=1))
    if replicates == 1:
        return float("nan"), chance
    return max(between - chance / replicates, 0.0), chance


def summarise(differences: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Effect statistics per outcome and year.

    Returns:
        Columns outcome, year, baseline (the baseline's median), median, low, high (the
        90 % interval), mean, p_direction, p_positive, var_parameters, var_chance,
        share_parameters, missing (pairs lacking the outcome: then every statistic is NaN).
    """
    draws = differences["point"].nunique()
    order = differences.sort_values(KEYS)
    rows = []
    for name in [c for c in differences.columns if split_column(str(c))]:
        outcome, year = split_column(str(name))
        values = order[name].to_numpy(dtype=float)
        grid = values.reshape(draws, -1)
        finite = values[np.isfinite(values)]
        if len(finite) < len(values):  # e.g. a survey year without respondents in some runs
            rows.append(_missing(outcome, year, baseline[name], len(values) - len(finite)))
            continue
        median = float(np.median(values))
        low, high = np.quantile(values, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
        sign = np.sign(median)
        parameters, chance = variance_split(grid)
        total = parameters + chance
        rows.append(
            {
                "outcome": outcome,
                "year": year,
                "baseline": float(np.median(baseline[name])),
                "median": median,
                "low": float(low),
                "high": float(high),
                "mean": float(values.mean()),
                "p_direction": float(np.mean(np.sign(values) == sign)) if sign else float("nan"),
                "p_positive": float(np.mean(values > 0)),
                "var_parameters": parameters,
                "var_chance": chance,
                "share_parameters": parameters / total if total > 0 else float("nan"),
                "missing": 0,
            }
        )
    return pd.DataFrame(rows).sort_values(["outcome", "year"]).reset_index(drop=True)


def _missing(outcome: str, year: int, baseline: pd.Series, missing: int) -> dict:
    """A row of NaN statistics for an outcome some pairs lack (counted in `missing`)."""
    nan = float("nan")
    row = {"outcome": outcome, "year": year, "baseline": float(np.nanmedian(baseline))}
    row.update(dict.fromkeys(("median", "low", "high", "mean", "p_direction", "p_positive"), nan))
    row.update(var_parameters=nan, var_chance=nan, share_parameters=nan, missing=missing)
    return row


def effects_table(rows: dict[str, pd.DataFrame], labels: list[str]) -> pd.DataFrame:
    """Every policy's effect statistics against the first label (the baseline).

    Args:
        rows: Each label's run rows.
        labels: The baseline's label first.
    """
    baseline = rows[labels[0]]
    parts = []
    for label in labels[1:]:
        table = summarise(paired_differences(baseline, rows[label]), baseline)
        table.insert(0, "scenario", label)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


def paired_long(
    rows: dict[str, pd.DataFrame], labels: list[str], outcomes: list[str]
) -> pd.DataFrame:
    """The paired differences of some outcomes, long: what the fan charts draw.

    Columns: scenario, point, replicate, effect, outcome, year.
    """
    baseline, parts = rows[labels[0]], []
    for label in labels[1:]:
        wide = paired_differences(baseline, rows[label])
        keep = [c for c in wide.columns if (s := split_column(str(c))) and s[0] in outcomes]
        long = wide.melt(id_vars=KEYS, value_vars=keep, var_name="column", value_name="effect")
        parts_of = long["column"].str.rpartition("@")
        long["outcome"], long["year"] = parts_of[0], parts_of[2].astype(int)
        long.insert(0, "scenario", label)
        parts.append(long.drop(columns="column"))
    return pd.concat(parts, ignore_index=True)
