"""Coverage checks of a neural posterior on simulations held out of its training.

For each held-out simulation (parameters drawn from the priors, statistics simulated), the
posterior given its statistics should contain the true parameters as often as its
credibility says. Two checks:

- per parameter (simulation-based calibration): the rank of the true value among the
  posterior draws; the share of held-out simulations whose true value lies in the central
  interval of each credibility level is that parameter's expected coverage, and the
  verdict reads the 90 % coverages against their binomial noise (:attr:`Coverage.verdict`);
- jointly, TARP (Lemos, Coogan et al. 2023, arXiv:2302.03026): the expected coverage of
  random-reference balls in the z-scored parameter space, with sbi's ``check_tarp`` for
  the area between the coverage curve and the diagonal (ATC) and its Kolmogorov-Smirnov
  p-value.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Credibility levels at which coverage is tabled.
LEVELS = (0.5, 0.8, 0.9, 0.95)
#: Standard errors by which a parameter's 90 % coverage must miss 0.9 to count as a miss.
MISS_SE = 2.0
COVERAGE_FILE = "coverage.json"


@dataclass
class Coverage:
    """The coverage checks' results."""

    per_parameter: pd.DataFrame  # parameter, level, coverage, se
    tarp_alpha: np.ndarray
    tarp_ecp: np.ndarray
    atc: float
    ks_pvalue: float
    held_out: int

    @property
    def verdict(self) -> str:
        """'overconfident', 'underconfident' or 'calibrated'.

        Overconfident if some parameter's 90 % intervals cover its true value less often
        than 0.9 by more than :data:`MISS_SE` binomial standard errors; underconfident if
        none does and some cover it more often by as much; else calibrated (within noise).
        """
        at90 = self.per_parameter[self.per_parameter["level"] == 0.9]
        miss = (at90["coverage"] - 0.9) / at90["se"]
        if (miss < -MISS_SE).any():
            return "overconfident"
        if (miss > MISS_SE).any():
            return "underconfident"
        return "calibrated"

    def summary(self) -> dict[str, float | int | str]:
        """Figures for the manifest."""
        at90 = self.per_parameter[self.per_parameter["level"] == 0.9]
        return {
            "held_out": self.held_out,
            "tarp_atc": round(self.atc, 4),
            "tarp_ks_pvalue": round(self.ks_pvalue, 4),
            "verdict": self.verdict,
            "coverage_90_min": round(float(at90["coverage"].min()), 3),
            "coverage_90_median": round(float(at90["coverage"].median()), 3),
        }

    def save(self, folder: Path) -> None:
        """Write the checks to folder/coverage.json (a re-fit of the estimator reads them)."""
        from talentsim.storage.atomic import write_json

        data = {
            "per_parameter": self.per_parameter.to_dict(orient="list"),
            "tarp_alpha": self.tarp_alpha.tolist(),
            "tarp_ecp": self.tarp_ecp.tolist(),
            "atc": self.atc,
            "ks_pvalue": self.ks_pvalue,
            "held_out": self.held_out,
        }
        write_json(Path(folder) / COVERAGE_FILE, data)

    @classmethod
    def load(cls, folder: Path) -> Coverage | None:
        """The checks stored by :meth:`save`, or None if there are none (or unreadable)."""
        from talentsim.storage.folders import read_small_text

        try:
            data = json.loads(read_small_text(Path(folder) / COVERAGE_FILE) or "null")
            return cls(
                pd.DataFrame(data["per_parameter"]),
                np.asarray(data["tarp_alpha"], dtype=float),
                np.asarray(data["tarp_ecp"], dtype=float),
                float(data["atc"]),
                float(data["ks_pvalue"]),
                int(data["held_out"]),
            )
        except (ValueError, TypeError, KeyError):
            return None


def ranks(draws: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Normalised rank of each true value among its draws: (simulations, parameters) in [0, 1].

    Args:
        draws: Posterior draws, shape (draws, simulations, parameters).
        truth: The true values, shape (simulations, parameters).
    """
    below = (draws < truth[None]).mean(axis=0)
    ties = (draws == truth[None]).mean(axis=0)
    return below + 0.5 * ties


def per_parameter(rank: np.ndarray, parameters: list[str]) -> pd.DataFrame:
    """Expected coverage of each parameter's central intervals at :data:`LEVELS`."""
    rows = []
    n = len(rank)
    for j, key in enumerate(parameters):
        for level in LEVELS:
            inside = np.abs(rank[:, j] - 0.5) <= level / 2
            rows.append(
                {
                    "parameter": key,
                    "level": level,
                    "coverage": float(inside.mean()),
                    "se": float(np.sqrt(level * (1 - level) / n)),
                }
            )
    return pd.DataFrame(rows)


def tarp(
    draws: np.ndarray, truth: np.ndarray, seed: int, bins: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """TARP's credibility levels and expected coverage probabilities.

    In the space z-scored by the true values, one random reference point per simulation
    (uniform over the true values' box); the credibility of a simulation's truth is the share
    of its draws nearer the reference than the truth; the coverage at level a is the share of
    simulations whose credibility is below a.
    """
    mean, sd = truth.mean(axis=0), truth.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z_draws, z_truth = (draws - mean) / sd, (truth - mean) / sd
    rng = np.random.default_rng(seed)
    low, high = z_truth.min(axis=0), z_truth.max(axis=0)
    reference = rng.uniform(low, high, size=z_truth.shape)
    near_draws = np.linalg.norm(z_draws - reference[None], axis=2)
    near_truth = np.linalg.norm(z_truth - reference, axis=1)
    credibility = (near_draws < near_truth[None]).mean(axis=0)
    bins = bins or max(len(truth) // 10, 2)
    alpha = np.linspace(0, 1, bins + 1)
    ecp = np.array([(credibility < a).mean() for a in alpha])
    return alpha, ecp


def check(draws: np.ndarray, truth: np.ndarray, parameters: list[str], seed: int) -> Coverage:
    """Both checks on draws (draws, simulations, parameters) of held-out true values."""
    import torch
    from sbi.diagnostics import check_tarp

    alpha, ecp = tarp(draws, truth, seed)
    with warnings.catch_warnings():  # scipy's note that it uses the asymptotic KS p-value
        warnings.simplefilter("ignore", RuntimeWarning)
        atc, ks = check_tarp(torch.as_tensor(ecp), torch.as_tensor(alpha))
    return Coverage(
        per_parameter(ranks(draws, truth), parameters),
        alpha,
        ecp,
        float(atc),
        float(ks),
        len(truth),
    )
