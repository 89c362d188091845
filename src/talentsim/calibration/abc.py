"""Calibration against the returnee surveys with ABC-SMC (pyabc).

The free parameters of a scenario's `calibration:` block get priors; each simulation runs the
scenario with drawn values up to the last target year and fields the virtual survey; its
summary statistics are the survey's shares (and who ranks first) for the target rows; the
distance counts each miss in the target's own standard errors, sqrt(sum w z^2 / sum w),
plus a penalty for each ranking the simulation gets wrong. pyabc keeps its history in
SQLite in the output folder, so a stopped calibration resumes from it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
from scipy import stats

from talentsim.calibration.sampler import OrderedSampler
from talentsim.errors import KeyedError
from talentsim.evidence.statistics import RunTables, run_statistics
from talentsim.evidence.targets import last_year, load_targets, resolve_targets
from talentsim.model.stages.survey import RESIDUAL, SECTOR
from talentsim.runs.designs import DesignError, check_parameters, point_scenario
from talentsim.runs.executors import Executor
from talentsim.runs.replicate import simulate
from talentsim.runs.runner import annualise
from talentsim.scenario.calibration_block import CalibrationConfig, Prior
from talentsim.scenario.loader import LoadedScenario
from talentsim.scenario.schema import Scenario
from talentsim.scenario.timeline import last_step

HISTORY = "history.db"


class CalibrationError(KeyedError):
    """A calibration that cannot start; `key` names the setting at fault."""


# --------------------------------------------------------------------------- priors


class TruncatedLogNormal(pyabc.RVBase):
    """A log-normal random variable, truncated to [low, high]."""

    def __init__(self, median: float, sd: float, low: float | None, high: float | None) -> None:
        self.median, self.sd, self.low, self.high = median, sd, low, high
        a = -np.inf if not low else (math.log(low) - math.log(median)) / sd
        b = np.inf if high is None else (math.log(high) - math.log(median)) / sd
        self._log = stats.truncnorm(a, b, loc=math.log(median), scale=sd)

    def copy(self) -> TruncatedLogNormal:  # noqa: D102
        return TruncatedLogNormal(self.median, self.sd, self.low, self.high)

    def rvs(self, *args: Any, **kwargs: Any) -> float:  # noqa: D102
        return float(np.exp(self._log.rvs(*args, **kwargs)))

    def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:  # noqa: D102
        return 0.0

    def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:  # noqa: D102
        return float(self._log.pdf(math.log(x)) / x) if x > 0 else 0.0

    def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:  # noqa: D102
        return float(self._log.cdf(math.log(x))) if x > 0 else 0.0


def random_variable(prior: Prior) -> pyabc.RVBase:
    """The pyabc random variable of a prior."""
    if prior.distribution == "uniform":
        return pyabc.RV("uniform", prior.low, prior.high - prior.low)
    if prior.distribution == "normal":
        a = -np.inf if prior.low is None else (prior.low - prior.mean) / prior.sd
        b = np.inf if prior.high is None else (prior.high - prior.mean) / prior.sd
        return pyabc.RV("truncnorm", a, b, loc=prior.mean, scale=prior.sd)
    return TruncatedLogNormal(prior.median, prior.sd, prior.low, prior.high)


def prior_bounds(prior: Prior) -> tuple[float, float]:
    """The 0.5 % and 99.5 % quantiles of a prior (for plots)."""
    rv = random_variable(prior)
    if isinstance(rv, TruncatedLogNormal):
        return (float(np.exp(rv._log.ppf(0.005))), float(np.exp(rv._log.ppf(0.995))))
    return (float(rv.distribution.ppf(0.005)), float(rv.distribution.ppf(0.995)))


# --------------------------------------------------------------------------- simulation


@dataclass
class Simulator:
    """A picklable simulation: parameter values in, summary statistics out."""

    base: Scenario  # the scenario as it runs during calibration (size, period, survey years)
    names: dict[str, str]  # pyabc name -> dotted scenario key
    keys: list[str]  # the survey's summary statistics, one per share or rank target
    rank_statistic: str = "sample"  # see AbcSettings.rank_statistic
    share_statistic: str = "sample"  # see AbcSettings.share_statistic
    others: pd.DataFrame | None = None  # targets of the other kinds (flows, growth...)

    def __call__(self, parameters: dict[str, float]) -> dict[str, float]:
        """Run the model once with these values; return its summary statistics."""
        values = {self.names[name]: float(value) for name, value in parameters.items()}
        scenario = point_scenario(self.base, values)
        # numpy's global generator is seeded for each proposal (calibration_sampler)
        seed = int(np.random.randint(0, 2**62))  # noqa: NPY002
        result = simulate(scenario, seed=seed)
        out = summary_statistics(
            result.survey, self.keys, self.rank_statistic, self.share_statistic
        )
        if self.others is not None and len(self.others):
            annual = annualise(result.timeseries).set_index("year")
            out.update(
                run_statistics(RunTables(annual, result.survey, result.cohorts), self.others)
            )
        return out


#: Virtual surveys drawn per ranking target for the 'probability' rank statistic.
RANK_DRAWS = 2000


def summary_statistics(
    survey: pd.DataFrame,
    keys: list[str],
    rank_statistic: str = "sample",
    share_statistic: str = "sample",
) -> dict[str, float]:
    """The statistics named by target keys, from a virtual survey's rows.

    'share|year|measure|category' is the sample share with `share_statistic` 'sample', the
    population share (among the returnees the survey samples from) with 'population'.
    'rank|year|measure|category' is, with
    `rank_statistic` 'sample', 1 if that category ranks first among the named categories of
    the sample (ties count as first), else 0; with 'probability', the chance of that in a
    survey of the same size from the population shares (:func:`first_rank_probability`).
    """
    if rank_statistic not in ("sample", "probability"):
        raise ValueError(
            f"rank_statistic must be 'sample' or 'probability' (got {rank_statistic!r})"
        )
    if share_statistic not in ("sample", "population"):
        raise ValueError(
            f"share_statistic must be 'sample' or 'population' (got {share_statistic!r})"
        )
    out: dict[str, float] = {}
    indexed = survey.set_index(["year", "measure", "category"])
    for key in keys:
        kind, year, measure, category = key.split("|")
        try:
            row = indexed.loc[(int(year), measure, category)]
        except KeyError:
            out[key] = float("nan")
            continue
        if kind == "share":
            out[key] = float(
                row["population_share" if share_statistic == "population" else "share"]
            )
        elif rank_statistic == "probability":
            rows = survey[(survey["year"] == int(year)) & (survey["measure"] == measure)]
            out[key] = first_rank_probability(rows, category)
        else:
            out[key] = float(row["rank"] == 1)
    return out


def first_rank_probability(rows: pd.DataFrame, category: str) -> float:
    """Chance that `category` ranks first among the named categories of a survey.

    Multinomial draws of the survey's size from its population shares (every category,
    the unranked residual included; ties count as first); a fixed seed makes it a smooth,
    deterministic function of the shares.
    """
    shares = rows["population_share"].to_numpy(dtype=float)
    n = int(rows["n"].iloc[0])
    if n <= 0 or not np.isfinite(shares).all() or shares.sum() <= 0:
        return float("nan")
    counts = np.random.default_rng(0).multinomial(n, shares / shares.sum(), size=RANK_DRAWS)
    named = (rows["category"] != RESIDUAL).to_numpy()
    mine = counts[:, (rows["category"] == category).to_numpy()][:, 0]
    return float((mine >= counts[:, named].max(axis=1)).mean())


# --------------------------------------------------------------------------- distance


@dataclass
class TargetDistance:
    """Distance between simulated and observed statistics, in standard errors.

    d = sqrt(sum_k w_k z_k^2 / sum_k w_k) + rank_penalty x (number of wrong rankings, or the
    sum of 1 - P(first) with the 'probability' rank statistic), with
    z_k = (simulated_k - target_k) / se_k over the share targets. A missing statistic (a
    survey with no respondents) makes the distance infinite.
    """

    se: dict[str, float]  # share targets: standard error
    weight: dict[str, float]  # share targets: weight of the measure
    ranks: list[str]  # rank targets
    rank_penalty: float

    def __call__(self, simulated: dict[str, float], observed: dict[str, float]) -> float:
        """The distance (pyabc calls it with simulated and observed statistics)."""
        total, weights = 0.0, 0.0
        for key, se in self.se.items():
            value = simulated.get(key, float("nan"))
            if not np.isfinite(value):
                return float("inf")
            total += self.weight[key] * ((value - observed[key]) / se) ** 2
            weights += self.weight[key]
        distance = math.sqrt(total / weights) if weights > 0 else 0.0
        # 1 - P(first) for each ranking: the number wrong when P is 0 or 1
        wrong = sum(_rank_miss(simulated.get(key, math.nan), observed[key]) for key in self.ranks)
        return distance + self.rank_penalty * wrong


def _rank_miss(simulated: float, observed: float) -> float:
    """How far a ranking statistic is from the observed one (a missing one is wholly wrong)."""
    return abs(observed - simulated) if np.isfinite(simulated) else 1.0


# --------------------------------------------------------------------------- set-up


@dataclass
class CalibrationSetup:
    """Everything a calibration needs, checked."""

    config: CalibrationConfig
    targets: pd.DataFrame
    targets_path: Path
    simulator: Simulator
    prior: pyabc.Distribution
    distance: TargetDistance
    observed: dict[str, float]
    names: dict[str, str]


def prepare(loaded: LoadedScenario, targets_override: str | None = None) -> CalibrationSetup:
    """Check a scenario's calibration block and its targets; build the ABC pieces.

    Raises:
        CalibrationError: For a missing block, an unknown parameter, bad targets or years.
        TargetsError: For a targets file that cannot be used.
    """
    scenario = loaded.scenario
    config = scenario.calibration
    if config is None:
        raise CalibrationError("calibration", "the scenario has no `calibration:` block")
    base_dir = Path(loaded.files[0]).parent if loaded.files else None
    if targets_override is not None:
        path = resolve_targets(targets_override, Path.cwd())
    else:
        path = resolve_targets(config.targets, base_dir)
    targets = load_targets(path, split="calibration")  # validation rows never calibrate
    try:
        check_parameters(list(config.parameters))
    except DesignError as err:
        raise CalibrationError(err.key.replace("sweep.", "calibration."), err.detail) from None
    surveyed = targets["kind"].isin(("share", "rank"))
    years = sorted(set(targets.loc[surveyed, "year"]))
    needed = sorted({last_year(row) for row in targets.itertuples()})
    if (years and years[0] <= scenario.time.start) or needed[-1] > scenario.time.end:
        raise CalibrationError(
            "calibration.targets",
            f"survey target years {years} must fall after {scenario.time.start} (the first "
            f"year), and every target by {scenario.time.end} (the last needs {needed[-1]})",
        )
    measures = set(targets["measure"])
    unknown = [m for m in config.weights if m not in measures and m != SECTOR]
    if unknown:
        raise CalibrationError(
            "calibration.weights", f"no target has the measure(s) {', '.join(unknown)}"
        )
    names = {f"p{i}": key for i, key in enumerate(config.parameters)}
    base = _simulation_scenario(scenario, config, years, needed[-1])
    for key, prior in config.parameters.items():  # the prior's range must give valid runs
        for value in _prior_probe_values(prior):
            try:
                point_scenario(base, {key: value})
            except DesignError as err:
                raise CalibrationError(f"calibration.parameters.{key}", err.detail) from None
    ranks = targets[targets["kind"] == "rank"]
    others = targets[~surveyed].reset_index(drop=True)
    scaled = targets[targets["kind"] != "rank"]  # shares: their SE; the others: tolerance
    simulator = Simulator(
        base,
        names,
        list(targets.loc[surveyed, "key"]),
        config.abc.rank_statistic,
        config.abc.share_statistic,
        others if len(others) else None,
    )
    prior = pyabc.Distribution(
        **{name: random_variable(config.parameters[key]) for name, key in names.items()}
    )
    weight = {row.key: float(config.weights.get(row.measure, 1.0)) for row in scaled.itertuples()}
    distance = TargetDistance(
        se=dict(zip(scaled["key"], scaled["scale"], strict=True)),
        weight=weight,
        ranks=list(ranks["key"]),
        rank_penalty=config.abc.rank_penalty,
    )
    observed = {
        row.key: (1.0 if row.kind == "rank" else float(row.value)) for row in targets.itertuples()
    }
    return CalibrationSetup(config, targets, path, simulator, prior, distance, observed, names)


def _prior_probe_values(prior: Prior) -> list[float]:
    low, high = prior_bounds(prior)
    return [low, high]


def _simulation_scenario(
    scenario: Scenario, config: CalibrationConfig, years: list[int], end: int
) -> Scenario:
    """The scenario as each calibration run uses it.

    Smaller (the calibration's population), shorter (to `end`, the last year a target
    needs), and surveying only the survey targets' `years`.
    """
    data = scenario.model_dump(by_alias=True, exclude={"sweep", "calibration"})
    data["population"]["agents"] = config.population
    data["time"]["end"] = end
    data["survey"]["years"] = years
    shortened = Scenario.model_validate(data)
    # Interventions from after the shortened run's last step cannot act on it.
    last = last_step(shortened.time)
    shortened.timeline = [item for item in shortened.timeline if item.from_ <= last]
    return shortened


# --------------------------------------------------------------------------- running


def make_sampler(seed: int, executor: Executor | None = None) -> pyabc.sampler.Sampler:
    """The sampler: in this process, local processes or Dask, all with the same particles.

    See :mod:`talentsim.calibration.sampler`: proposal i of generation t is seeded from
    (seed, t, i), so the result does not depend on the executor or on a resume.
    """
    return OrderedSampler(seed, executor)


def run_abc(
    setup: CalibrationSetup,
    folder: Path,
    sampler: pyabc.sampler.Sampler,
    resume: bool = False,
) -> pyabc.History:
    """Run (or continue) ABC-SMC; the history is folder/history.db.

    Raises:
        CalibrationError: If resuming without a history, or starting over an existing one.
    """
    abc_settings = setup.config.abc
    database = folder / HISTORY
    abc = pyabc.ABCSMC(
        models=setup.simulator,
        parameter_priors=setup.prior,
        distance_function=setup.distance,
        population_size=abc_settings.population_size,
        transitions=pyabc.MultivariateNormalTransition(scaling=abc_settings.kernel_scaling),
        sampler=sampler,
    )
    if resume:
        if not database.exists():
            raise CalibrationError("--resume", f"there is no history to resume in {folder}")
        history = abc.load(f"sqlite:///{database}", 1)
        done = history.max_t + 1
    else:
        if database.exists():
            raise CalibrationError(
                "--out", f"{database} exists; pass --resume to continue it, or choose another --out"
            )
        np.random.seed(abc_settings.seed)  # noqa: NPY002 (pyabc draws from the global one)
        abc.new(f"sqlite:///{database}", setup.observed)
        done = 0
    remaining = abc_settings.generations - done
    if remaining > 0:
        return abc.run(
            minimum_epsilon=abc_settings.min_epsilon,
            max_nr_populations=remaining,
            min_acceptance_rate=abc_settings.min_acceptance_rate,
        )
    return abc.history


def simulations_from(history: pyabc.History, first: int) -> int:
    """Simulations run for generations `first` onwards (those of one invocation)."""
    populations = history.get_all_populations()
    return int(populations.loc[populations["t"] >= first, "samples"].sum())


class GenerationLog(logging.Handler):
    """Forward pyabc's per-generation lines (epsilon, acceptance, particles) to a callback."""

    def __init__(self, emit_line: Any) -> None:
        super().__init__(logging.INFO)
        self.emit_line = emit_line

    def emit(self, record: logging.LogRecord) -> None:  # noqa: D102
        message = record.getMessage()
        if message.startswith(("t: ", "Accepted:", "Stop:", "Calibration sample")):
            self.emit_line(message)
