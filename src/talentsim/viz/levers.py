"""The levers of the browser view: which scenario key each slider sets, and its range.

A lever is a keyword argument of :class:`talentsim.viz.model.VizModel` and a slider of the
page. Its value becomes a ``KEY=VALUE`` override of the scenario file, validated like the
file itself, so the page can set nothing the command line could not. The sliders start from
the scenario's values; the scenario's timeline still applies on top of them (an entry that
scales a parameter scales the slider's value; one that sets it overrides the slider from
its date on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from talentsim.scenario.schema import Scenario

#: Agents of the browser view unless the page asks for more (Play keeps up at this size).
DEFAULT_POPULATION = 2000
POPULATION_RANGE = (200, 20_000, 200)  # min, max, step of the population slider


@dataclass(frozen=True)
class Lever:
    """One slider: a model keyword, the scenario key it sets, its label and range."""

    name: str
    key: str
    label: str
    low: float
    high: float
    step: float

    def value_in(self, scenario: Scenario) -> float:
        """The value the scenario gives this lever's key."""
        node: Any = scenario
        for part in self.key.split("."):
            node = getattr(node, part)
        return float(node)


def _weight(name: str, label: str) -> Lever:
    return Lever(f"weight_{name}", f"decisions.weights.{name}", f"Weight: {label}", 0.0, 5.0, 0.1)


#: Every lever, in the order the sidebar shows them.
LEVERS: tuple[Lever, ...] = (
    _weight("salary", "salary"),
    _weight("growth", "pay growth"),
    _weight("promotion", "promotion"),
    _weight("belonging", "belonging"),
    _weight("opportunity", "opportunity"),
    _weight("family", "family"),
    _weight("visa_risk", "visa risk"),
    _weight("tension", "tension"),
    _weight("peers", "peers"),
    Lever(
        "bamboo_penalty",
        "careers.bamboo_penalty_management",
        "Bamboo-ceiling penalty (management)",
        0.0,
        1.0,
        0.02,
    ),
    Lever(
        "china_tech_pay_growth",
        "china.sectors.technology.pay_growth",
        "Chinese tech pay growth / year",
        -0.1,
        0.3,
        0.01,
    ),
    Lever("h1b_approval_rate", "visas.h1b_approval_rate", "H-1B approval rate", 0.0, 1.0, 0.01),
    Lever("tension", "macro.tension", "US-China tension", 0.0, 1.0, 0.05),
    Lever(
        "talent_programme", "macro.talent_programme", "Talent-programme intensity", 0.0, 5.0, 0.1
    ),
)
LEVER_NAMES: tuple[str, ...] = tuple(lever.name for lever in LEVERS)


def lever_summary(scenario: Scenario, seed: int) -> str:
    """The levers in force, one short line (the sliders do not show their values)."""
    parts = [
        f"{lever.label.removeprefix('Weight: ')} {lever.value_in(scenario):g}" for lever in LEVERS
    ]
    return f"Levers: weights {', '.join(parts[:9])}; " + "; ".join(parts[9:]) + f"; seed {seed}"


def lever_overrides(values: dict[str, float | None]) -> list[str]:
    """``KEY=VALUE`` overrides for the levers given a value (None keeps the scenario's)."""
    unknown = sorted(set(values) - set(LEVER_NAMES))
    if unknown:
        raise TypeError(f"unknown lever(s): {', '.join(unknown)}; levers: {', '.join(LEVER_NAMES)}")
    return [
        f"{lever.key}={float(values[lever.name])!r}"
        for lever in LEVERS
        if values.get(lever.name) is not None
    ]


def population_overrides(scenario: Scenario, agents: int) -> list[str]:
    """Overrides for `agents` agents standing for the scenario's pool.

    The pool keeps its people (population.people); fewer agents each stand for more of them.
    """
    return [f"population.agents={min(int(agents), scenario.population.people)}"]


def default_population(scenario: Scenario) -> int:
    """Agents the page starts with: the scenario's pool, at most DEFAULT_POPULATION."""
    return min(scenario.population.agents, DEFAULT_POPULATION)


def parse_seed(text: str | int | None, fallback: int) -> tuple[int, str | None]:
    """The seed typed into the page, and a notice when it was not a whole number >= 0."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return fallback, None
    try:
        seed = int(str(text).strip())
    except ValueError:
        seed = -1
    if seed < 0:
        return fallback, f"seed {text!r} is not a whole number >= 0; using {fallback}"
    return seed, None


def model_params(scenario: Scenario) -> dict[str, Any]:
    """SolaraViz's model_params: a slider per lever, population and seed inputs.

    Every slider starts from the scenario's value; a range is widened when the scenario's
    value lies outside it.
    """
    from mesa.visualization import Slider

    params: dict[str, Any] = {}
    for lever in LEVERS:
        value = lever.value_in(scenario)  # exact: Reset untouched keeps the scenario's value
        params[lever.name] = Slider(
            lever.label,
            value=value,
            min=min(lever.low, value),
            max=max(lever.high, value),
            step=lever.step,
            dtype=float,
        )
    low, high, step = POPULATION_RANGE
    agents = default_population(scenario)
    params["population"] = Slider(
        "Population (agents)", value=agents, min=min(low, agents), max=high, step=step, dtype=int
    )
    params["seed"] = {"type": "InputText", "value": str(scenario.seed), "label": "Seed"}
    return params
