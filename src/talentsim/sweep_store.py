"""The result folder of a sweep: one small Parquet file per run, written atomically.

Layout of a sweep folder::

    manifest.json        what the sweep is (scenario, hash, design, versions, commit)
    scenario.yaml        the resolved base scenario (with its sweep block)
    design.parquet       the points: `point` and one column per swept key
    runs/                one file per finished run: a single row (see `outcome_row`)
    timeseries/          one file per run: the quarterly record, with point and replicate
    survey/              one file per run: the virtual survey, with point and replicate
    runs.parquet         all rows of runs/, sorted, written when the sweep ends

Every file is written to a temporary name and renamed into place, so a killed sweep leaves
complete files only; a run counts as done when its row in runs/ says "ok". The row is
written last, after the run's time series.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

RUNS, TIMESERIES, SURVEY = "runs", "timeseries", "survey"


class SweepMismatchError(ValueError):
    """The output folder holds the results of a different sweep."""


def run_name(point: int, replicate: int) -> str:
    """File name of a run's files."""
    return f"p{point:06d}-r{replicate:04d}.parquet"


def write_atomic(frame: pd.DataFrame, path: Path, compression: str = "zstd") -> None:
    """Write a table to Parquet under a temporary name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, tmp, compression=compression)
    os.replace(tmp, path)


def write_text_atomic(text: str, path: Path) -> None:
    """Write a text file under a temporary name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class SweepStore:
    """Reads and writes one sweep's folder."""

    def __init__(self, folder: Path) -> None:
        """Use `folder` (created by :meth:`open`)."""
        self.folder = Path(folder)

    def open(self, manifest: dict[str, Any], scenario_yaml: str, design: pd.DataFrame) -> None:
        """Create the folder, or check that it holds the same sweep, and tidy it.

        Raises:
            SweepMismatchError: If the folder holds another sweep (another scenario hash).
        """
        existing = self.folder / "manifest.json"
        if existing.exists():
            old = json.loads(existing.read_text(encoding="utf-8"))
            if old.get("kind") != "sweep" or old.get("scenario_hash") != manifest["scenario_hash"]:
                raise SweepMismatchError(
                    f"{self.folder} holds the results of another sweep (scenario hash "
                    f"{str(old.get('scenario_hash'))[:12]}, this one "
                    f"{manifest['scenario_hash'][:12]}); choose another --out"
                )
        elif self.folder.exists() and any(self.folder.iterdir()):
            raise SweepMismatchError(
                f"{self.folder} exists and is not a sweep folder; choose another --out"
            )
        for sub in (RUNS, TIMESERIES, SURVEY):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
            for leftover in (self.folder / sub).glob(".*.tmp"):
                leftover.unlink()  # a run killed while writing
        write_text_atomic(scenario_yaml, self.folder / "scenario.yaml")
        write_atomic(design, self.folder / "design.parquet")
        if not existing.exists():
            write_text_atomic(json.dumps(manifest, indent=2) + "\n", existing)

    def finished(self) -> set[tuple[int, int]]:
        """(point, replicate) of the runs stored with status "ok"."""
        rows = self.read_runs(columns=["point", "replicate", "status"])
        if rows.empty:
            return set()
        ok = rows[rows["status"] == "ok"]
        return set(zip(ok["point"].tolist(), ok["replicate"].tolist(), strict=True))

    def read_runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every run row stored so far (one per run)."""
        files = sorted((self.folder / RUNS).glob("p*.parquet"))
        if not files:
            return pd.DataFrame(columns=columns or [])
        frames = [pq.read_table(f, columns=columns).to_pandas() for f in files]
        return pd.concat(frames, ignore_index=True)

    def write_run(
        self, row: dict[str, Any], timeseries: pd.DataFrame | None, survey: pd.DataFrame | None
    ) -> None:
        """Store one run: its time series first, its row last."""
        name = run_name(int(row["point"]), int(row["replicate"]))
        # Small files: compression would cost more time than it saves space.
        if timeseries is not None:
            write_atomic(timeseries, self.folder / TIMESERIES / name, "none")
        if survey is not None:
            write_atomic(survey, self.folder / SURVEY / name, "none")
        write_atomic(pd.DataFrame([row]), self.folder / RUNS / name, "none")

    def consolidate(self) -> pd.DataFrame:
        """Write runs.parquet: every run row, sorted by point and replicate."""
        runs = self.read_runs()
        if runs.empty:
            return runs
        runs = runs.sort_values(["point", "replicate"]).reset_index(drop=True)
        write_atomic(runs, self.folder / "runs.parquet")
        return runs
