"""The plan of a sensitivity analysis: its parameters and ranges, SALib's sample, as a sweep.

The parameters and their ranges come from the scenario's `sweep:` block or, if it has none,
its `calibration:` block (the priors' bounds). SALib makes the sample: Saltelli's scheme over
a scrambled Sobol sequence (first and total indices, no second order), or Morris
trajectories. The sample becomes the table design of a sweep (:func:`plan_sweep` with the
points in memory), so that every (point, replicate) is one stored, resumable run on any
executor.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.errors import TalentsimError
from talentsim.extras import require
from talentsim.runs.designs import MAX_POINTS, DesignError, check_parameters
from talentsim.runs.outputs import default_output
from talentsim.runs.sweep import SweepPlan, plan_sweep
from talentsim.scenario.loader import LoadedScenario
from talentsim.scenario.schema import Scenario
from talentsim.scenario.sweep_block import SweepConfig, SweepParameter

METHODS = ("sobol", "morris")
DEFAULT_N = {"sobol": 64, "morris": 16}
DEFAULT_REPLICATES = 2
MORRIS_LEVELS = 4


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
    require("calibrate", "a sensitivity analysis over a calibration's non-uniform priors")
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
    points = n * (len(problem.keys) + (2 if method == "sobol" else 1))
    if points > MAX_POINTS:
        raise SensitivityError(
            f"--n {n} with {len(problem.keys)} parameters makes {points:,} points, more than "
            f"the {MAX_POINTS:,} a sweep may have; lower --n"
        )
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
