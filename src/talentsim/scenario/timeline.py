"""The scenario timeline: interventions that set, scale or add to parameters from a date.

An intervention applies from its ``from`` date; with ``to`` it moves the parameter linearly,
over [from, to], from the value it would have without this intervention to its target (set:
the value; scale: that value times the factor; add: that value plus the term).
Interventions on the same parameter compose in file order. :class:`Timeline` gives the
parameters in force at any time.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from talentsim.scenario.interventions import Intervention
from talentsim.scenario.keys import did_you_mean, get_value, timeline_keys
from talentsim.scenario.pool import TimeConfig
from talentsim.scenario.schema import Scenario


class TimelineError(ValueError):
    """A timeline entry that cannot apply; `index` is its position in the timeline."""

    def __init__(self, index: int | None, message: str) -> None:
        self.index = index
        self.message = message
        super().__init__(f"timeline[{index}]: {message}")


def last_step(time: TimeConfig) -> float:
    """Start of the run's last step, as a decimal year (2030.75 for a quarterly run to 2030)."""
    return time.end + 1 - 1 / time.steps_per_year


def with_values(base: Scenario, values: dict[str, float]) -> Scenario:
    """A copy of `base` with the dotted paths set, `base` untouched.

    Only the sections on the changed paths are copied (shallow copies along each path); the
    rest is shared with `base`, which nothing writes to during a run. A deep copy of the
    whole scenario at every step of a ramp was a measurable part of a run.
    """
    root = base.model_copy()
    copies: dict[str, Any] = {"": root}
    for path, value in values.items():
        parts = path.split(".")
        parent = root
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            if prefix not in copies:
                copies[prefix] = getattr(parent, parts[depth - 1]).model_copy()
                parent.__dict__[parts[depth - 1]] = copies[prefix]
            parent = copies[prefix]
        parent.__dict__[parts[-1]] = value
    return root


def _value_at(base: float, items: list[Intervention], t: float) -> float:
    """A parameter's value at time t after applying its interventions in order."""
    value = base
    for item in items:
        if t < item.from_:
            continue
        op, operand = item.operation
        target = operand if op == "set" else value * operand if op == "scale" else value + operand
        if item.to is None or t >= item.to:
            value = target
        else:
            value = value + (target - value) * (t - item.from_) / (item.to - item.from_)
    return value


class Timeline:
    """Parameters in force at each time of a run."""

    def __init__(self, scenario: Scenario) -> None:
        """Index the scenario's interventions by parameter."""
        self.base = scenario
        self.by_param: dict[str, list[Intervention]] = {}
        for item in scenario.timeline:
            self.by_param.setdefault(item.param, []).append(item)
        self._cache_key: tuple[float, ...] | None = None
        self._cache: Scenario = scenario

    def values_at(self, t: float) -> dict[str, float]:
        """Values of every parameter the timeline touches, at time t."""
        return {
            path: _value_at(float(get_value(self.base, path)), items, t)
            for path, items in self.by_param.items()
        }

    def params_at(self, t: float) -> Scenario:
        """The scenario with the timeline applied at time t (cached while nothing changes)."""
        if not self.by_param:
            return self.base
        values = self.values_at(t)
        key = tuple(values.values())
        if key != self._cache_key:
            self._cache_key, self._cache = key, with_values(self.base, values)
        return self._cache

    def breakpoints(self) -> list[float]:
        """Times at which some intervention starts or ends."""
        times = set()
        for item in self.base.timeline:
            times.add(item.from_)
            if item.to is not None:
                times.add(item.to)
        return sorted(times)


def check_timeline(scenario: Scenario) -> None:
    """Reject interventions on unknown parameters, outside the run, or to invalid values.

    Raises:
        TimelineError: Naming the first offending intervention.
    """
    allowed = set(timeline_keys())
    start, last = scenario.time.start, last_step(scenario.time)
    for index, item in enumerate(scenario.timeline):
        if item.param not in allowed:
            raise TimelineError(index, _unknown_param_message(item.param, allowed))
        if not start <= item.from_ <= last:
            raise TimelineError(
                index,
                f"'from: {item.from_:g}' is outside the run (its steps start at {start:g} "
                f"and the last at {last:g}, in {scenario.time.end}), so it would never "
                "apply",
            )
    timeline = Timeline(scenario)
    for t in timeline.breakpoints():  # a ramp may end after the run: it applies in part
        params = timeline.params_at(t)
        data = params.model_dump(by_alias=True)
        try:
            Scenario.model_validate(data)
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            path = ".".join(str(p) for p in first["loc"])
            index = _first_index_touching(scenario, path, t)
            raise TimelineError(
                index,
                f"at {t:g} it makes {path} = {first.get('input')!r}: "
                f"{first['msg'][0].lower()}{first['msg'][1:]}",
            ) from None


def _first_index_touching(scenario: Scenario, path: str, t: float) -> int | None:
    for index, item in enumerate(scenario.timeline):
        if (path.startswith(item.param) or item.param.startswith(path)) and item.from_ <= t:
            return index
    return None


def _unknown_param_message(path: str, allowed: set[str]) -> str:
    message = f"'{path}' is not a parameter the timeline can change"
    close = did_you_mean(path, sorted(allowed))
    if close:
        message += f" (did you mean '{close}'?)"
    else:
        message += "; use a dotted path to a number, such as visas.h1b_approval_rate"
    return message
