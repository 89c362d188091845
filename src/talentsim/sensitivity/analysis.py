"""Global sensitivity analysis (SALib) of a scenario's parameters, run as a sweep.

The parameters and their ranges come from the scenario's `sweep:` block or, if it has none,
its `calibration:` block (the priors' bounds). SALib makes the sample: Saltelli's scheme over
a scrambled Sobol sequence (first and total indices, no second order), or Morris
trajectories. The sample becomes the table design of a sweep (:func:`plan_sweep` with the
points in memory), so that every (point, replicate) is one stored, resumable run on any
executor. The replicates of a point are averaged before the analysis; how much of each
outcome's variance lies between replicates at fixed points is reported beside the indices.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from talentsim.errors import TalentsimError
from talentsim.runs.designs import DesignError, check_parameters
from talentsim.runs.outputs import default_output
from talentsim.runs.sweep import SweepPlan, plan_sweep
from talentsim.scenario.loader import LoadedScenario
from talentsim.scenario.schema import Scenario
from talentsim.scenario.sweep_block import SweepConfig, SweepParameter

METHODS = ("sobol", "morris")
DEFAULT_N = {"sobol": 64, "morris": 16}
DEFAULT_REPLICATES = 2
MORRIS_LEVELS = 4
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


class SensitivityError(TalentsimError):
    """Options or a scenario that a sensitivity analysis cannot use."""


@dataclass(frozen=True)
class Problem:
    """The analysed parameters, their ranges and where the ranges come from."""

    keys: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    source: str  # "sweep" or "calibration"

    def salib(self) -> dict[str, Any]:
        """The problem as SALib takes it."""
        return {
            "num_vars": len(self.keys),
            "names": list(self.keys),
            "bounds": [list(b) for b in self.bounds],
        }


@dataclass
class SensitivityPlan:
    """A sample and the sweep that runs it."""

    method: str
    n: int
    seed: int
    problem: Problem
    sample: np.ndarray  # SALib's rows in SALib's order: row i is point i
    sweep: SweepPlan

    @property
    def rows_per_block(self) -> int:
        """Rows per base sample (Sobol: D + 2) or per trajectory (Morris: D + 1)."""
        d = len(self.problem.keys)
        return d + 2 if self.method == "sobol" else d + 1

    @property
    def replicates(self) -> int:
        """Replicates run per point."""
        return self.sweep.scenario.sweep.replicates


@dataclass
class SensitivityResult:
    """Indices, convergence check and replicate noise of every outcome."""

    plan: SensitivityPlan
    outcomes: dict[str, str]  # column -> label with unit and years
    points: pd.DataFrame  # per point: the parameters and the outcomes averaged over replicates
    indices: pd.DataFrame  # outcome, parameter, index columns with their _conf
    convergence: pd.DataFrame  # outcome, index, n_half, n, max_abs_change, ...
    noise: pd.DataFrame  # outcome, between-replicate share, noise share of the point means


# --------------------------------------------------------------------------- planning


def parameter_problem(scenario: Scenario) -> Problem:
    """The parameters and ranges of the scenario's sweep block, else of its calibration block.

    A sweep parameter given by `values` spans its smallest to its largest value; a uniform
    prior spans `low` to `high`, other priors their 0.5 % and 99.5 % quantiles.

    Raises:
        SensitivityError: If neither block names a parameter.
        DesignError: If a parameter is not a numeric scenario key, or has an empty range.
    """
    if scenario.sweep is not None and scenario.sweep.parameters:
        bounds = {k: _sweep_range(k, p) for k, p in scenario.sweep.parameters.items()}
        source = "sweep"
    elif scenario.calibration is not None:
        bounds = {k: _prior_range(p) for k, p in scenario.calibration.parameters.items()}
        source = "calibration"
    else:
        raise SensitivityError(
            "the scenario has no parameters to analyse: give it a `sweep:` block with "
            "`parameters:` and their ranges, or a `calibration:` block with priors"
        )
    try:
        check_parameters(list(bounds))
    except DesignError as err:
        raise DesignError(err.key.replace("sweep.", f"{source}."), err.detail) from None
    return Problem(tuple(bounds), tuple(bounds.values()), source)


def _sweep_range(key: str, spec: SweepParameter) -> tuple[float, float]:
    low, high = spec.range if spec.range is not None else (min(spec.values), max(spec.values))
    if not low < high:
        raise DesignError(
            f"sweep.parameters.{key}", "a sensitivity analysis needs a range, not one value"
        )
    return float(low), float(high)


def _prior_range(prior: Any) -> tuple[float, float]:
    if prior.distribution == "uniform":
        return float(prior.low), float(prior.high)
    from talentsim.calibration.abc import prior_bounds

    return prior_bounds(prior)


def check_options(method: str, n: int, replicates: int) -> None:
    """Check the method, the base sample size N and the replicates.

    Raises:
        SensitivityError: For an unknown method, N too small or (Sobol) not a power of 2.
    """
    if method not in METHODS:
        raise SensitivityError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if n < 4:
        raise SensitivityError(f"--n must be at least 4 (the check halves it), got {n}")
    if method == "sobol" and n & (n - 1):
        raise SensitivityError(
            f"--n must be a power of 2 for the Sobol method (Sobol sequences balance only "
            f"then; the check at N/2 needs one too), got {n}; try {2 ** round(np.log2(n))}"
        )
    if replicates < 1:
        raise SensitivityError(f"--replicates must be at least 1, got {replicates}")


def salib_sample(problem: Problem, method: str, n: int, seed: int) -> np.ndarray:
    """SALib's sample: N (D + 2) Saltelli rows, or N Morris trajectories of D + 1 rows.

    The first N/2 blocks of rows are themselves the sample of N/2 (the convergence check).
    """
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem.salib(), n, calc_second_order=False, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem.salib(), n, num_levels=MORRIS_LEVELS, seed=seed)


def plan_sensitivity(
    loaded: LoadedScenario,
    method: str,
    n: int | None = None,
    replicates: int | None = None,
    folder: Path | None = None,
) -> SensitivityPlan:
    """The SALib sample of the scenario's parameters as a sweep with a table design.

    Args:
        loaded: The scenario (with a `sweep:` or `calibration:` block).
        method: "sobol" or "morris".
        n: Base samples (Sobol) or trajectories (Morris); default :data:`DEFAULT_N`.
        replicates: Runs per point (default: the sweep block's, else 2).
        folder: Where the sweep is stored (default: results/sweeps/<name>-<method>-<hash>).

    Raises:
        SensitivityError: For bad options or a scenario with no parameters.
        DesignError: For a bad parameter or a point that makes an invalid scenario.
    """
    scenario = loaded.scenario
    n = n or DEFAULT_N.get(method, 0)
    replicates = replicates or (scenario.sweep.replicates if scenario.sweep else DEFAULT_REPLICATES)
    check_options(method, n, replicates)
    problem = parameter_problem(scenario)
    block = table_block(scenario, problem, method, n, replicates)
    design = dataclasses.replace(loaded, scenario=scenario.model_copy(update={"sweep": block}))
    folder = folder or default_output("sweep", design, method)
    sample = salib_sample(problem, method, n, block.seed)
    sweep = plan_sweep(design, folder, pd.DataFrame(sample, columns=list(problem.keys)))
    return SensitivityPlan(method, n, block.seed, problem, sample, sweep)


def table_block(
    scenario: Scenario, problem: Problem, method: str, n: int, replicates: int
) -> SweepConfig:
    """The sweep block that runs a sample: a table design named after method, N and seed.

    The name goes into the scenario's hash, so another sample gets other seeds and another
    default folder; the seed and common random numbers come from the scenario's sweep block.
    """
    seed = scenario.sweep.seed if scenario.sweep else 0
    return SweepConfig(
        design="table",
        table=f"salib-{method}-n{n}-seed{seed}.csv",  # written into the folder with the results
        parameters={
            k: SweepParameter(range=b) for k, b in zip(problem.keys, problem.bounds, strict=True)
        },
        replicates=replicates,
        seed=seed,
        common_random_numbers=bool(scenario.sweep and scenario.sweep.common_random_numbers),
    )


def check_stored_sample(plan: SensitivityPlan) -> None:
    """Refuse a folder whose stored points differ from this sample (e.g. another SALib).

    Raises:
        SensitivityError: If the folder's design.parquet holds other points.
    """
    stored = plan.sweep.folder / "design.parquet"
    manifest = plan.sweep.folder / "manifest.json"
    if not (stored.exists() and manifest.exists()):
        return
    if (
        json.loads(manifest.read_text(encoding="utf-8")).get("scenario_hash")
        != plan.sweep.loaded.hash
    ):
        return  # another sweep altogether: the sweep store refuses the folder
    old = pd.read_parquet(stored)
    if old.shape != plan.sweep.design.shape or not np.allclose(
        old.to_numpy(float), plan.sweep.design.to_numpy(float), rtol=0, atol=1e-12
    ):
        raise SensitivityError(
            f"{plan.sweep.folder} holds the runs of another sample of the same scenario "
            "(another SALib or scipy version?); choose another --out"
        )


# --------------------------------------------------------------------------- outcomes


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


# --------------------------------------------------------------------------- analysis


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
