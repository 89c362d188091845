"""talentsim as an EMA Workbench model: ``talentsim.ema(scenario)``.

The model is an EMA ``ReplicatorModel`` whose function runs one replicate of the scenario
with the experiment's values set (as a sweep's point would be) and returns the run's
outcomes (the row a sweep stores: ``returns_<year>``, ``returns_total``, ``in_us_end``,
``returned_end``, ``survey_<year>_<sector>``). Replicate r of every experiment is seeded
from the scenario's seed and r alone, so experiments share their random numbers (common
random numbers): differences between experiments are the parameters' effect, not noise.

Uncertainties and levers are scenario keys: by default the parameters of the scenario's
`sweep:` block (a range, or the smallest to the largest of its values), or keys named with
``(low, high)`` bounds, or with the bounds the schema gives them. EMA names must be Python
identifiers, so a key's dots become double underscores there
(``visas.h1b_approval_rate`` is ``visas__h1b_approval_rate`` in EMA's experiments).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from talentsim.errors import TalentsimError
from talentsim.extras import require
from talentsim.scenario.schema import Scenario

DEFAULT_OUTCOMES = ("returns_total", "in_us_end", "returned_end")
Bounds = tuple[float, float]
Keys = Sequence[str] | Mapping[str, Bounds] | None


class EmaModelError(TalentsimError):
    """Keys or bounds an EMA model cannot be made of."""


@dataclass
class TalentsimFunction:
    """The model's function: one replicate of the scenario at an experiment's values.

    Picklable, so that EMA's multiprocessing evaluator can send it to its workers.
    """

    scenario: Scenario
    outcomes: tuple[str, ...]

    def __call__(self, replicate: int = 0, **values: float) -> dict[str, float]:
        """Run replicate `replicate` with `values` set; return the outcomes."""
        from talentsim.runs.designs import point_scenario
        from talentsim.runs.replicate import simulate
        from talentsim.runs.sweep import RunSpec, outcome_row

        values = {scenario_key(k): float(v) for k, v in values.items()}
        scenario = point_scenario(self.scenario, values)
        sequence = np.random.SeedSequence(self.scenario.seed, spawn_key=(int(replicate),))
        result = simulate(scenario, int(replicate), seed_sequence=sequence)
        spec = RunSpec(0, int(replicate), (), self.scenario.seed, (int(replicate),))
        row = outcome_row(spec, result.timeseries.assign(point=0), result.survey)
        return {name: float(row.get(name, np.nan)) for name in self.outcomes}


def ema_name(key: str) -> str:
    """A scenario key as an EMA parameter name (a Python identifier): dots become "__"."""
    return key.replace(".", "__")


def scenario_key(name: str) -> str:
    """The scenario key of an EMA parameter name (:func:`ema_name` undone)."""
    return name.replace("__", ".")


def schema_bounds(key: str) -> Bounds:
    """The bounds the schema gives a numeric key (ge/gt and le/lt).

    Raises:
        EmaModelError: If the key is not numeric or the schema bounds it on one side only.
    """
    import annotated_types as at
    from pydantic import BaseModel

    model: Any = Scenario
    info = None
    for part in key.split("."):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            info = None
            break
        info = model.model_fields.get(part)
        if info is None:
            break
        model = info.annotation
    if info is None or model not in (int, float):
        raise EmaModelError(f"{key} is not a numeric scenario key")
    low = high = None
    for meta in info.metadata:
        if isinstance(meta, at.Ge | at.Gt):
            low = float(getattr(meta, "ge", getattr(meta, "gt", None)))
        if isinstance(meta, at.Le | at.Lt):
            high = float(getattr(meta, "le", getattr(meta, "lt", None)))
    if low is None or high is None:
        raise EmaModelError(
            f"the schema bounds {key} on one side at most; give its bounds, e.g. "
            f"uncertainties={{'{key}': (low, high)}}"
        )
    return low, high


def _load(scenario: Any, overrides: Any) -> Scenario:
    from talentsim.scenario.loader import LoadedScenario, from_scenario, load_scenario

    if isinstance(scenario, LoadedScenario):
        scenario = scenario.scenario
    if isinstance(scenario, Scenario):
        return from_scenario(scenario, overrides).scenario
    return load_scenario(scenario, overrides).scenario


def _named(keys: Keys) -> dict[str, Bounds]:
    if keys is None:
        return {}
    if isinstance(keys, Mapping):
        return {k: (float(lo), float(hi)) for k, (lo, hi) in keys.items()}
    return {k: schema_bounds(k) for k in keys}


def _sweep_bounds(scenario: Scenario) -> dict[str, Bounds]:
    if scenario.sweep is None:
        return {}
    bounds = {}
    for key, spec in scenario.sweep.parameters.items():
        low, high = spec.range if spec.range is not None else (min(spec.values), max(spec.values))
        bounds[key] = (float(low), float(high))
    return bounds


def _parameters(bounds: dict[str, Bounds]) -> list[Any]:
    from ema_workbench import IntegerParameter, RealParameter

    from talentsim.scenario.keys import leaf_type

    made = []
    for key, (low, high) in bounds.items():
        if not low < high:
            raise EmaModelError(f"{key}: bounds ({low:g}, {high:g}) are empty or reversed")
        if leaf_type(key) is int:
            made.append(IntegerParameter(ema_name(key), int(low), int(high)))
        else:
            made.append(RealParameter(ema_name(key), low, high))
    return made


def ema(
    scenario: Any = None,
    overrides: Any = None,
    *,
    uncertainties: Keys = None,
    levers: Keys = None,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    replications: int = 2,
    aggregate: Any = None,
    name: str = "talentsim",
) -> Any:
    """An EMA Workbench ``ReplicatorModel`` of a scenario.

    Args:
        scenario: A scenario file, built-in name, Scenario or loaded scenario (the baseline
            if None).
        overrides: Applied to the scenario, e.g. ``{"population.agents": 4000}``.
        uncertainties: Keys (bounds from the schema) or a mapping of keys to (low, high);
            default: the scenario's sweep parameters that are not levers.
        levers: The same, for the policy levers (default: none).
        outcomes: Names of a sweep's run row (see module docstring).
        replications: Replicates per experiment, seeded by replicate alone (common random
            numbers across experiments).
        aggregate: None keeps every replicate (``ArrayOutcome``: experiments x replicates;
            ``ema_workbench.process_replications`` averages them); a function (``np.mean``)
            reduces them to one value per experiment (``ScalarOutcome``).
        name: The model's name in EMA (a plain identifier).

    Raises:
        EmaModelError: If there is no uncertainty, or a key or its bounds cannot be used.
    """
    require("discovery", "talentsim.ema (the EMA Workbench)")
    from talentsim.discovery.analysis import workbench

    workbench("prim")  # imports ema_workbench without its optional-backend warnings
    from ema_workbench import ArrayOutcome, ReplicatorModel, ScalarOutcome

    base = _load(scenario, overrides)
    lever_bounds = _named(levers)
    named = _named(uncertainties)
    swept = {k: b for k, b in _sweep_bounds(base).items() if k not in lever_bounds}
    uncertainty_bounds = named or swept
    if not uncertainty_bounds and not lever_bounds:
        raise EmaModelError(
            "no uncertainty or lever: give the scenario a `sweep:` block, or name keys with "
            "uncertainties=... or levers=..."
        )
    function = TalentsimFunction(base.model_copy(update={"sweep": None}), tuple(outcomes))
    model = ReplicatorModel(name, function=function)
    model.uncertainties = _parameters(uncertainty_bounds)
    model.levers = _parameters(lever_bounds)
    model.outcomes = [
        ArrayOutcome(o) if aggregate is None else ScalarOutcome(o, function=aggregate)
        for o in outcomes
    ]
    model.replications = [{"replicate": r} for r in range(replications)]
    return model
