"""The analysis of a sensitivity sweep: outcomes per run, indices, their check, the noise.

The replicates of a point are averaged before the analysis (Sobol indices with SALib, or
Morris elementary effects); the indices from the first N/2 base samples are set against
those of all N (the convergence check); how much of each outcome's variance lies between
replicates at fixed points is reported beside the indices. The sample is planned in
:mod:`.plan`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from talentsim.sensitivity.plan import MORRIS_LEVELS, Problem, SensitivityPlan

RESAMPLES = 200  # bootstrap resamples of the confidence intervals
CONFIDENCE = 0.95
RETURNS_FROM = 2015  # returns per year are averaged from this year (if simulated) to the end
#: Columns of the index table, by method: (index, its confidence half-width).
INDICES = {
    "sobol": (("S1", "S1_conf"), ("ST", "ST_conf")),
    "morris": (("mu_star", "mu_star_conf"), ("sigma", "sigma_conf")),
}
#: The index whose change between N/2 and N is the convergence check, by method.
CONVERGENCE_INDICES = {"sobol": ("ST", "S1"), "morris": ("mu_star",)}


@dataclass
class SensitivityResult:
    """Indices, convergence check and replicate noise of every outcome."""

    plan: SensitivityPlan
    outcomes: dict[str, str]  # column -> label with unit and years
    points: pd.DataFrame  # per point: the parameters and the outcomes averaged over replicates
    indices: pd.DataFrame  # outcome, parameter, index columns with their _conf
    convergence: pd.DataFrame  # outcome, index, n_half, n, max_abs_change, ...
    noise: pd.DataFrame  # outcome, between-replicate share, noise share of the point means


def run_outcomes(runs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The analysed outcomes of every run, from the sweep's run rows, and their labels.

    Returns per year (mean from 2015, or the first recorded year, to the end), technology's
    share of the returnees in the last survey year, and people in the US at the end.
    """
    years = sorted(int(m[1]) for c in runs if (m := re.fullmatch(r"returns_(\d{4})", c)))
    period = [y for y in years if y >= RETURNS_FROM] or years
    surveyed = sorted(
        int(m[1]) for c in runs if (m := re.fullmatch(r"survey_(\d{4})_technology", c))
    )
    frame = runs[["point", "replicate"]].copy()
    frame["returns_per_year"] = runs[[f"returns_{y}" for y in period]].mean(axis=1)
    frame["tech_share"] = runs[f"survey_{surveyed[-1]}_technology"]
    frame["in_us_end"] = runs["in_us_end"]
    labels = {
        "returns_per_year": f"Returns per year, mean {period[0]}-{period[-1]} (people)",
        "tech_share": f"Technology's share of returnees, {surveyed[-1]} survey",
        "in_us_end": f"People in the US at the end of {years[-1]}",
    }
    return frame, labels


def replicate_noise(per_run: pd.DataFrame, outcomes: list[str], replicates: int) -> pd.DataFrame:
    """How much of each outcome's variance is replicate noise at fixed points.

    The noise variance is that of the residuals of an additive point + replicate model (a
    two-way analysis of variance): with common random numbers, the offset that replicate r
    shares with every point is the same at all points and does not affect the indices; with
    independent seeds the replicate term is near zero. `between_replicates` is the noise
    variance over the variance of all runs; `noise_in_means` is the noise left in a point's
    mean of R replicates over the variance of the point means, i.e. the share of what the
    analysis sees that is noise. NaN with one replicate.
    """
    rows = []
    for outcome in outcomes:
        table = per_run.pivot(index="point", columns="replicate", values=outcome)
        means = table.mean(axis=1)
        noise = _residual_variance(table) if replicates > 1 else np.nan
        rows.append(
            {
                "outcome": outcome,
                "replicates": replicates,
                "between_replicates": noise / table.stack().var(ddof=1),
                "noise_in_means": noise / replicates / means.var(ddof=1),
                "sd_between_replicates": float(np.sqrt(noise)),
                "sd_of_point_means": float(means.std(ddof=1)),
            }
        )
    return pd.DataFrame(rows)


def _residual_variance(table: pd.DataFrame) -> float:
    """Residual mean square of a points x replicates table under point + replicate effects."""
    values = table.to_numpy(float)
    residual = values - values.mean(axis=1, keepdims=True) - values.mean(axis=0) + values.mean()
    points, replicates = values.shape
    return float((residual**2).sum() / ((points - 1) * (replicates - 1)))


def analyse(plan: SensitivityPlan, runs: pd.DataFrame) -> SensitivityResult:
    """Indices with confidence intervals, the N/2 check and the noise, for every outcome.

    Args:
        plan: From :func:`plan_sensitivity`.
        runs: The sweep's run rows (runs.parquet), every run "ok".
    """
    per_run, labels = run_outcomes(runs)
    outcomes = list(labels)
    means = per_run.groupby("point")[outcomes].mean().reindex(range(len(plan.sample)))
    points = plan.sweep.design.set_index("point").join(means).reset_index()
    indices, convergence = [], []
    for outcome in outcomes:
        y = means[outcome].to_numpy(float)
        full = _indices(plan, y, plan.n)
        half = _indices(plan, y, plan.n // 2)
        indices.append(full.assign(outcome=outcome))
        convergence.append(_convergence(plan, outcome, full, half))
    table = pd.concat(indices, ignore_index=True)
    table = table[
        ["outcome", "parameter", *(c for c in table if c not in ("outcome", "parameter"))]
    ]
    noise = replicate_noise(per_run, outcomes, plan.replicates)
    return SensitivityResult(plan, labels, points, table, pd.DataFrame(convergence), noise)


def _indices(plan: SensitivityPlan, y: np.ndarray, n: int) -> pd.DataFrame:
    """The indices from the first n blocks of the sample (NaN if an outcome is missing)."""
    rows = n * plan.rows_per_block
    x, y = plan.sample[:rows], y[:rows]
    keys = list(plan.problem.keys)
    names = [c for pair in INDICES[plan.method] for c in pair]
    if not np.isfinite(y).all() or np.ptp(y) == 0:
        return pd.DataFrame({"parameter": keys, **{c: np.nan for c in names}})
    if plan.method == "sobol":
        from SALib.analyze import sobol

        found = sobol.analyze(
            plan.problem.salib(),
            y,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=CONFIDENCE,
            seed=plan.seed,
        )
    else:
        found = dict(_morris(plan.problem, x, y, plan.seed))
        found["sigma_conf"] = _morris_sigma_conf(plan, x, y, n)
    return pd.DataFrame({"parameter": keys, **{c: np.asarray(found[c], float) for c in names}})


def _morris(
    problem: Problem, x: np.ndarray, y: np.ndarray, seed: int, resamples: int = RESAMPLES
) -> dict[str, Any]:
    from SALib.analyze import morris

    return morris.analyze(
        problem.salib(),
        x,
        y,
        num_resamples=resamples,
        conf_level=CONFIDENCE,
        num_levels=MORRIS_LEVELS,
        seed=seed,
    )


def _morris_sigma_conf(plan: SensitivityPlan, x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Half-width of sigma's interval: a bootstrap over trajectories (SALib gives mu*'s only)."""
    rng = np.random.default_rng(plan.seed)
    block = plan.rows_per_block
    sigmas = []
    for _ in range(RESAMPLES):
        chosen = rng.integers(0, n, n)
        rows = (chosen[:, None] * block + np.arange(block)).ravel()
        sigmas.append(_morris(plan.problem, x[rows], y[rows], plan.seed, 2)["sigma"])
    return norm.ppf(0.5 + CONFIDENCE / 2) * np.nanstd(np.asarray(sigmas, float), axis=0, ddof=1)


def _convergence(
    plan: SensitivityPlan, outcome: str, full: pd.DataFrame, half: pd.DataFrame
) -> dict[str, Any]:
    """The largest change of each checked index from N/2 to N, and whether the top lever holds."""
    row: dict[str, Any] = {"outcome": outcome, "n_half": plan.n // 2, "n": plan.n}
    for index in CONVERGENCE_INDICES[plan.method]:
        change = (full[index] - half[index]).abs()
        scale = full[index].abs().max()
        row[f"{index}_max_abs_change"] = float(change.max())
        row[f"{index}_max_relative_change"] = float(change.max() / scale) if scale else np.nan
        row[f"{index}_changed_most"] = _top(full.assign(change=change), "change")
        row[f"{index}_same_top"] = _top(full, index) == _top(half, index) != ""
    return row


def _top(frame: pd.DataFrame, column: str) -> str:
    """The parameter with the largest value of a column ("" if it is all NaN)."""
    values = frame[column]
    return str(frame["parameter"][values.idxmax()]) if values.notna().any() else ""
