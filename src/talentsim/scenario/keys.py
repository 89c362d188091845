"""Dotted scenario keys: read and set them, list the numeric ones, suggest a near miss.

A key is the path of a parameter through the schema's blocks, e.g.
``china.sectors.technology.pay_growth``. Sweeps, calibrations, the timeline, `--set` and
error messages all name parameters this way; this module is the one place that walks
them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from talentsim.scenario.schema import TIMELINE_SECTIONS, Scenario

KeyPath = tuple[str | int, ...]

#: Numeric parameters read only when the population is created (the timeline cannot move them).
INIT_ONLY: frozenset[str] = frozenset({"pay.reference_year", "firms.size_alpha", "pay.firm_sd"})


def get_value(obj: Any, key: str) -> Any:
    """The value at a dotted key of a scenario (or any nested pydantic model)."""
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def set_in_data(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted key in a scenario's plain data (as ``model_dump`` gives it)."""
    parts = key.split(".")
    for part in parts[:-1]:
        data = data[part]
    data[parts[-1]] = value.item() if hasattr(value, "item") else value


def leaf_type(key: str) -> type | None:
    """The type (int or float) of a numeric scenario key, or None if it is not one."""
    model: Any = Scenario
    for part in key.split("."):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = info.annotation
    return model if model in (int, float) else None


def numeric_keys(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every dotted key of an int or float parameter, in the schema's order."""
    keys = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(numeric_keys(annotation, f"{prefix}{name}."))
        elif annotation in (int, float):
            keys.append(f"{prefix}{name}")
    return keys


def timeline_keys() -> list[str]:
    """The float parameters the timeline may change (not those read only at the start)."""
    return [
        key
        for key in numeric_keys()
        if key.split(".")[0] in TIMELINE_SECTIONS
        and leaf_type(key) is float
        and key not in INIT_ONLY
    ]


def model_at(path: KeyPath) -> type[BaseModel] | None:
    """The schema block that owns the keys at `path` (None if `path` is not a block)."""
    model: Any = Scenario
    for part in path:
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


def allowed_keys(path: KeyPath) -> list[str]:
    """The keys the block at `path` accepts (their YAML names)."""
    model = model_at(path)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def did_you_mean(word: str, choices: list[str]) -> str | None:
    """The choice closest to `word`, if one is close enough to be a typo."""
    import difflib

    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def dotted(path: KeyPath) -> str:
    """A key path as text: ``timeline[2].set``, ``population.agents``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def known_prefix(key: str) -> str:
    """The longest leading part of a dotted key that names keys of the schema.

    ``visas.lotery`` gives ``visas``; a known key is returned whole. Used to name where a
    problem is without showing an unknown key, which is content of its file.
    """
    kept: list[str] = []
    path: KeyPath = ()
    for part in key.split("."):
        name, _, index = part.partition("[")
        if name not in allowed_keys(path):
            break
        kept.append(part)
        path = (*path, name, *([int(index.rstrip("]"))] if index else []))
    return ".".join(kept)
