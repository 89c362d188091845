"""Result folders: Parquet tables, the resolved scenario and a manifest, written atomically.

A run folder holds ``timeseries.parquet``, ``annual.parquet``, ``survey.parquet``,
``scenario.yaml`` (resolved) and ``manifest.json`` (what produced it). Everything is written
into a temporary sibling folder first and renamed into place, so a folder either exists
complete or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from talentsim import __version__
from talentsim.loader import LoadedScenario, resolved_yaml, scenario_hash
from talentsim.runner import RunResult
from talentsim.storage.atomic import atomic_folder
from talentsim.storage.folders import check_output
from talentsim.streams import run_seed_sequence

#: Recorded even if the installed package's metadata cannot be read.
CORE_DEPENDENCIES: tuple[str, ...] = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "pyyaml")


def dependencies() -> list[str]:
    """Names of talentsim's declared runtime dependencies (not the optional extras)."""
    try:
        declared = metadata.requires("talentsim") or []
    except metadata.PackageNotFoundError:
        declared = []
    names = {
        re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0].lower()
        for spec in declared
        if "extra ==" not in spec
    }
    return sorted(names | set(CORE_DEPENDENCIES))


def default_run_folder(name: str, root: Path | str = "results/runs") -> Path:
    """A fresh folder name under `root`: ``<scenario>-<UTC timestamp>``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{name}-{stamp}"
    candidate, k = base, 1
    while candidate.exists():
        k += 1
        candidate = base.with_name(f"{base.name}-{k}")
    return candidate


def check_output_folder(out: Path, overwrite: bool) -> None:
    """Check that a run may be written to `out` (replacing a run folder if `overwrite`).

    Raises:
        OutputError: If `out` is in the way (see :func:`talentsim.storage.folders.check_output`).
    """
    check_output(
        out,
        "run",
        "replace" if overwrite else "new",
        hint="choose another --out or pass --overwrite to replace it",
        whole=True,
    )


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame to Parquet (no index), deterministically."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def git_commit(path: Path) -> str | None:
    """The git commit of the repository holding `path` (with '-dirty' if modified)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head


def versions() -> dict[str, str]:
    """Versions of Python, talentsim and its main dependencies."""
    found = {"python": platform.python_version(), "talentsim": __version__}
    for name in dependencies():
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def build_manifest(
    loaded: LoadedScenario, result: RunResult, started: dt.datetime, wall_seconds: float
) -> dict[str, Any]:
    """What produced a run: scenario, hash, seeds, versions, commit, timing."""
    scenario = result.scenario
    package_dir = Path(__file__).resolve().parent
    return {
        "kind": "run",
        "scenario": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "scenario_files": loaded.files,
        "overrides": loaded.overrides,
        "seed": scenario.seed,
        "replicates": scenario.replicates,
        "seeds": [
            {
                "replicate": r.replicate,
                "entropy": r.seed,
                "spawn_key": list(run_seed_sequence(r.seed, r.replicate).spawn_key),
            }
            for r in result.replicates
        ],
        "versions": versions(),
        "git_commit": git_commit(package_dir) or git_commit(Path.cwd()),
        "command": sys.argv,
        "platform": platform.platform(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 3),
        "initial_in_us": [r.initial_in_us for r in result.replicates],
        "stage_seconds": {
            name: round(sum(r.stage_seconds[name] for r in result.replicates), 4)
            for name in result.replicates[0].stage_seconds
        },
    }


def write_run(
    loaded: LoadedScenario,
    result: RunResult,
    out: Path,
    manifest: dict[str, Any],
    overwrite: bool = False,
) -> Path:
    """Write a run folder atomically.

    Args:
        loaded: The scenario as loaded (for its provenance).
        result: The tables.
        out: Destination folder.
        manifest: From :func:`build_manifest`.
        overwrite: Replace an existing folder (only once the new one is complete).

    Returns:
        The folder written.
    """
    check_output_folder(out, overwrite)
    with atomic_folder(out) as tmp:
        write_parquet(result.timeseries, tmp / "timeseries.parquet")
        write_parquet(result.annual, tmp / "annual.parquet")
        write_parquet(result.survey, tmp / "survey.parquet")
        (tmp / "scenario.yaml").write_text(resolved_yaml(result.scenario), encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out
