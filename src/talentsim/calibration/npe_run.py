"""A calibration by neural posterior estimation, end to end.

Simulations from the priors run as a sweep in folder/simulations (:mod:`.training`); an
ensemble of estimators learns the posterior from their statistics (:mod:`.npe`); the
posterior given the observed targets is sampled, checked for coverage on the held-out
simulations (:mod:`.coverage`) and written like ABC-SMC's (:mod:`.posterior`). With
`reuse`, a folder's trained estimator is conditioned on this calibration's targets, with
no new training simulation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from talentsim.calibration import npe, training
from talentsim.calibration.abc import CalibrationSetup
from talentsim.calibration.coverage import Coverage, check
from talentsim.calibration.npe import Ensemble, NpeError, Simulations
from talentsim.calibration.truncation import (
    inside_share,
    region_threshold,
    stage_sizes,
    truncated_prior_draws,
)
from talentsim.runs.executors import Executor
from talentsim.runs.provenance import manifest
from talentsim.runs.sweep import SweepPlan
from talentsim.scenario.loader import LoadedScenario, scenario_hash
from talentsim.storage.atomic import write_json

#: Where the last round's region is kept (the estimator that drew it and its threshold): it
#: tells a re-fit whether its posterior stays where the last round was trained.
REGION = "region"
#: Training simulations needed per free parameter.
SIMULATIONS_PER_PARAMETER = 25
#: Posterior draws per held-out simulation in the coverage checks.
COVERAGE_DRAWS = 500


def conditioned_targets(setup: CalibrationSetup) -> pd.DataFrame:
    """The target rows the estimator is conditioned on.

    All but those of measures weighted 0 and those `npe.leave_out` names: a measure (all
    its rows) or `measure|category` (that category's rows, in every year).

    Raises:
        NpeError: For a left-out entry no target has, or if no target is left.
    """
    config = setup.config
    targets = setup.targets
    pairs = targets["measure"] + "|" + targets["category"].astype(str)
    named = set(targets["measure"]) | set(pairs)
    unknown = [entry for entry in config.npe.leave_out if entry not in named]
    if unknown:
        raise NpeError(
            "calibration.npe.leave_out",
            f"no target has the measure (or measure|category) {', '.join(unknown)}",
        )
    dropped = set(config.npe.leave_out) | {m for m, w in config.weights.items() if w == 0}
    kept = targets[~(targets["measure"].isin(dropped) | pairs.isin(dropped))]
    kept = kept.reset_index(drop=True)
    if kept.empty:
        raise NpeError("calibration.npe.leave_out", "every target is left out")
    return kept


def check_settings(setup: CalibrationSetup) -> None:
    """Refuse settings that cannot train an estimator, before anything is written.

    Raises:
        NpeError: Too few simulations for the parameters, or no target to condition on.
    """
    settings, parameters = setup.config.npe, len(setup.config.parameters)
    needed = SIMULATIONS_PER_PARAMETER * parameters
    if settings.simulations < needed:
        raise NpeError(
            "calibration.npe.simulations",
            f"{settings.simulations} training simulations are too few for {parameters} free "
            f"parameters: give at least {needed} ({SIMULATIONS_PER_PARAMETER} per parameter)",
        )
    conditioned_targets(setup)
    refined = settings.refine
    if refined.simulations and refined.simulations * refined.keep < 2 * parameters:
        raise NpeError(
            "calibration.npe.refine",
            f"{refined.simulations} simulations keeping {refined.keep} of them leave fewer "
            f"than {2 * parameters} weighted draws for {parameters} free parameters",
        )


@dataclass
class Rounds:
    """Each round's sweep plan and its simulations' statistics."""

    plans: list[SweepPlan]
    stats: list[pd.DataFrame]
    keys: list[str]

    def simulations(self, held_out: int, held: bool = False) -> Simulations:
        """The training pairs (held=False) or the held-out ones, the last round's last."""
        thetas, xs = [], []
        for i, (plan, stats) in enumerate(zip(self.plans, self.stats, strict=True)):
            design = plan.design.set_index("point")
            last = i == len(self.plans) - 1
            cut = len(design) - held_out if last else len(design)
            chosen = stats[(stats["point"] >= cut) if held else (stats["point"] < cut)]
            if held and not last:
                continue
            thetas.append(design.loc[chosen["point"]].to_numpy(dtype=float))
            xs.append(chosen[self.keys].to_numpy(dtype=float))
        parameters = list(self.plans[0].design.columns.drop("point"))
        return Simulations(np.concatenate(thetas), np.concatenate(xs), parameters, self.keys)


def _check_description(reuse: Path, description: dict, parameters: list[str], keys: list[str]):
    if description["parameters"] != parameters:
        raise NpeError(
            "--reuse",
            f"the estimator in {reuse} was trained on other parameters "
            f"({len(description['parameters'])}, not this calibration's {len(parameters)} "
            "in the same order)",
        )
    if description["statistics"] != keys:
        raise NpeError(
            "--reuse",
            f"the estimator in {reuse} was trained on other statistics, or in another order "
            f"({len(description['statistics'])} against this calibration's {len(keys)}); "
            "reuse needs targets of the same kinds, years and categories, in the same order",
        )


def _check_scenario(plan: SweepPlan) -> None:
    stored = plan.folder / "manifest.json"
    try:
        trained_on = json.loads(stored.read_text(encoding="utf-8"))["scenario_hash"]
    except (OSError, ValueError, KeyError, TypeError):
        trained_on = None
    if trained_on != scenario_hash(plan.scenario):
        raise NpeError(
            "--reuse",
            f"the simulations in {plan.folder} were run from another scenario, priors, "
            "training settings or statistics than this calibration's",
        )


def _stored_plans(
    loaded: LoadedScenario, setup: CalibrationSetup, reuse: Path, observed: list[float]
) -> list[SweepPlan]:
    keys, plans = list(conditioned_targets(setup)["key"]), []
    for stage in range(1, len(stage_sizes(setup.config.npe)) + 1):
        table = _stored_design(reuse, stage)
        if table is None:
            raise NpeError(
                "--reuse",
                f"{reuse} holds no round-{stage} simulations of a calibration with these "
                "settings (`npe.rounds`, `npe.simulations`, `npe.held_out`, `npe.seed`)",
            )
        plan = training.training_plan(loaded, setup, reuse, stage, table, keys, observed, False)
        plans.append(plan)
    return plans


def _stored_design(reuse: Path, stage: int) -> pd.DataFrame | None:
    try:
        return training.stored_design(reuse, stage)
    except (OSError, ValueError, KeyError, pa.ArrowException):
        raise NpeError(
            "--reuse", f"{training.stage_folder(reuse, stage)}/design.parquet is unreadable"
        ) from None


def _numbers(description: dict, key: str, size: int | None, folder: Path) -> np.ndarray:
    """A stored list (or number) of finite numbers of the estimator's description."""
    try:
        value = np.asarray(description[key], dtype=float)
        if not np.isfinite(value).all() or (size is not None and value.shape != (size,)):
            raise ValueError
    except (KeyError, TypeError, ValueError):
        wanted = "a number" if size is None else f"{size} numbers"
        raise NpeError(
            "--reuse", f"{folder / npe.ESTIMATOR} lacks `{key}` ({wanted}, as training stores)"
        ) from None
    return value


@dataclass
class Reused:
    """What a re-fit takes from a trained calibration: its ensemble, rounds and region."""

    ensemble: Ensemble
    rounds: Rounds
    info: dict[str, Any]
    folder: Path


def load_reuse(loaded: LoadedScenario, setup: CalibrationSetup, reuse: Path) -> Reused:
    """Read and check everything a re-fit needs from `reuse`, before anything is written.

    Nothing is written into `reuse`; the ensemble, its rounds' statistics and its region's
    estimator are read here, so that a folder that cannot serve fails before the re-fit's
    own folder exists.

    Raises:
        NpeError: No estimator there, one trained on other parameters, statistics or
            simulations, or stored files that cannot be read.
    """
    settings, priors = setup.config.npe, setup.config.parameters
    targets = conditioned_targets(setup)
    keys = list(targets["key"])
    description = npe.read_description(reuse)
    _check_description(reuse, description, list(priors), keys)
    original = _numbers(description, "observed", len(keys), reuse)
    region = npe.read_description(reuse / REGION) if settings.rounds > 1 else None
    plans = _stored_plans(loaded, setup, reuse, original.tolist())
    for plan in plans:
        _check_scenario(plan)
    try:
        stats = [
            training.statistics_table(p, targets, settings.rank_statistic, False) for p in plans
        ]
    except training.TrainingError as err:
        raise NpeError("--reuse", err.message) from None
    rounds = Rounds(plans, stats, keys)
    ensemble = npe.load(reuse, rounds.simulations(settings.held_out), priors, settings)
    info: dict[str, Any] = {"reused": str(reuse)}
    if region is not None:  # is the re-fit's posterior inside the region trained for?
        first = npe.load(reuse / REGION, rounds.simulations(0), priors, settings)
        threshold = float(_numbers(region, "threshold", None, reuse / REGION))
        draws = ensemble.sample(observed_statistics(setup, keys), 2000, settings.seed)
        info["inside_trained_region"] = round(inside_share(first, threshold, draws, original), 4)
    return Reused(ensemble, rounds, info, reuse)


def _run_round(plan: SweepPlan, executor: Executor, log: Callable[[str], None], stage: int) -> dict:
    clock = time.perf_counter()
    total, done = len(plan.runs), [0]

    def progress(row: dict[str, Any]) -> None:
        done[0] += 1
        if done[0] % max(total // 5, 1) == 0 or done[0] == total:
            log(f"round {stage}: {done[0]} of {total} simulations")

    report = training.run_training(plan, executor, progress)
    return {
        "seconds": round(time.perf_counter() - clock, 1),
        "run": report.ok,
        "stored_before": report.skipped,
        "failed": len(report.failed),
    }


def train_rounds(
    loaded: LoadedScenario,
    setup: CalibrationSetup,
    folder: Path,
    executor: Executor,
    log: Callable[[str], None],
) -> tuple[Ensemble, Rounds, dict[str, Any]]:
    """Run each round's simulations and train on them; the last round's ensemble is kept."""
    settings, priors = setup.config.npe, setup.config.parameters
    targets = conditioned_targets(setup)
    observed = observed_statistics(setup, list(targets["key"]))
    rounds = Rounds([], [], list(targets["key"]))
    info: dict[str, Any] = {"rounds": []}
    sizes = stage_sizes(settings)
    ensemble, threshold = None, 0.0
    for stage, size in enumerate(sizes, start=1):
        table = training.stored_design(folder, stage)
        if table is None and stage == 1:
            table = training.prior_draws(priors, size, settings.seed)
        elif table is None:
            table, mass = truncated_prior_draws(
                ensemble, threshold, observed, priors, size, settings.seed + 7919 * stage
            )
            info["region_prior_mass"] = round(mass, 5)
        plan = training.training_plan(
            loaded, setup, folder, stage, table, rounds.keys, observed.tolist()
        )
        info["rounds"].append(_run_round(plan, executor, log, stage))
        rounds.plans.append(plan)
        clock = time.perf_counter()
        rounds.stats.append(training.statistics_table(plan, targets, settings.rank_statistic))
        info["rounds"][-1]["statistics_seconds"] = round(time.perf_counter() - clock, 1)
        last = stage == len(sizes)
        data = rounds.simulations(settings.held_out if last else 0)
        log(f"round {stage}: training {settings.ensemble} {settings.estimator} estimator(s)")
        ensemble, trained = npe.train(data, priors, settings)
        info["rounds"][-1].update(trained)
        if not last:  # the next round's region
            threshold = region_threshold(ensemble, observed, settings.seed)
            npe.save(folder / REGION, ensemble, data, settings, {"threshold": threshold})
    extra = {"rounds": settings.rounds, "observed": observed.tolist()}
    npe.save(folder, ensemble, data, settings, extra)
    return ensemble, rounds, info


def observed_statistics(setup: CalibrationSetup, keys: list[str]) -> np.ndarray:
    """The targets' observed values in the estimator's statistic order (a ranking: 1)."""
    return np.array([setup.observed[key] for key in keys], dtype=float)


def coverage_check(ensemble: Ensemble, rounds: Rounds, setup: CalibrationSetup) -> Coverage | None:
    """The coverage checks on the held-out simulations (None when there are fewer than 10)."""
    settings = setup.config.npe
    data = rounds.simulations(settings.held_out, held=True).valid()
    if len(data.theta) < 10:
        return None
    draws = ensemble.sample_batched(data.x, COVERAGE_DRAWS, settings.seed + 1)
    return check(draws, data.theta, data.parameters, settings.seed)


def npe_manifest(
    setup: CalibrationSetup,
    loaded: LoadedScenario,
    command: str,
    timing: dict[str, Any],
    coverage: Coverage | None,
) -> dict[str, Any]:
    """What produced an NPE calibration: scenario, hash, targets, settings, timing, coverage."""
    digest = hashlib.sha256(setup.targets_path.read_bytes()).hexdigest()
    settings = setup.config.npe
    return {
        **manifest(
            "calibration",
            loaded,
            method="npe",
            targets=str(setup.targets_path),
            targets_sha256=digest,
            npe=settings.model_dump(mode="json"),
            population=setup.config.population,
            parameters=list(setup.config.parameters),
        ),
        "command": command,
        **timing,
        "coverage": coverage.summary() if coverage else None,
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def calibrate_npe(
    loaded: LoadedScenario,
    setup: CalibrationSetup,
    folder: Path,
    executor: Executor,
    command: str,
    timing: dict[str, Any],
    reused: Reused | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run an NPE calibration into `folder` and write every output.

    Returns:
        The posterior summary, the fit, the coverage (or None) and the training info.
    """
    from talentsim.calibration.npe_report import (
        support_table,
        write_coverage_figure,
        write_npe_report,
    )
    from talentsim.calibration.posterior import SAMPLE_SIZE, write_posterior_outputs
    from talentsim.calibration.refine import refine

    emit = log or (lambda line: None)
    clock = time.perf_counter()
    if reused is None:
        ensemble, rounds, info = train_rounds(loaded, setup, folder, executor, emit)
    else:
        ensemble, rounds, info = reused.ensemble, reused.rounds, dict(reused.info)
    settings = setup.config.npe
    observed = observed_statistics(setup, rounds.keys)
    if settings.refine.simulations:
        refined = refine(ensemble, setup, loaded, folder, executor, rounds.keys, observed, emit)
        posterior, info["refine"] = refined.posterior, refined.info
    else:
        posterior = pd.DataFrame(
            ensemble.sample(observed, settings.samples, settings.seed),
            columns=list(setup.config.parameters),
        )
        posterior["weight"] = 1.0 / len(posterior)
    emit("coverage checks on the held-out simulations")
    # the same estimator on the same held-out simulations: the checks do not depend on the
    # targets, so a re-fit reads them from the folder it reuses when they are stored there
    coverage = Coverage.load(reused.folder) if reused is not None else None
    coverage = coverage or coverage_check(ensemble, rounds, setup)
    if coverage is not None:
        coverage.save(folder)
    header = [
        f"Calibrated with `{command}` on {dt.date.today().isoformat()}.",
        f"Targets: {setup.targets_path.name}; neural posterior estimation (sbi, "
        f"{settings.ensemble} x {settings.estimator}, {settings.rounds} round(s)) on "
        f"{settings.simulations} simulations"
        + (
            f", refined by ABC on {settings.refine.simulations} more."
            if settings.refine.simulations
            else "."
        ),
    ]
    emit(f"posterior predictive check ({SAMPLE_SIZE} posterior draws)")
    summary, fit, predictive = write_posterior_outputs(
        setup, posterior, loaded, folder, executor, header
    )
    support = support_table(pd.concat(rounds.stats), observed, rounds.keys)
    if coverage is not None:
        write_coverage_figure(folder, coverage)
    info["npe_seconds"] = round(time.perf_counter() - clock, 1)
    write_npe_report(folder, setup, summary, fit, coverage, support, info, command, len(predictive))
    manifest = npe_manifest(setup, loaded, command, {**timing, **info}, coverage)
    write_json(folder / "manifest.json", manifest)
    return {"summary": summary, "fit": fit, "coverage": coverage, "training": info}
