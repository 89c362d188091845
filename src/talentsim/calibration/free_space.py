"""A bijection from the priors' bounded supports to unbounded space, for the estimators.

A flow trained on bounded parameters puts some of its mass outside the bounds, and sbi
then rejects those draws: with 14 bounded parameters most draws fall outside some bound
and sampling crawls. Trained on u = f(theta) instead, every draw maps back inside:
f is the logit of the position in [low, high] for a parameter bounded on both sides, the
log of the distance to the bound for one bounded on one side, the identity otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from talentsim.calibration.training import prior_support
from talentsim.scenario.calibration_block import Prior

#: Values closer to a bound than this share of the range are moved to it (logit(0) = -inf).
EDGE = 1e-9


@dataclass
class FreeSpace:
    """The bijection for parameters with these bounds (infinite where unbounded)."""

    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, priors: dict[str, Prior]) -> FreeSpace:
        """The bijection of the priors' supports."""
        lows, highs = prior_support(priors)
        return cls(np.array(lows, dtype=float), np.array(highs, dtype=float))

    @property
    def _both(self) -> np.ndarray:
        return np.isfinite(self.low) & np.isfinite(self.high)

    @property
    def _low_only(self) -> np.ndarray:
        return np.isfinite(self.low) & ~np.isfinite(self.high)

    @property
    def _high_only(self) -> np.ndarray:
        return ~np.isfinite(self.low) & np.isfinite(self.high)

    def to_free(self, theta: np.ndarray) -> np.ndarray:
        """U = f(theta), column by column."""
        theta = np.asarray(theta, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.clip((theta - self.low) / (self.high - self.low), EDGE, 1 - EDGE)
            logit = np.log(p) - np.log1p(-p)
            above = np.log(np.maximum(theta - self.low, EDGE))
            below = np.log(np.maximum(self.high - theta, EDGE))
        return np.select(
            [self._both, self._low_only, self._high_only], [logit, above, below], theta
        )

    def from_free(self, u: np.ndarray) -> np.ndarray:
        """Theta = f^-1(u), column by column."""
        u = np.asarray(u, dtype=float)
        with np.errstate(invalid="ignore", over="ignore"):
            inside = self.low + (self.high - self.low) / (1.0 + np.exp(-u))
            above, below = self.low + np.exp(u), self.high - np.exp(u)
        return np.select([self._both, self._low_only, self._high_only], [inside, above, below], u)

    def log_jacobian(self, u: np.ndarray) -> np.ndarray:
        """Log |d theta / d u| summed over the parameters, one value per row."""
        u = np.asarray(u, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            logistic = np.log(self.high - self.low) - np.logaddexp(0.0, -u) - np.logaddexp(0.0, u)
        terms = np.select([self._both, self._low_only | self._high_only], [logistic, u], 0.0)
        return terms.sum(axis=-1)
