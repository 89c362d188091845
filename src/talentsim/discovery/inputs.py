"""The sweep a discovery reads: its points, its runs' outcomes, and what is missing.

Only the sweep's small tables are read (design.parquet and the runs' rows, one per run), never
its time series, so a discovery works on sweeps whose time series would not fit in memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from talentsim.errors import TalentsimError
from talentsim.runs.sweep_store import RUNS, SweepStore
from talentsim.storage.folders import folder_kind, read_small_text

#: Columns of a run's row that are not outcomes.
NOT_OUTCOMES = {
    "point",
    "replicate",
    "status",
    "error",
    "attempts",
    "model_seconds",
    "seed_entropy",
    "seed_spawn_key",
}


class SweepInputError(TalentsimError):
    """A folder that is not a sweep a discovery can read, or one with runs missing."""


@dataclass
class SweepData:
    """A sweep's points and the outcomes of its successful runs."""

    folder: Path
    design: pd.DataFrame  # point and one column per swept parameter
    runs: pd.DataFrame  # one row per successful run: point, replicate, outcomes
    parameters: list[str]
    outcomes: list[str]
    expected: int  # runs the sweep planned
    missing: int  # planned runs without a successful row (failed or never run)


def read_sweep(folder: Path, allow_missing: bool = False) -> SweepData:
    """Read a sweep folder for a discovery.

    Raises:
        SweepInputError: If the folder is not a sweep, has no successful run, or has failed
            or missing runs and `allow_missing` is False.
    """
    folder = Path(folder)
    what = "give a folder written by `talentsim sweep` (its manifest.json says kind: sweep)"
    if not folder.is_dir():
        raise SweepInputError(f"{folder} is not a folder; {what}")
    kind = folder_kind(folder)
    if kind != "sweep":
        found = f"a talentsim {kind} result" if kind else "no talentsim manifest.json"
        raise SweepInputError(f"{folder} is not a sweep ({found}); {what}")
    manifest = json.loads(read_small_text(folder / "manifest.json") or "{}")
    try:
        design = pd.read_parquet(folder / "design.parquet")
    except (OSError, ValueError):
        raise SweepInputError(f"{folder} has no readable design.parquet; {what}") from None
    rows = _run_rows(folder)
    ok = rows[rows["status"] == "ok"] if "status" in rows else rows.iloc[0:0]
    expected = int(manifest.get("runs") or len(design) * int(manifest.get("replicates") or 1))
    missing = expected - len(ok)
    if ok.empty:
        raise SweepInputError(f"{folder} holds no successful run ({expected} planned); run it")
    if missing and not allow_missing:
        failed = int((rows.get("status") == "failed").sum()) if "status" in rows else 0
        raise SweepInputError(
            f"{folder} lacks {missing} of its {expected} runs ({failed} failed, "
            f"{missing - failed} not run); finish the sweep (`talentsim sweep` again resumes "
            "it) or pass --allow-missing to analyse the runs that succeeded"
        )
    parameters = [c for c in design.columns if c != "point"]
    outcomes = [
        c
        for c in ok.columns
        if c not in NOT_OUTCOMES
        and c not in parameters
        and pd.api.types.is_numeric_dtype(ok[c])
        and np.isfinite(ok[c].to_numpy(dtype=float)).any()
    ]
    keep = ["point", "replicate", *outcomes]
    runs = ok[keep].sort_values(["point", "replicate"]).reset_index(drop=True)
    return SweepData(folder, design, runs, parameters, outcomes, expected, missing)


def _run_rows(folder: Path) -> pd.DataFrame:
    """Every run's row: runs.parquet if it is up to date, else the runs' own files.

    Nothing is changed: a run file that cannot be read counts as missing.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    current = SweepStore(folder).consolidated_rows()
    if current is not None:
        return current
    files = sorted((folder / RUNS).glob("p*.parquet"))
    frames = []
    for file in files:
        try:
            frames.append(pq.read_table(file).to_pandas())
        except (OSError, pa.ArrowException):
            continue
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
