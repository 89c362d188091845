"""What is wrong with a scenario, where, in one paragraph: :class:`ScenarioError`.

A problem names the file and line (its origin), the dotted key and what is wrong. Values
and unknown keys are shown only when they come from the scenario the user ran or from
`--set`: for a file it extends, a message names the key and the line and points to
`talentsim validate FILE`, which shows that file's own problems in full.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from talentsim.errors import TalentsimError
from talentsim.scenario.keys import KeyPath, allowed_keys, did_you_mean, dotted, known_prefix

Origin = tuple[str, int | None]  # (file or "--set", line)
#: How pydantic names a member of a union in an error's location.
UNION_TAG = re.compile(r"^[a-z_-]+\[.*\]$")
#: Keys of earlier versions, and what replaced them.
RENAMED: dict[tuple[str, ...], str] = {
    ("population", "size"): "population.agents (the agents; population.people is the pool "
    "they stand for)",
    ("population", "weight"): "population.people (the people in the pool; each agent stands "
    "for people / agents of them)",
}


class Problem(NamedTuple):
    """One problem: where (file and line), which key, what; `safe` if it shows no content."""

    origin: Origin | None
    key: str
    message: str
    safe: bool = False


class ScenarioError(TalentsimError):
    """A scenario that cannot be loaded, with where each problem is."""

    def __init__(self, problems: list[Problem | tuple]) -> None:
        """Create the error from (origin, key, message[, safe]) problems."""
        self.problems = [Problem(*p) for p in problems]
        super().__init__(self.format())

    def format(self) -> str:
        """All problems as one paragraph of short sentences."""
        parts = []
        for origin, key, message, _ in self.problems:
            where = []
            if origin is not None:
                where.append(origin[0])
                if origin[1] is not None:
                    where.append(f"line {origin[1]}")
            if key:
                where.append(f"key '{key}'")
            prefix = ", ".join(where)
            parts.append(f"{prefix}: {message}" if prefix else message)
        count = len(parts)
        head = "Invalid scenario" if count == 1 else f"Invalid scenario ({count} problems)"
        return f"{head}: " + "; ".join(parts)

    def shown_from(self, root: str) -> ScenarioError:
        """The same error with the content of files other than `root` (and --set) hidden."""
        problems = []
        for problem in self.problems:
            file = problem.origin[0] if problem.origin else None
            if problem.safe or file in (None, root, "--set"):
                problems.append(problem)
                continue
            message = (
                "is not valid here; its content is not shown, since it is in a file the "
                f"scenario extends, not in the scenario itself: `talentsim validate {file}` "
                "shows it"
            )
            problems.append(problem._replace(key=known_prefix(problem.key), message=message))
        return ScenarioError(problems)


def safe(origin: Origin | None, key: str, message: str) -> ScenarioError:
    """An error whose message shows no content of the file it is about."""
    return ScenarioError([Problem(origin, key, message, True)])


def origin_for(origins: dict[KeyPath, Origin], loc: KeyPath) -> Origin | None:
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


def index_in_file(origins: dict[KeyPath, Origin], index: int) -> int:
    """Position of merged timeline entry `index` in the file that wrote it.

    Timelines concatenate along the `extends` chain, so the merged index would point past
    the entries of the user's own file.
    """
    file = origins.get(("timeline", index), (None, None))[0]
    return sum(1 for j in range(index) if origins.get(("timeline", j), (None, None))[0] == file)


def validation_problems(
    errors: list[dict[str, Any]], origins: dict[KeyPath, Origin]
) -> list[Problem]:
    """Pydantic's errors as problems, one per key (a union's alternatives joined)."""
    merged: dict[str, tuple[Origin | None, list[str], str]] = {}
    for error in errors:
        origin, key, message = _describe(error, origins)
        text, got = message, ""
        if message.endswith(")") and " (got " in message:
            text, got = message.rsplit(" (got ", 1)
            got = f" (got {got}"
        if key in merged:
            merged[key][1].append(text.removeprefix("input should be "))
        else:
            merged[key] = (origin, [text], got)
    return [
        Problem(origin, key, " or ".join(texts) + got)
        for key, (origin, texts, got) in merged.items()
    ]


def _describe(
    error: dict[str, Any], origins: dict[KeyPath, Origin]
) -> tuple[Origin | None, str, str]:
    kind = error["type"]
    loc: KeyPath = tuple(error["loc"])
    if kind != "extra_forbidden":  # drop the tags of union members: 'list[int]', "literal['all']"
        loc = tuple(p for p in loc if not (isinstance(p, str) and UNION_TAG.match(p)))
    if kind == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
        suggestion = did_you_mean(str(loc[-1]), allowed_keys(loc[:-1]))
        if tuple(map(str, loc)) in RENAMED:
            message += f": it was replaced by {RENAMED[tuple(map(str, loc))]}"
        elif suggestion:
            message += f" (did you mean '{suggestion}'?)"
        else:
            message += f"; allowed keys: {', '.join(allowed_keys(loc[:-1]))}"
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
        shown_loc = ("timeline", index_in_file(origins, loc[1]), *loc[2:])
    return origin_for(origins, loc), dotted(shown_loc), message
