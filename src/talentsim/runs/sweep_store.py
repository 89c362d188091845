"""The result folder of a sweep: one small Parquet file per run, written atomically.

Layout of a sweep folder::

    manifest.json        what the sweep is (scenario, hash, design, versions, commit)
    scenario.yaml        the resolved base scenario (with its sweep block)
    design.parquet       the points: `point` and one column per swept key
    runs/                one file per finished run: a single row (see `outcome_row`)
    timeseries/          one file per run: the quarterly record, with point and replicate
    survey/              one file per run: the virtual survey, with point and replicate
    cohorts/             one file per run: the cohort table, with point and replicate
    runs.parquet         all rows of runs/, sorted, written when the sweep ends

Every file is written to a temporary name and renamed into place, so a killed sweep leaves
complete files only; a run counts as done when its row in runs/ says "ok". The row is
written last, after the run's time series.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from talentsim.errors import TalentsimError
from talentsim.storage.atomic import write_json, write_parquet, write_text
from talentsim.storage.folders import check_output

RUNS, TIMESERIES, SURVEY, COHORTS = "runs", "timeseries", "survey", "cohorts"
#: The tables stored per run besides its row (sweeps written before cohorts/ lack it).
TABLES = (TIMESERIES, SURVEY, COHORTS)


class SweepMismatchError(TalentsimError):
    """The output folder holds the results of a different sweep."""


def run_name(point: int, replicate: int) -> str:
    """File name of a run's files."""
    return f"p{point:06d}-r{replicate:04d}.parquet"


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
        check_output(self.folder, "sweep", "reuse")
        existing = self.folder / "manifest.json"
        if existing.exists():
            old = json.loads(existing.read_text(encoding="utf-8"))
            if old.get("scenario_hash") != manifest["scenario_hash"]:
                raise SweepMismatchError(
                    f"{self.folder} holds the results of another sweep (scenario hash "
                    f"{str(old.get('scenario_hash'))[:12]}, this one "
                    f"{manifest['scenario_hash'][:12]}); choose another --out"
                )
        for sub in (RUNS, *TABLES):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
            for leftover in (self.folder / sub).glob(".*.tmp*"):
                leftover.unlink()  # a run killed while writing (the caller holds the lock)
        write_text(self.folder / "scenario.yaml", scenario_yaml)
        write_parquet(self.folder / "design.parquet", design)
        if not existing.exists():
            write_json(existing, manifest)

    def finished(self) -> set[tuple[int, int]]:
        """(point, replicate) of the runs stored with status "ok"."""
        columns = ["point", "replicate", "status"]
        rows = self.consolidated_rows(columns)
        if rows is None:
            rows = self.read_runs(columns=columns)
        if rows.empty:
            return set()
        ok = rows[rows["status"] == "ok"]
        return set(zip(ok["point"].tolist(), ok["replicate"].tolist(), strict=True))

    def consolidated_rows(self, columns: list[str] | None = None) -> pd.DataFrame | None:
        """runs.parquet's rows if it holds exactly the runs in runs/ and is newer than each.

        Reading one file instead of one per run: a row of a few hundred columns costs about
        15 ms to read on its own. None if runs.parquet is missing, unreadable or out of date.
        """
        path = self.folder / "runs.parquet"
        files = list((self.folder / RUNS).glob("p*.parquet"))
        if not files or not path.is_file():
            return None
        wanted = None if columns is None else list(dict.fromkeys(["point", "replicate", *columns]))
        try:
            if path.stat().st_mtime < max(f.stat().st_mtime for f in files):
                return None
            rows = pq.read_table(path, columns=wanted).to_pandas()
        except (OSError, pa.ArrowException):
            return None
        names = {
            run_name(int(p), int(r)) for p, r in zip(rows["point"], rows["replicate"], strict=True)
        }
        return rows if names == {f.name for f in files} else None

    def read_runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every run row stored so far (one per run).

        A run file that cannot be read (cut short by a full disk or a crash of the machine)
        counts as not stored: it is removed, with its tables, and the run is done again.
        """
        frames = []
        for file in sorted((self.folder / RUNS).glob("p*.parquet")):
            try:
                frames.append(pq.read_table(file, columns=columns).to_pandas())
            except (OSError, pa.ArrowException):
                for sub in (RUNS, *TABLES):
                    (self.folder / sub / file.name).unlink(missing_ok=True)
        if not frames:
            return pd.DataFrame(columns=columns or [])
        return pd.concat(frames, ignore_index=True)

    def write_run(
        self, row: dict[str, Any], tables: dict[str, pd.DataFrame | None] | None = None
    ) -> None:
        """Store one run: its tables (by folder name, see TABLES) first, its row last."""
        name = run_name(int(row["point"]), int(row["replicate"]))
        for sub in TABLES:
            table = (tables or {}).get(sub)
            if table is not None:  # small files: compression would cost more than it saves
                write_parquet(self.folder / sub / name, table, "none")
        write_parquet(self.folder / RUNS / name, pd.DataFrame([row]), "none")

    def consolidate(self) -> pd.DataFrame:
        """Write runs.parquet: every run row, sorted by point and replicate."""
        current = self.consolidated_rows()
        if current is not None:  # nothing stored since it was written
            return current
        runs = self.read_runs()
        if runs.empty:
            return runs
        runs = runs.sort_values(["point", "replicate"]).reset_index(drop=True)
        write_parquet(self.folder / "runs.parquet", runs)
        return runs
