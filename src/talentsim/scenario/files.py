"""Reading scenario files: safe YAML, the line of every key, `extends:` chains, merging.

A file is parsed with YAML's safe loader after checks that keep hostile input out: at most
1 MB, at most 200,000 values once aliases are expanded, text keys only, no merge keys. The
first file of a chain is the user's scenario; a file it extends must be a scenario (only
scenario keys at the top), or it is refused without a word of its content.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from talentsim.scenario.keys import KeyPath, dotted
from talentsim.scenario.messages import Origin, ScenarioError, safe
from talentsim.scenario.schema import Scenario

#: Prefix that names a scenario shipped inside the package, e.g. ``talentsim:baseline``.
BUILTIN_PREFIX = "talentsim:"
#: What a built-in name may look like (no folders: it cannot leave the package's library).
BUILTIN_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}(\.yaml)?")
#: `extends: none`: a scenario that starts from the schema's defaults, without the baseline.
NO_BASE = "none"
#: Largest scenario file read (scenario files are a few kilobytes).
MAX_FILE_BYTES = 1 << 20
#: Most values a file may expand to (YAML aliases can make a small file expand enormously).
MAX_NODES = 200_000
#: Longest `extends:` chain.
MAX_CHAIN = 32
NO_EXTENDS = (
    "write `extends: talentsim:baseline` (or the path of another scenario) to start from "
    "the calibrated baseline, with its timeline, or `extends: none` to start from the "
    "schema's defaults alone, without the baseline's timeline"
)

#: YAML's safe loader, in C where libyaml is installed (several times faster).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Tags a key may have: text, or a whole number (the years of survey.sample_size).
TEXT_OR_YEAR = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:int"})

Tree = tuple[dict[str, Any], dict[KeyPath, Origin], list[Path]]


def library() -> Path:
    """The folder of the scenarios shipped with the package."""
    from importlib import resources

    return Path(str(resources.files("talentsim") / "data" / "scenarios"))


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with the package."""
    return sorted(p.stem for p in library().glob("*.yaml"))


def builtin_path(name: str, origin: Origin | None = None, key: str = "") -> Path:
    """Path of a scenario shipped with the package (``baseline`` or ``baseline.yaml``).

    Raises:
        ScenarioError: If `name` is not a plain name (a folder or ``..`` in it), so that a
            built-in name never leads outside the package's library, or names none of it.
    """
    listed = ", ".join(builtin_names())
    if not BUILTIN_NAME.fullmatch(name):
        raise safe(origin, key, f"not a built-in scenario name; built-in: {listed}")
    path = library() / f"{name.removesuffix('.yaml')}.yaml"
    if not path.is_file():
        raise safe(
            origin,
            key,
            f"there is no built-in scenario of that name{closest_builtin(name)}; "
            f"built-in: {listed}",
        )
    return path


def closest_builtin(text: str, prefix: str = "") -> str:
    """' (did you mean 'baseline'?)' when `text` looks like a misspelt built-in name, else ''.

    `prefix` is written before each name (``talentsim:`` where a path is expected).
    """
    import difflib

    name = Path(text.removeprefix(BUILTIN_PREFIX)).name.removesuffix(".yaml")
    names = builtin_names()
    if not name or name in names:
        return ""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{prefix}{n}'" for n in close) + "?)"


def resolve_scenario_path(spec: str | Path | None) -> Path:
    """Turn a command-line scenario argument into a file path.

    A path to an existing file wins; otherwise a built-in name (``baseline``) is tried.
    None means the built-in baseline.
    """
    if spec is None:
        return builtin_path("baseline")
    text = str(spec)
    if text.startswith(BUILTIN_PREFIX):
        return builtin_path(text.removeprefix(BUILTIN_PREFIX), (text, None))
    path = Path(text)
    if path.exists() or "/" in text or not BUILTIN_NAME.fullmatch(text):
        return path
    candidate = library() / f"{text.removesuffix('.yaml')}.yaml"
    return candidate if candidate.is_file() else path


def read_tree(file: Path, stack: tuple[Path, ...] = ()) -> Tree:
    """Read a file and, recursively, what it extends; merge them, child over parent."""
    data, origins = read_file(file, extended=bool(stack))
    where = origins.get(("extends",), (str(file), None))
    extends = data.get("extends")
    if extends is None:
        what = "the file is empty: " if not data else "the file has no `extends:`; "
        raise safe((str(file), None), "" if not data else "extends", what + NO_EXTENDS)
    if not isinstance(extends, str) or not extends.strip():
        raise safe(where, "extends", "expected the path of a scenario file, or none")
    if extends.strip() == NO_BASE:
        return data, origins, [file]
    chain = (*stack, _resolved(file, where))
    if len(chain) >= MAX_CHAIN:
        raise safe(where, "extends", f"the `extends:` chain is longer than {MAX_CHAIN} files")
    if extends.startswith(BUILTIN_PREFIX):
        base_file = builtin_path(extends.removeprefix(BUILTIN_PREFIX), where, "extends")
    else:
        base_file = _resolved(file.parent / extends, where)
    if base_file in chain:
        cycle = " -> ".join(p.name for p in (*chain, base_file))
        raise safe(where, "extends", f"extends itself in a cycle: {cycle}")
    if base_file.is_dir():
        raise safe(
            where,
            "extends",
            f"{base_file} is a directory, but a scenario file was expected: `extends:` takes "
            "the path of a scenario file (.yaml), or talentsim:NAME for a built-in one",
        )
    if not base_file.is_file():
        hint = "" if "/" in extends else closest_builtin(extends, BUILTIN_PREFIX)
        raise ScenarioError(
            [(where, "extends", f"the file it extends does not exist: {base_file}{hint}")]
        )
    base, base_origins, files = read_tree(base_file, chain)
    merged, merged_origins = merge(base, base_origins, data, origins)
    return merged, merged_origins, [file, *files]


def _resolved(path: Path, where: Origin) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        raise safe(where, "extends", "cannot be resolved (a loop of symbolic links?)") from None


def read_file(file: Path, extended: bool) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """Read and parse one scenario file, refusing what cannot be a scenario."""
    shown = (str(file), None)
    try:
        if file.is_dir():
            raise safe(shown, "", "is a folder, not a scenario file")
        if not file.is_file():
            bare = not extended and str(file) == file.name and BUILTIN_NAME.fullmatch(file.name)
            hint = closest_builtin(file.name) if bare else ""
            raise safe(
                shown, "", "file not found" + (f", nor a built-in scenario{hint}" if hint else "")
            )
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise safe(shown, "", f"is {size:,} bytes, larger than a scenario file can be: not one")
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise safe(shown, "", "is not a text file (UTF-8): not a scenario file") from None
    except OSError as err:
        raise safe(shown, "", f"cannot be read ({err.strerror})") from None
    data, origins = parse_yaml(text, str(file), extended)
    _check_is_scenario(data, origins, str(file), extended)
    return data, origins


def _check_is_scenario(
    data: dict[str, Any], origins: dict[KeyPath, Origin], shown: str, extended: bool
) -> None:
    """Refuse a mapping that is not a scenario, without showing any of its content.

    The user's own file is a scenario if one of its top-level keys is a scenario key (its
    other keys are then reported by name, as typos); a file it extends must have scenario
    keys only.
    """
    known = set(Scenario.model_fields)
    unknown = [key for key in data if str(key) not in known]
    if not unknown or (not extended and len(unknown) < len(data)):
        return
    line = origins.get((str(unknown[0]),), (shown, None))[1]
    what = "is extended as a scenario but is not" if extended else "is not"
    raise safe(
        (shown, line),
        "",
        f"{what} a scenario file: its top-level keys are not scenario keys (name, extends, "
        "population, visas, timeline, ...); its content is not shown",
    )


def _count_nodes(root: yaml.Node | None, shown: str) -> None:
    """Refuse YAML that expands to more than MAX_NODES values (aliases count each use)."""
    count, stack = 0, [root] if root is not None else []
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise safe(
                (shown, None),
                "",
                f"expands to more than {MAX_NODES:,} values (YAML aliases that repeat "
                "themselves?); a scenario file holds a few hundred",
            )
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def parse_yaml(
    text: str, shown: str, extended: bool = False
) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """Parse YAML safely, recording the line of every key.

    The parser's description of a problem is shown for the user's own file only.
    """
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()  # parsed once, into nodes that keep their lines
        _count_nodes(node, shown)
        origins: dict[KeyPath, Origin] = {}
        if node is not None:
            _record_lines(node, (), shown, origins)
        data = loader.construct_document(node) if node is not None else None
    except ScenarioError:
        raise
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = (None if extended else getattr(err, "problem", None)) or "not valid YAML"
        raise safe((shown, line), "", f"malformed YAML: {problem}") from None
    except RecursionError:
        raise safe((shown, None), "", "is nested too deeply to be a scenario file") from None
    except ValueError:  # e.g. an integer of more digits than Python converts
        raise safe((shown, None), "", "malformed YAML: a number too long to read") from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else None
        raise safe(
            (shown, line),
            "",
            "expected a mapping of keys (name: ..., population: ...): not a scenario",
        )
    return data, origins


def _record_lines(
    node: yaml.Node, path: KeyPath, shown: str, origins: dict[KeyPath, Origin]
) -> None:
    """Walk the node tree, storing (file, line) for each key path.

    Duplicate keys, keys that are not text and YAML merge keys (``<<``) are refused.
    """
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise safe((shown, line), dotted(path), "YAML merge keys (<<) are not supported")
            if key_node.tag not in TEXT_OR_YEAR:  # not null, true, 1.5, a list...
                raise safe((shown, line), dotted(path), "a key that is not text (quote it)")
            key = str(key_node.value)
            sub = (*path, key)
            if key in seen:
                raise safe((shown, line), dotted(sub), "duplicate key")
            seen.add(key)
            origins[sub] = (shown, line)
            _record_lines(value_node, sub, shown, origins)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            origins[sub] = (shown, item.start_mark.line + 1)
            _record_lines(item, sub, shown, origins)


def merge(
    base: dict[str, Any],
    base_origins: dict[KeyPath, Origin],
    child: dict[str, Any],
    child_origins: dict[KeyPath, Origin],
) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """Child over base.

    Mappings merge key by key, `timeline` lists concatenate, a `sweep` or `calibration`
    block replaces the base's, and everything else is replaced.
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
