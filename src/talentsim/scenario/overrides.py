"""`--set KEY=VALUE` overrides, applied to a scenario's data before it is validated.

Each value is parsed as YAML; each key is remembered as set by `--set`, so that errors
name it.
"""

from __future__ import annotations

from typing import Any

import yaml

from talentsim.scenario.keys import KeyPath, dotted
from talentsim.scenario.messages import Origin, ScenarioError

SET: Origin = ("--set", None)
#: Longest value of one --set (a timeline entry or a list of survey years is far shorter).
MAX_VALUE_CHARS = 10_000


def _refuse(key: str, message: str) -> ScenarioError:
    return ScenarioError([(SET, key, message)])


def parse_override(item: str) -> tuple[KeyPath, Any]:
    """Split ``a.b.c=VALUE`` into a key path and a YAML-parsed value.

    Raises:
        ScenarioError: If the text is not of that form.
    """
    if "=" not in item:
        raise _refuse(item[:80], "expected KEY=VALUE, e.g. population.agents=20000")
    key, text = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise _refuse(key or item, "expected a dotted key such as visas.h1b_approval_rate")
    if len(text) > MAX_VALUE_CHARS:
        raise _refuse(key, f"the value is longer than {MAX_VALUE_CHARS:,} characters")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        value = text
    except (RecursionError, ValueError):  # nested too deeply, or a number too long to read
        raise _refuse(
            key, "the value cannot be read (nested too deeply, or a number too long)"
        ) from None
    path: KeyPath = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    return path, value


def apply_override(data: dict[str, Any], origins: dict[KeyPath, Origin], item: str) -> None:
    """Apply one ``KEY=VALUE`` to the scenario's data; `timeline=[...]` appends entries."""
    path, value = parse_override(item)
    if path == ("timeline",) and isinstance(value, list):  # appended, as a file's timeline is
        start = len(data.get("timeline") or [])
        data["timeline"] = list(data.get("timeline") or []) + value
        for i in range(start, start + len(value)):
            origins[("timeline", i)] = SET
        return
    target = _parent(data, path)
    last = path[-1]
    in_list = isinstance(target, list) and isinstance(last, int) and last < len(target)
    if not (in_list or isinstance(target, dict)):
        raise _refuse(dotted(path), "cannot set this key")
    target[last] = value
    for known in [p for p in origins if p[: len(path)] == path]:
        del origins[known]
    for end in range(1, len(path) + 1):
        origins.setdefault(path[:end], SET)
    origins[path] = SET


def _parent(data: dict[str, Any], path: KeyPath) -> Any:
    """The section or list that holds the last part of `path` (sections made as needed)."""
    target: Any = data
    for depth, part in enumerate(path[:-1]):
        if isinstance(target, list) and isinstance(part, int):
            if part >= len(target):
                raise _refuse(dotted(path), f"there is no item {part} in {dotted(path[:depth])}")
            target = target[part]
        elif isinstance(target, dict):
            target = target.setdefault(part, {})
        else:
            raise _refuse(dotted(path), f"'{dotted(path[:depth])}' is not a section")
        if not isinstance(target, (dict, list)):
            raise _refuse(dotted(path), f"'{dotted(path[: depth + 1])}' is not a section")
    return target
