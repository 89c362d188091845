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

from talentsim.errors import TalentsimError
from talentsim.scenario import Scenario
from talentsim.timeline import TimelineError, check_timeline, last_step

#: How pydantic names a member of a union in an error's location.
UNION_TAG = re.compile(r"^[a-z_-]+\[.*\]$")

#: Prefix that names a scenario shipped inside the package, e.g. ``talentsim:baseline``.
BUILTIN_PREFIX = "talentsim:"
#: What a built-in name may look like (no folders: it cannot leave the package's library).
BUILTIN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}(\.yaml)?$")
#: `extends: none`: a scenario that starts from the schema's defaults, without the baseline.
NO_BASE = "none"
#: Largest scenario file read (scenario files are a few kilobytes).
MAX_FILE_BYTES = 1 << 20
#: Most values a file may expand to (YAML aliases can make a small file expand enormously).
MAX_NODES = 200_000
#: Longest `extends:` chain.
MAX_CHAIN = 32
#: Keys of earlier versions, and what replaced them.
RENAMED: dict[KeyPath, str] = {
    ("population", "size"): "population.agents (the agents; population.people is the pool "
    "they stand for)",
    ("population", "weight"): "population.people (the people in the pool; each agent stands "
    "for people / agents of them)",
}

KeyPath = tuple[str | int, ...]
Origin = tuple[str, int | None]  # (file or "--set", line)


class ScenarioError(TalentsimError):
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
    notes: list[str] = field(default_factory=list)  # what loading changed, for the user

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
    data = resolved_dict(scenario)
    data = {"name": data.pop("name"), "extends": NO_BASE, **data}
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def builtin_path(name: str) -> Path:
    """Path of a scenario shipped with the package (``baseline`` or ``baseline.yaml``).

    Raises:
        ScenarioError: If `name` is not a plain name (a folder or ``..`` in it), so that
            a built-in name never leads outside the package's scenario library.
    """
    if not BUILTIN_NAME.match(name):
        raise ScenarioError(
            [
                (
                    None,
                    "",
                    f"'{BUILTIN_PREFIX}{name[:60]}' is not a built-in scenario name (letters, "
                    f"digits, '-' and '_' only); built-in: {', '.join(builtin_names())}",
                )
            ]
        )
    stem = name.removesuffix(".yaml")
    return Path(str(resources.files("talentsim") / "scenarios" / f"{stem}.yaml"))


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with the package."""
    folder = Path(str(resources.files("talentsim") / "scenarios"))
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _builtin(name: str, origin: Origin | None, key: str) -> Path:
    path = builtin_path(name)
    if not path.is_file():
        raise ScenarioError(
            [
                (
                    origin,
                    key,
                    f"there is no built-in scenario '{name}'; built-in: "
                    + ", ".join(builtin_names()),
                )
            ]
        )
    return path


def resolve_scenario_path(spec: str | Path | None) -> Path:
    """Turn a command-line scenario argument into a file path.

    A path to an existing file wins; otherwise a built-in name (``baseline``) is tried.
    None means the built-in baseline.
    """
    if spec is None:
        return builtin_path("baseline")
    text = str(spec)
    if text.startswith(BUILTIN_PREFIX):
        return _builtin(text.removeprefix(BUILTIN_PREFIX), None, "")
    path = Path(text)
    if path.exists() or "/" in text or not BUILTIN_NAME.match(text):
        return path
    candidate = builtin_path(text)
    return candidate if candidate.exists() else path


def load_scenario(path: str | Path | None, overrides: list[str] | None = None) -> LoadedScenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: Scenario file, built-in name, or None for the baseline.
        overrides: ``KEY=VALUE`` strings applied after the file (``population.agents=2000``).

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
    scenario = _validate(data, origins, str(file))
    _check_survey_years(scenario, origins)
    kept = _interventions_in_window(scenario, origins, [str(f) for f in files])
    notes = _dropped_notes(scenario, origins, kept)
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
        scenario=scenario,
        files=[str(f) for f in files],
        overrides=overrides,
        origins=origins,
        notes=notes,
    )


def _check_survey_years(scenario: Scenario, origins: dict[KeyPath, Origin]) -> None:
    """Survey years must fall inside the run (a survey after its end would be ignored)."""
    years = scenario.survey.years
    if years == "all":
        return
    t = scenario.time
    outside = [y for y in years if not t.start <= y <= t.end]
    if outside:
        raise ScenarioError(
            [
                (
                    _origin_for(origins, ("survey", "years")),
                    "survey.years",
                    f"{', '.join(map(str, outside))} fall(s) outside the run ({t.start}-{t.end}), "
                    "so no survey would be fielded then; survey years must lie within "
                    "time.start and time.end",
                )
            ]
        )


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
    """Read a file and, recursively, what it extends; merge them.

    The first file of the chain is the user's scenario; every file after it is checked to
    be a scenario before anything of it is shown (see :func:`_check_is_scenario`).
    """
    data, origins = _read_file(file, extended=bool(stack))
    extends = data.get("extends")
    if extends is None:
        if not data:
            raise ScenarioError([((str(file), None), "", "the file is empty: " + _NO_EXTENDS)])
        raise ScenarioError(
            [((str(file), None), "extends", "the file has no `extends:`; " + _NO_EXTENDS)]
        )
    if not isinstance(extends, str) or not extends.strip():
        raise ScenarioError(
            [(origins.get(("extends",)), "extends", "expected the path of a scenario file")]
        )
    if extends.strip() == NO_BASE:
        return data, origins, [file]
    chain = (*stack, file.resolve())
    if len(chain) >= MAX_CHAIN:
        raise ScenarioError(
            [
                (
                    origins.get(("extends",)),
                    "extends",
                    f"the `extends:` chain is longer than {MAX_CHAIN} files; a scenario "
                    "extends a few others at most",
                )
            ]
        )
    if extends.startswith(BUILTIN_PREFIX):
        base_file = _builtin(
            extends.removeprefix(BUILTIN_PREFIX), origins.get(("extends",)), "extends"
        )
    else:
        base_file = (file.parent / extends).resolve()
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


_NO_EXTENDS = (
    "write `extends: talentsim:baseline` (or the path of another scenario) to start from "
    "the calibrated baseline, with its timeline, or `extends: none` to start from the "
    "schema's defaults alone, without the baseline's timeline"
)


def _read_file(file: Path, extended: bool) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """Read and parse one scenario file, refusing what cannot be a scenario."""
    shown = str(file)
    if file.is_dir():
        raise ScenarioError([((shown, None), "", "is a folder, not a scenario file")])
    if not file.is_file():
        raise ScenarioError([((shown, None), "", "file not found")])
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                [
                    (
                        (shown, None),
                        "",
                        f"is {size:,} bytes, larger than a scenario file can be "
                        f"({MAX_FILE_BYTES:,} bytes): not a scenario file",
                    )
                ]
            )
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(
            [((shown, None), "", "is not a text file (UTF-8): not a scenario file")]
        ) from None
    except OSError as err:
        raise ScenarioError([((shown, None), "", f"cannot be read ({err.strerror})")]) from None
    data, origins = _parse_yaml(text, shown, extended)
    _check_is_scenario(data, origins, shown, extended)
    return data, origins


def _check_is_scenario(
    data: dict[str, Any], origins: dict[KeyPath, Origin], shown: str, extended: bool
) -> None:
    """Refuse a mapping that is not a scenario, without showing any of its content.

    The user's own file is a scenario if one of its top-level keys is a scenario key (its
    other keys are then reported by name, as typos); a file it extends must have scenario
    keys only, since its content is not the user's to see in a message.
    """
    known = set(Scenario.model_fields)
    unknown = [key for key in data if str(key) not in known]
    if not unknown or (not extended and len(unknown) < len(data)):
        return
    line = origins.get((str(unknown[0]),), (shown, None))[1]
    what = "is not a scenario file"
    if extended:
        what = "is extended as a scenario but is not a scenario file"
    raise ScenarioError(
        [
            (
                (shown, line),
                "",
                f"{what}: its top-level keys are not scenario keys (name, extends, population, "
                "visas, timeline, ...); its content is not shown",
            )
        ]
    )


def _count_nodes(root: yaml.Node | None, shown: str) -> None:
    """Refuse YAML that expands to more than MAX_NODES values (aliases count each use)."""
    count, stack = 0, [root] if root is not None else []
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ScenarioError(
                [
                    (
                        (shown, None),
                        "",
                        f"expands to more than {MAX_NODES:,} values (YAML aliases that repeat "
                        "themselves?); a scenario file holds a few hundred",
                    )
                ]
            )
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _parse_yaml(
    text: str, shown: str, extended: bool = False
) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """Parse YAML safely, recording the line of every key.

    The parser's description of a problem is shown for the user's own file only.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        _count_nodes(node, shown)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = (None if extended else getattr(err, "problem", None)) or "not valid YAML"
        raise ScenarioError([((shown, line), "", f"malformed YAML: {problem}")]) from None
    except RecursionError:
        raise ScenarioError(
            [((shown, None), "", "is nested too deeply to be a scenario file")]
        ) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else None
        raise ScenarioError(
            [
                (
                    (shown, line),
                    "",
                    "expected a mapping of keys (name: ..., population: ...): not a scenario file",
                )
            ]
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
        raise ScenarioError([(origin, item, "expected KEY=VALUE, e.g. population.agents=20000")])
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
    if path == ("timeline",) and isinstance(value, list):  # appended, as a file's timeline is
        start = len(data.get("timeline") or [])
        data["timeline"] = list(data.get("timeline") or []) + value
        for i in range(start, start + len(value)):
            origins[("timeline", i)] = ("--set", None)
        return
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


def _validate(data: dict[str, Any], origins: dict[KeyPath, Origin], root: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        problems = [_describe(e, origins, root) for e in err.errors(include_url=False)]
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
    error: dict[str, Any], origins: dict[KeyPath, Origin], root: str
) -> tuple[Origin | None, str, str]:
    """One problem as (origin, key, message).

    Values and unknown keys are echoed only from the user's own file and --set: a file it
    extends is shown by key and line, never by content.
    """
    kind = error["type"]
    loc: KeyPath = tuple(error["loc"])
    if kind != "extra_forbidden":  # drop the tags of union members: 'list[int]', "literal['all']"
        loc = tuple(p for p in loc if not (isinstance(p, str) and UNION_TAG.match(p)))
    origin = _origin_for(origins, loc)
    own = origin is None or origin[0] in (root, "--set")
    if kind == "extra_forbidden":
        suggestion = _did_you_mean(loc)
        message = f"unknown key '{loc[-1]}'" if own else "unknown key"
        if tuple(map(str, loc)) in RENAMED:
            message += f": it was replaced by {RENAMED[tuple(map(str, loc))]}"
        elif suggestion:
            message += f" (did you mean '{suggestion}'?)"
        else:
            message += f"; allowed keys: {', '.join(_allowed_keys(loc[:-1]))}"
        if not own:
            loc = loc[:-1]
    else:
        message = error["msg"].removeprefix("Value error, ")
        message = message[0].lower() + message[1:] if message else message
        if kind in {"model_type", "dict_type"}:
            message = "expected a section (a mapping of keys)"
        if "input" in error and kind != "missing" and own:
            shown = error["input"]
            if not isinstance(shown, (dict, list)):
                message += f" (got {shown!r})"
    shown_loc = loc
    if len(loc) > 1 and loc[0] == "timeline" and isinstance(loc[1], int):
        shown_loc = ("timeline", _index_in_file(origins, loc[1]), *loc[2:])
    return origin, _dotted(shown_loc), message


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
