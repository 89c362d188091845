"""Result folders: Parquet tables, the resolved scenario and a manifest, written atomically.

A run folder holds ``timeseries.parquet``, ``annual.parquet``, ``survey.parquet``,
``cohorts.parquet``, ``scenario.yaml`` (resolved) and ``manifest.json`` (what produced it).
Everything is written into a temporary sibling folder first and renamed into place, so a
folder either exists complete or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from talentsim.runs.provenance import manifest
from talentsim.runs.runner import RunResult
from talentsim.scenario.loader import LoadedScenario, resolved_yaml
from talentsim.storage.atomic import atomic_folder
from talentsim.storage.folders import check_output


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


def build_manifest(
    loaded: LoadedScenario, result: RunResult, started: dt.datetime, wall_seconds: float
) -> dict[str, Any]:
    """What produced a run: scenario, hash, seeds, versions, commit, timing."""
    scenario = result.scenario
    return manifest(
        "run",
        loaded,
        seed=scenario.seed,
        replicates=scenario.replicates,
        seeds=[
            {
                "replicate": r.replicate,
                "entropy": r.seed,
                "spawn_key": list(r.seed_sequence.spawn_key),
            }
            for r in result.replicates
        ],
        started_utc=started.isoformat(timespec="seconds"),
        wall_seconds=round(wall_seconds, 3),
        initial_in_us=[r.initial_in_us for r in result.replicates],
        stage_seconds={
            name: round(sum(r.stage_seconds[name] for r in result.replicates), 4)
            for name in result.replicates[0].stage_seconds
        },
    )


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
        write_parquet(result.cohorts, tmp / "cohorts.parquet")
        (tmp / "scenario.yaml").write_text(resolved_yaml(result.scenario), encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out
