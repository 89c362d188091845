"""Loading scenario files: safe YAML, `extends:`, `--set` overrides and clear errors.

Every error becomes a :class:`ScenarioError` naming the file, the key path and the line, so
the command line can print one paragraph and exit with status 2.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from talentsim.scenario import Scenario
from talentsim.timeline import TimelineError, check_timeline, last_step

#: How pydantic names a member of a union in an error's location.
UNION_TAG = re.compile(r"^[a-z_-]+\[.*\]$")

#: Prefix that names a scenario shipped inside the package, e.g. ``talentsim:baseline``.
BUILTIN_PREFIX = "talentsim:"

KeyPath = tuple[str | int, ...]
Origin = tuple[str, int | None]  # (file or "--set", line)


class ScenarioError(ValueError):
    """A scenario that cannot be loaded, with where the problem is."""

    def __init__(self, problems: list[tuple[Origin | None, str, str]]) -> None:
        """Create the error.

        Args:
            problems: (origin, key path, message) for each problem found.
        """
        self.problems = problems
        super().__init__(self.format())

    def format(self) -> str:
        """All problems as one paragraph of short sentences."""
        parts = []
        for origin, key, message in self.problems:
            where = []
            if origin is not None:
                where.append(origin[0])
                if origin[1] is not None:
                    where.append(f"line {origin[1]}")
            if key:
                where.append(f"key '{key}'")
            prefix = ", ".join(where)
            parts.append(f"{prefix}: {message}" if prefix else message)
        head = (
            "Invalid scenario" if len(parts) == 1 else f"Invalid scenario ({len(parts)} problems)"
        )
        return f"{head}: " + "; ".join(parts)


@dataclass
class LoadedScenario:
    """A validated scenario and what produced it."""

    scenario: Scenario
    files: list[str] = field(default_factory=list)  # the file and its `extends` chain
    overrides: list[str] = field(default_factory=list)
    origins: dict[KeyPath, Origin] = field(default_factory=dict, repr=False)

    def origin(self, key: str) -> Origin | None:
        """(file, line) where a dotted key was set; swept keys are single YAML keys."""
        if key.startswith("sweep.parameters."):
            path: KeyPath = ("sweep", "parameters", key.removeprefix("sweep.parameters."))
        else:
            path = tuple(key.split("."))
        return _origin_for(self.origins, path)

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
    return header + yaml.safe_dump(resolved_dict(scenario), sort_keys=False, allow_unicode=True)


def builtin_path(name: str) -> Path:
    """Path of a scenario shipped with the package (``baseline`` or ``baseline.yaml``)."""
    stem = name.removesuffix(".yaml")
    return Path(str(resources.files("talentsim") / "scenarios" / f"{stem}.yaml"))


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with the package."""
    folder = Path(str(resources.files("talentsim") / "scenarios"))
    return sorted(p.stem for p in folder.glob("*.yaml"))


def resolve_scenario_path(spec: str | Path | None) -> Path:
    """Turn a command-line scenario argument into a file path.

    A path to an existing file wins; otherwise a built-in name (``baseline``) is tried.
    None means the built-in baseline.
    """
    if spec is None:
        return builtin_path("baseline")
    text = str(spec)
    path = Path(text)
    if path.exists() or "/" in text or text.startswith(BUILTIN_PREFIX):
        return (
            builtin_path(text.removeprefix(BUILTIN_PREFIX))
            if text.startswith(BUILTIN_PREFIX)
            else path
        )
    candidate = builtin_path(text)
    return candidate if candidate.exists() else path


def load_scenario(path: str | Path | None, overrides: list[str] | None = None) -> LoadedScenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: Scenario file, built-in name, or None for the baseline.
        overrides: ``KEY=VALUE`` strings applied after the file (``population.size=2000``).

    Returns:
        The validated scenario with its provenance.

    Raises:
        ScenarioError: If anything is wrong; the message names file, key and line.
    """
    file = resolve_scenario_path(path)
    data, origins, files = _read_tree(file, ())
    overrides = list(overrides or [])
    for item in overrides:
        _apply_override(data, origins, item)
    data.pop("extends", None)
    scenario = _validate(data, origins)
    kept = _interventions_in_window(scenario, origins, [str(f) for f in files])
    scenario.timeline = [scenario.timeline[i] for i in kept]
    try:
        check_timeline(scenario)
    except TimelineError as err:
        index = kept[err.index] if err.index is not None else None
        message = err.message
        origin = _origin_for(origins, ("timeline", index) if index is not None else ("timeline",))
        key = f"timeline[{_index_in_file(origins, index)}]" if index is not None else "timeline"
        window = [item for item in overrides if item.strip().startswith("time.")]
        if window:
            message += f" (the run's period was changed by --set {', --set '.join(window)})"
        raise ScenarioError([(origin, key, message)]) from None
    return LoadedScenario(
        scenario=scenario, files=[str(f) for f in files], overrides=overrides, origins=origins
    )


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


def _index_in_file(origins: dict[KeyPath, Origin], index: int) -> int:
    """Position of merged timeline entry `index` in the file that wrote it.

    Timelines concatenate along the `extends` chain, so the merged index would point past
    the entries of the user's own file.
    """
    file = origins.get(("timeline", index), (None, None))[0]
    return sum(1 for j in range(index) if origins.get(("timeline", j), (None, None))[0] == file)


# --------------------------------------------------------------------------- YAML reading


def _read_tree(
    file: Path, stack: tuple[Path, ...]
) -> tuple[dict[str, Any], dict[KeyPath, Origin], list[Path]]:
    """Read a file and, recursively, what it extends; merge them."""
    shown = str(file)
    if file.is_dir():
        raise ScenarioError([((shown, None), "", "is a folder, not a scenario file")])
    if not file.is_file():
        raise ScenarioError([((shown, None), "", "file not found")])
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError([((shown, None), "", f"cannot be read ({err})")]) from None
    data, origins = _parse_yaml(text, shown)
    extends = data.get("extends")
    if extends is None:
        return data, origins, [file]
    if not isinstance(extends, str) or not extends.strip():
        raise ScenarioError(
            [(origins.get(("extends",)), "extends", "expected the path of a scenario file")]
        )
    if extends.startswith(BUILTIN_PREFIX):
        base_file = builtin_path(extends.removeprefix(BUILTIN_PREFIX))
    else:
        base_file = (file.parent / extends).resolve()
    chain = (*stack, file.resolve())
    if base_file.resolve() in chain:
        cycle = " -> ".join(str(p) for p in (*chain, base_file.resolve()))
        raise ScenarioError(
            [(origins.get(("extends",)), "extends", f"extends itself in a cycle: {cycle}")]
        )
    if not base_file.is_file():
        raise ScenarioError(
            [
                (
                    origins.get(("extends",)),
                    "extends",
                    f"the file it extends does not exist: {base_file}",
                )
            ]
        )
    base, base_origins, files = _read_tree(base_file, chain)
    merged, merged_origins = _merge(base, base_origins, data, origins)
    return merged, merged_origins, [file, *files]


def _parse_yaml(text: str, shown: str) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """Parse YAML safely, recording the line of every key."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError([((shown, line), "", f"malformed YAML: {problem}")]) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else None
        raise ScenarioError(
            [((shown, line), "", "expected a mapping of keys (name: ..., population: ...)")]
        )
    origins: dict[KeyPath, Origin] = {}
    _record_lines(node, (), shown, origins)
    return data, origins


def _record_lines(
    node: yaml.Node, path: KeyPath, shown: str, origins: dict[KeyPath, Origin]
) -> None:
    """Walk the node tree, storing (file, line) for each key path; reject duplicate keys."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub = (*path, key)
            if key in seen:
                dotted = _dotted(sub)
                raise ScenarioError(
                    [((shown, key_node.start_mark.line + 1), dotted, "duplicate key")]
                )
            seen.add(key)
            origins[sub] = (shown, key_node.start_mark.line + 1)
            _record_lines(value_node, sub, shown, origins)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            origins[sub] = (shown, item.start_mark.line + 1)
            _record_lines(item, sub, shown, origins)


def _merge(
    base: dict[str, Any],
    base_origins: dict[KeyPath, Origin],
    child: dict[str, Any],
    child_origins: dict[KeyPath, Origin],
) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """Child over base.

    Mappings merge key by key, `timeline` lists concatenate, a `sweep` block replaces the
    base's, and everything else is replaced.
    """
    merged = copy.deepcopy(base)
    origins = dict(base_origins)
    offset = len(base.get("timeline") or [])
    for path, origin in child_origins.items():
        if path and path[0] == "timeline" and len(path) > 1 and isinstance(path[1], int):
            path = ("timeline", path[1] + offset, *path[2:])
        origins[path] = origin
    _merge_into(merged, child, top=True)
    return merged, origins


def _merge_into(target: dict[str, Any], child: dict[str, Any], top: bool) -> None:
    for key, value in child.items():
        if top and key == "timeline" and isinstance(value, list):
            target["timeline"] = list(target.get("timeline") or []) + copy.deepcopy(value)
        elif top and key in ("sweep", "calibration"):  # replaced as a whole, not merged
            target[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value, top=False)
        else:
            target[key] = copy.deepcopy(value)


# --------------------------------------------------------------------------- overrides


def parse_override(item: str) -> tuple[KeyPath, Any]:
    """Split ``a.b.c=VALUE`` into a key path and a YAML-parsed value.

    Raises:
        ScenarioError: If the text is not of that form.
    """
    origin: Origin = ("--set", None)
    if "=" not in item:
        raise ScenarioError([(origin, item, "expected KEY=VALUE, e.g. population.size=20000")])
    key, text = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ScenarioError(
            [(origin, key or item, "expected a dotted key such as visas.h1b_approval_rate")]
        )
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        value = text
    path: KeyPath = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    return path, value


def _apply_override(data: dict[str, Any], origins: dict[KeyPath, Origin], item: str) -> None:
    path, value = parse_override(item)
    target: Any = data
    for depth, part in enumerate(path[:-1]):
        if isinstance(target, list) and isinstance(part, int):
            if part >= len(target):
                raise ScenarioError(
                    [
                        (
                            ("--set", None),
                            _dotted(path),
                            f"there is no item {part} in {_dotted(path[:depth])}",
                        )
                    ]
                )
            target = target[part]
        elif isinstance(target, dict):
            target = target.setdefault(part, {})
        else:
            raise ScenarioError(
                [(("--set", None), _dotted(path), f"'{_dotted(path[:depth])}' is not a section")]
            )
        if not isinstance(target, (dict, list)):
            raise ScenarioError(
                [
                    (
                        ("--set", None),
                        _dotted(path),
                        f"'{_dotted(path[: depth + 1])}' is not a section",
                    )
                ]
            )
    last = path[-1]
    in_list = isinstance(target, list) and isinstance(last, int) and last < len(target)
    if in_list or isinstance(target, dict):
        target[last] = value
    else:
        raise ScenarioError([(("--set", None), _dotted(path), "cannot set this key")])
    for known in [p for p in origins if p[: len(path)] == path]:
        del origins[known]
    for end in range(1, len(path) + 1):
        origins.setdefault(path[:end], ("--set", None))
    origins[path] = ("--set", None)


# --------------------------------------------------------------------------- validation


def _validate(data: dict[str, Any], origins: dict[KeyPath, Origin]) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        problems = [_describe(e, origins) for e in err.errors(include_url=False)]
        raise ScenarioError(_merge_alternatives(problems)) from None


def _merge_alternatives(
    problems: list[tuple[Origin | None, str, str]],
) -> list[tuple[Origin | None, str, str]]:
    """One problem per key: the failed alternatives of a union read 'a or b (got x)'."""
    merged: dict[str, tuple[Origin | None, list[str], str]] = {}
    for origin, key, message in problems:
        text, got = message, ""
        if message.endswith(")") and " (got " in message:
            text, got = message.rsplit(" (got ", 1)
            got = f" (got {got}"
        if key in merged:
            merged[key][1].append(text.removeprefix("input should be "))
        else:
            merged[key] = (origin, [text], got)
    return [(origin, key, " or ".join(texts) + got) for key, (origin, texts, got) in merged.items()]


def _describe(
    error: dict[str, Any], origins: dict[KeyPath, Origin]
) -> tuple[Origin | None, str, str]:
    kind = error["type"]
    loc: KeyPath = tuple(error["loc"])
    if kind != "extra_forbidden":  # drop the tags of union members: 'list[int]', "literal['all']"
        loc = tuple(p for p in loc if not (isinstance(p, str) and UNION_TAG.match(p)))
    if kind == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
        suggestion = _did_you_mean(loc)
        if suggestion:
            message += f" (did you mean '{suggestion}'?)"
        else:
            message += f"; allowed keys: {', '.join(_allowed_keys(loc[:-1]))}"
    else:
        message = error["msg"].removeprefix("Value error, ")
        message = message[0].lower() + message[1:] if message else message
        if kind in {"model_type", "dict_type"}:
            message = "expected a section (a mapping of keys)"
        if "input" in error and kind != "missing":
            shown = error["input"]
            if not isinstance(shown, (dict, list)):
                message += f" (got {shown!r})"
    shown_loc = loc
    if len(loc) > 1 and loc[0] == "timeline" and isinstance(loc[1], int):
        shown_loc = ("timeline", _index_in_file(origins, loc[1]), *loc[2:])
    return _origin_for(origins, loc), _dotted(shown_loc), message


def _origin_for(origins: dict[KeyPath, Origin], loc: KeyPath) -> Origin | None:
    """The recorded origin of the longest known prefix of a key path.

    A problem with a whole section that a --set override changed is blamed on --set.
    """
    keys = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    if any(
        o == ("--set", None) and path[: len(keys)] == keys and len(path) > len(keys)
        for path, o in origins.items()
    ):
        return ("--set", None)
    for end in range(len(loc), 0, -1):
        prefix = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if prefix in origins:
            return origins[prefix]
        alt = tuple(str(p) for p in loc[:end])
        if alt in origins:
            return origins[alt]
    files = {o[0] for o in origins.values() if o[0] != "--set"}
    return (sorted(files)[0], None) if len(files) == 1 else None


def _model_at(loc: KeyPath) -> type[BaseModel] | None:
    """The pydantic model class that owns the keys at `loc`."""
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            if model is Scenario or model is None:
                return None
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        annotation = info.annotation
        args = getattr(annotation, "__args__", ())
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            model = args[0]
        else:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _allowed_keys(loc: KeyPath) -> list[str]:
    model = _model_at(loc)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _did_you_mean(loc: KeyPath) -> str | None:
    matches = difflib.get_close_matches(str(loc[-1]), _allowed_keys(loc[:-1]), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
