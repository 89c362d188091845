"""Truncated sequential NPE: each round after the first draws from the priors cut to a region.

After a round, the region is where its posterior (given the observed statistics) has a
density above its :data:`QUANTILE` quantile: it holds all but 0.1 % of that posterior's
mass. The next round's parameters are prior draws inside it (by rejection), so
the training data stay draws from a prior, the prior truncated to the region, and the
estimator needs no correction within it (Deistler, Goncalves and Macke 2022, "Truncated
proposals for scalable and hassle-free simulation-based inference", NeurIPS).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from talentsim.calibration.npe import Ensemble, NpeError
from talentsim.calibration.training import prior_draws
from talentsim.scenario.calibration_block import NpeSettings, Prior

#: The region keeps the first-round posterior's density above this quantile of its draws.
QUANTILE = 1e-3
#: First-round posterior draws from which the threshold is read.
POSTERIOR_DRAWS = 10_000
#: Prior draws tried per batch, and at most this many batches.
BATCH, MAX_BATCHES = 20_000, 250


def stage_sizes(settings: NpeSettings) -> list[int]:
    """Simulations per round (the held-out ones come last in the last round)."""
    each = settings.simulations // settings.rounds
    last = settings.simulations - each * (settings.rounds - 1) + settings.held_out
    return [each] * (settings.rounds - 1) + [last]


def region_threshold(ensemble: Ensemble, observed: np.ndarray, seed: int) -> float:
    """The log density above which the first-round posterior keeps 1 - QUANTILE of its mass."""
    draws = ensemble.sample(observed, POSTERIOR_DRAWS, seed)
    return float(np.quantile(ensemble.log_prob(draws, observed), QUANTILE))


def inside_share(
    ensemble: Ensemble, threshold: float, theta: np.ndarray, observed: np.ndarray
) -> float:
    """The share of rows of parameters inside the region of `ensemble` at `observed`."""
    return float((ensemble.log_prob(theta, observed) >= threshold).mean())


def truncated_prior_draws(
    ensemble: Ensemble,
    threshold: float,
    observed: np.ndarray,
    priors: dict[str, Prior],
    n: int,
    seed: int,
) -> tuple[pd.DataFrame, float]:
    """`n` prior draws inside the region, and the prior mass of the region.

    Raises:
        NpeError: If the region holds less prior mass than rejection can find in
            BATCH x MAX_BATCHES draws.
    """
    kept, tried = [], 0
    for batch in range(MAX_BATCHES):
        draws = prior_draws(priors, BATCH, seed + batch)
        tried += BATCH
        inside = ensemble.log_prob(draws.to_numpy(), observed) >= threshold
        kept.append(draws[inside])
        if sum(len(k) for k in kept) >= n:
            break
    found = pd.concat(kept, ignore_index=True)
    if len(found) < n:
        raise NpeError(
            "calibration.npe.rounds",
            f"the previous round's posterior region holds only {len(found)} of {tried:,} prior "
            f"draws, too few for the {n} second-round simulations: use rounds: 1, or more "
            "first-round simulations",
        )
    return found.iloc[:n].reset_index(drop=True), len(found) / tried
