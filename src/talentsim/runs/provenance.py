"""What produced a result: the manifest every result folder carries.

:func:`manifest` gives the fields every manifest has (its kind, the scenario, its hash and
files, the overrides, the versions of Python, talentsim and every runtime dependency, the
git commit, the command and the platform, the time); each kind of result adds its own.
"""

from __future__ import annotations

import datetime as dt
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from talentsim import __version__
from talentsim.scenario.loader import LoadedScenario

#: Recorded even if the installed package's metadata cannot be read.
CORE_DEPENDENCIES: tuple[str, ...] = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "pyyaml")

#: Extras of tools for developing talentsim, not of running it: their packages are not recorded.
DEVELOPMENT_EXTRAS = re.compile(r"""extra\s*==\s*["'](test|test-core|bench|docs)["']""")


def dependencies() -> list[str]:
    """Names of talentsim's declared runtime dependencies, with those of its extras.

    An extra's packages are recorded too ("not installed" when absent), so that a manifest
    says whether the calibration or the figures came from pyabc, seaborn... and which version.
    """
    try:
        declared = metadata.requires("talentsim") or []
    except metadata.PackageNotFoundError:
        declared = []
    names = {
        re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0].lower()
        for spec in declared
        if not DEVELOPMENT_EXTRAS.search(spec)
    }
    return sorted((names - {"talentsim"}) | set(CORE_DEPENDENCIES))


def versions() -> dict[str, str]:
    """Versions of Python, talentsim and its runtime dependencies."""
    found = {"python": platform.python_version(), "talentsim": __version__}
    for name in dependencies():
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()


def git_commit(path: Path | None = None) -> str | None:
    """The git commit of the repository holding `path` (with '-dirty' if modified).

    By default the repository of the installed package, else of the current folder.
    """
    for folder in [path] if path is not None else [Path(__file__).resolve().parent, Path.cwd()]:
        try:
            head = _git(folder, "rev-parse", "HEAD")
            dirty = _git(folder, "status", "--porcelain", "--untracked-files=no")
        except (OSError, subprocess.SubprocessError):
            continue
        return f"{head}-dirty" if dirty else head
    return None


def manifest(kind: str, loaded: LoadedScenario | None = None, **fields: Any) -> dict[str, Any]:
    """The manifest of a result folder of `kind`, with `fields` added.

    Args:
        kind: run, sweep, calibration, report or comparison (read by
            :func:`talentsim.storage.folders.folder_kind`).
        loaded: The scenario that produced it, if any.
        **fields: What this kind of result records besides.
    """
    head: dict[str, Any] = {"kind": kind}
    if loaded is not None:
        head.update(
            scenario=loaded.scenario.name,
            scenario_hash=loaded.hash,
            scenario_files=loaded.files,
            overrides=loaded.overrides,
        )
    return {
        **head,
        **fields,
        "versions": versions(),
        "talentsim": __version__,
        "git_commit": git_commit(),
        "command": list(sys.argv),
        "platform": platform.platform(),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
