"""An importance-weighted ABC step after neural posterior estimation.

The estimator's posterior is smooth: it blurs what a distance holds sharply, such as which
sector ranks first. The refinement draws parameters from it (the proposal q), runs them as
a sweep in folder/simulations_refine, and keeps the closest share of them by the ABC
distance (:class:`~talentsim.calibration.abc.TargetDistance`, rank penalty included),
weighted by prior over proposal density: one generation of ABC with the estimator's
posterior as its proposal, an ABC posterior whatever the estimator's errors (they cost
effective sample size, not correctness).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.calibration import training
from talentsim.calibration.abc import CalibrationSetup, TargetDistance
from talentsim.calibration.npe import Ensemble, NpeError
from talentsim.runs.executors import Executor
from talentsim.scenario.loader import LoadedScenario

#: The refinement's stage (:func:`talentsim.calibration.training.stage_folder`).
STAGE = 0
#: Added to the NPE seed for the refinement's proposals.
SEED_OFFSET = 104_729


@dataclass
class Refined:
    """The refined posterior (weighted draws) and what the step did."""

    posterior: pd.DataFrame  # one column per parameter, and `weight` (summing to 1)
    info: dict[str, Any]


def conditioned_distance(setup: CalibrationSetup, keys: list[str]) -> TargetDistance:
    """The calibration's ABC distance over the statistics the estimator is conditioned on."""
    full = setup.distance
    chosen = set(keys)
    return TargetDistance(
        se={k: v for k, v in full.se.items() if k in chosen},
        weight={k: v for k, v in full.weight.items() if k in chosen},
        ranks=[k for k in full.ranks if k in chosen],
        rank_penalty=full.rank_penalty,
    )


def proposals(ensemble: Ensemble, setup: CalibrationSetup, observed: np.ndarray) -> pd.DataFrame:
    """The refinement's parameter draws from the estimator's posterior."""
    settings = setup.config.npe
    draws = ensemble.sample(observed, settings.refine.simulations, settings.seed + SEED_OFFSET)
    return pd.DataFrame(draws, columns=list(setup.config.parameters))


def log_weights(
    ensemble: Ensemble, setup: CalibrationSetup, theta: np.ndarray, observed: np.ndarray
) -> np.ndarray:
    """Log prior over proposal density of each row, both in the estimators' free space."""
    space = ensemble.space
    prior = training.prior_log_density(setup.config.parameters, theta)
    prior_free = prior + space.log_jacobian(space.to_free(theta))
    return prior_free - ensemble.log_prob(theta, observed)


def select(distances: np.ndarray, log_w: np.ndarray, keep: float) -> tuple[np.ndarray, float]:
    """The kept rows (the closest share `keep` of those with a finite distance), threshold.

    Ties at the threshold are all kept, so the result does not depend on row order.
    """
    finite = np.isfinite(distances) & np.isfinite(log_w)
    if not finite.any():
        return np.zeros(len(distances), dtype=bool), float("inf")
    count = max(1, round(keep * int(finite.sum())))
    threshold = float(np.sort(distances[finite])[count - 1])
    return finite & (distances <= threshold), threshold


def refine(
    ensemble: Ensemble,
    setup: CalibrationSetup,
    loaded: LoadedScenario,
    folder: Path,
    executor: Executor,
    keys: list[str],
    observed: np.ndarray,
    log: Callable[[str], None],
) -> Refined:
    """Run the refinement's simulations (resumable) and weigh the closest."""
    settings = setup.config.npe
    table = training.stored_design(folder, STAGE)
    if table is None:
        table = proposals(ensemble, setup, observed)
    plan = training.training_plan(loaded, setup, folder, STAGE, table, keys, observed.tolist())
    log(f"refinement: {len(table)} simulations from the estimator's posterior")
    report = training.run_training(plan, executor, None)
    targets = setup.targets.set_index("key").loc[keys].reset_index()
    stats = training.statistics_table(plan, targets, settings.rank_statistic)
    theta = plan.design.set_index("point").loc[stats["point"]].to_numpy(dtype=float)
    distance = conditioned_distance(setup, keys)
    wanted = dict(zip(keys, observed.tolist(), strict=True))
    distances = np.array(
        [distance(dict(zip(keys, row, strict=True)), wanted) for row in stats[keys].to_numpy()]
    )
    log_w = log_weights(ensemble, setup, theta, observed)
    kept, threshold = select(distances, log_w, settings.refine.keep)
    if not kept.any():
        raise NpeError(
            "calibration.npe.refine",
            f"none of the {len(table)} refinement simulations gave every statistic",
        )
    w = np.exp(log_w[kept] - log_w[kept].max())
    w /= w.sum()
    posterior = pd.DataFrame(theta[kept], columns=list(setup.config.parameters))
    posterior["weight"] = w
    info = {
        "simulations": len(table),
        "run": report.ok,
        "stored_before": report.skipped,
        "failed": len(report.failed),
        "kept": int(kept.sum()),
        "distance_threshold": round(threshold, 4),
        "distance_median_all": round(float(np.median(distances[np.isfinite(distances)])), 4),
        "effective_sample_size": round(float(1.0 / np.sum(w**2)), 1),
        "seconds": round(report.wall_seconds, 1),
    }
    return Refined(posterior, info)
