"""Loading a scenario: its files, `--set` overrides, validation, and the rules of the window.

:func:`load_scenario` reads a file and what it extends (:mod:`.files`), applies overrides
(:mod:`.overrides`), validates the result against the schema and checks its timeline and
survey years against the run's period; :func:`from_scenario` does the same for a
:class:`Scenario` made in Python. Every problem becomes a :class:`ScenarioError` naming
file, key and line (:mod:`.messages`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from talentsim.scenario.files import NO_BASE, read_tree, resolve_scenario_path
from talentsim.scenario.keys import KeyPath
from talentsim.scenario.messages import (
    Origin,
    ScenarioError,
    index_in_file,
    origin_for,
    validation_problems,
)
from talentsim.scenario.overrides import apply_override
from talentsim.scenario.schema import Scenario
from talentsim.scenario.timeline import TimelineError, check_timeline, last_step

Overrides = Mapping[str, Any] | Iterable[str] | None


@dataclass
class LoadedScenario:
    """A validated scenario and what produced it.

    Attributes:
        scenario: The resolved scenario.
        files: The file and its `extends` chain (empty for a scenario made in Python).
        overrides: The ``KEY=VALUE`` overrides applied.
        origins: (file, line) of every key, for messages.
        notes: What loading changed that the user should hear about.
    """

    scenario: Scenario
    files: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    origins: dict[KeyPath, Origin] = field(default_factory=dict, repr=False)
    notes: list[str] = field(default_factory=list)

    def origin(self, key: str) -> Origin | None:
        """(file, line) where a dotted key was set; swept keys are single YAML keys."""
        if key.startswith("sweep.parameters."):
            path: KeyPath = ("sweep", "parameters", key.removeprefix("sweep.parameters."))
        else:
            path = tuple(key.split("."))
        return origin_for(self.origins, path)

    @property
    def hash(self) -> str:
        """SHA-256 of the resolved scenario (canonical JSON)."""
        return scenario_hash(self.scenario)


def scenario_hash(scenario: Scenario) -> str:
    """Hash of a resolved scenario, stable across runs and machines."""
    text = json.dumps(resolved_dict(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def resolved_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data (every default filled in, `extends` resolved)."""
    return scenario.model_dump(mode="json", by_alias=True, exclude={"extends"})


def resolved_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML, loadable again with :func:`load_scenario`."""
    header = "# Resolved scenario: every default filled in, extends and --set applied.\n"
    data = resolved_dict(scenario)
    data = {"name": data.pop("name"), "extends": NO_BASE, **data}
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def override_strings(overrides: Overrides) -> list[str]:
    """Overrides as ``KEY=VALUE`` strings; a mapping's values are written as YAML (JSON)."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [f"{key}={json.dumps(value)}" for key, value in overrides.items()]
    return [str(item) for item in overrides]


def load_scenario(path: str | Path | None, overrides: Overrides = None) -> LoadedScenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: Scenario file, built-in name, or None for the baseline.
        overrides: ``KEY=VALUE`` strings (``population.agents=2000``) or a mapping of dotted
            keys to values, applied after the file.

    Returns:
        The validated scenario with its provenance.

    Raises:
        ScenarioError: If anything is wrong; the message names file, key and line.
    """
    file = resolve_scenario_path(path)
    try:
        data, origins, files = read_tree(file)
        return _validated(data, origins, [str(f) for f in files], override_strings(overrides))
    except ScenarioError as err:
        raise err.shown_from(str(file)) from None


def from_scenario(scenario: Scenario, overrides: Overrides = None) -> LoadedScenario:
    """A scenario made in Python, with overrides, checked like a file."""
    data = scenario.model_dump(by_alias=True, exclude={"extends"})
    return _validated(data, {}, [], override_strings(overrides))


def _validated(
    data: dict[str, Any], origins: dict[KeyPath, Origin], files: list[str], overrides: list[str]
) -> LoadedScenario:
    for item in overrides:
        apply_override(data, origins, item)
    data.pop("extends", None)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(validation_problems(err.errors(include_url=False), origins)) from None
    except RecursionError:
        raise ScenarioError([(None, "", "nested too deeply to be a scenario")]) from None
    _check_survey_years(scenario, origins)
    kept = _interventions_in_window(scenario, origins, files)
    notes = _dropped_notes(scenario, origins, kept)
    scenario.timeline = [scenario.timeline[i] for i in kept]
    _check_timeline(scenario, origins, kept, overrides)
    return LoadedScenario(scenario, files, overrides, origins, notes)


def _check_timeline(
    scenario: Scenario, origins: dict[KeyPath, Origin], kept: list[int], overrides: list[str]
) -> None:
    try:
        check_timeline(scenario)
    except TimelineError as err:
        index = kept[err.index] if err.index is not None else None
        message = err.message
        origin = origin_for(origins, ("timeline", index) if index is not None else ("timeline",))
        key = f"timeline[{index_in_file(origins, index)}]" if index is not None else "timeline"
        window = [item for item in overrides if item.strip().startswith("time.")]
        if window:
            message += f" (the run's period was changed by --set {', --set '.join(window)})"
        raise ScenarioError([(origin, key, message)]) from None


def _check_survey_years(scenario: Scenario, origins: dict[KeyPath, Origin]) -> None:
    """Survey years must fall inside the run (a survey after its end would be ignored)."""
    years = scenario.survey.years
    if years == "all":
        return
    t = scenario.time
    outside = [y for y in years if not t.start <= y <= t.end]
    if outside:
        message = (
            f"{', '.join(map(str, outside))} fall(s) outside the run ({t.start}-{t.end}), so no "
            "survey would be fielded then; survey years must lie within time.start and time.end"
        )
        raise ScenarioError([(origin_for(origins, ("survey", "years")), "survey.years", message)])


def _dropped_notes(
    scenario: Scenario, origins: dict[KeyPath, Origin], kept: list[int]
) -> list[str]:
    """A note naming the interventions left out because the run ends before they start."""
    dropped = [i for i in range(len(scenario.timeline)) if i not in set(kept)]
    if not dropped:
        return []
    described = []
    for i in dropped:
        item = scenario.timeline[i]
        origin = origins.get(("timeline", i))
        where = f" ({Path(origin[0]).name}, line {origin[1]})" if origin and origin[1] else ""
        described.append(f"{item.param} from {item.from_:g}{where}")
    return [
        f"the run ends at {last_step(scenario.time):g}, before {len(dropped)} intervention(s) "
        f"start, which are left out: {'; '.join(described)}"
    ]


def _interventions_in_window(
    scenario: Scenario, origins: dict[KeyPath, Origin], files: list[str]
) -> list[int]:
    """Indices of the timeline entries to keep.

    An entry that starts after the run's last step is left out when the run's end was set
    later in the chain than the entry (by a file that extends the entry's file, or by
    --set): the scenario it came from was written for a longer run, so `--set time.end=2017`
    on the baseline just ends before the baseline's 2018 interventions. An entry written
    with the window that excludes it is kept, and check_timeline rejects it.
    """

    def rank(origin: Origin | None) -> float:
        if origin is None:
            return math.inf  # a default: set by no file
        if origin[0] == "--set":
            return -1
        return files.index(origin[0]) if origin[0] in files else math.inf

    last = last_step(scenario.time)
    window = rank(origins.get(("time", "end")))
    return [
        i
        for i, item in enumerate(scenario.timeline)
        if item.from_ <= last or window >= rank(origins.get(("timeline", i)))
    ]
