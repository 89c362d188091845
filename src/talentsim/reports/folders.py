"""Reading result folders (run, sweep, calibration) for reports and comparisons.

Every folder talentsim writes has a ``manifest.json`` whose ``kind`` says what it is:
``run`` (``talentsim run``), ``sweep`` (``talentsim sweep``) or ``calibration``
(``talentsim calibrate``). :func:`load_result` checks the folder and reads its tables into
one shape: an annual table and the virtual survey's sector rows, both with one row per
replicate (and point, for sweeps), so that figures and tables can take intervals over
replicates. Anything that cannot be read raises :class:`ResultError` with a one-paragraph
message naming the folder and what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from talentsim.errors import TalentsimError
from talentsim.model.stages.survey import SECTOR
from talentsim.runs.outputs import safe_label
from talentsim.runs.runner import annualise
from talentsim.runs.sweep_store import COHORTS, RUNS, SURVEY, TIMESERIES
from talentsim.storage.folders import read_small_text

KINDS = ("run", "sweep", "calibration")
COMMANDS = {"run": "run", "sweep": "sweep", "calibration": "calibrate"}
RUN_FILES = ("annual.parquet", "survey.parquet", "scenario.yaml")
SWEEP_FILES = ("design.parquet", "scenario.yaml")
CALIBRATION_FILES = ("posterior_summary.parquet", "fit.parquet")
WHAT_WE_READ = (
    "give a folder written by `talentsim run`, `talentsim sweep` or `talentsim calibrate` "
    "(it holds a manifest.json)"
)


class ResultError(TalentsimError):
    """A folder that is not a usable talentsim result (the message says why)."""


@dataclass
class Result:
    """One result folder, read.

    Attributes:
        path: The folder.
        kind: ``run``, ``sweep`` or ``calibration``.
        manifest: Its manifest.json.
        label: A short name (the scenario's; made unique by the caller if needed).
        annual: Calendar-year table, one row per (point,) replicate and year (runs, sweeps).
        sectors: Virtual survey rows of the employment-sector question (runs, sweeps).
        survey: Every row of the virtual survey (runs, sweeps).
        cohorts: The cohort table (runs, sweeps; None for folders written before it was
            recorded).
        runs: One row per run of a sweep, as stored (sweeps).
        design: The sweep's points (sweeps).
        keys: The swept parameters (sweeps).
        missing: Sentences stating what is missing (failed or absent runs).
        failed: The (point, replicate, values, error) rows of runs that failed (sweeps).
        posterior: The posterior summary: parameter, median, q05, q95 (calibrations).
        fit: The posterior predictive fit to the targets (calibrations).
    """

    path: Path
    kind: str
    manifest: dict[str, Any]
    label: str
    annual: pd.DataFrame | None = None
    sectors: pd.DataFrame | None = None
    survey: pd.DataFrame | None = None
    cohorts: pd.DataFrame | None = None
    runs: pd.DataFrame | None = None
    design: pd.DataFrame | None = None
    keys: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: pd.DataFrame | None = None
    posterior: pd.DataFrame | None = None
    fit: pd.DataFrame | None = None

    @property
    def replicates(self) -> int:
        """Replicates per run (or per sweep point)."""
        return int(self.manifest.get("replicates") or 0)

    @property
    def years(self) -> list[int]:
        """Calendar years of the annual table."""
        return [] if self.annual is None else sorted(self.annual["year"].unique().tolist())


def read_manifest(path: Path) -> dict[str, Any]:
    """Check that `path` is a talentsim result folder and return its manifest.

    Raises:
        ResultError: If the folder does not exist, is empty, has no (valid) manifest.json,
            or the manifest's kind is unknown.
    """
    if not path.exists():
        raise ResultError(f"{path} does not exist; {WHAT_WE_READ}")
    if not path.is_dir():
        raise ResultError(f"{path} is a file, not a result folder; {WHAT_WE_READ}")
    if not any(path.iterdir()):
        raise ResultError(f"{path} is empty: there are no results in it; {WHAT_WE_READ}")
    manifest_file = path / "manifest.json"
    if not manifest_file.exists():
        inside = [p.name for p in path.iterdir() if (p / "manifest.json").exists()]
        hint = (
            f" It holds {len(inside)} result folder(s) ({', '.join(sorted(inside)[:3])}"
            f"{', ...' if len(inside) > 3 else ''}); give them one by one."
            if inside
            else ""
        )
        raise ResultError(
            f"{path} is not a talentsim result folder (it has no manifest.json); "
            f"{WHAT_WE_READ}.{hint}"
        )
    text = read_small_text(manifest_file)
    if text is None:
        raise ResultError(
            f"{manifest_file} is not a file talentsim wrote (a folder, a link, a device, or "
            f"too large); {WHAT_WE_READ}"
        )
    try:
        manifest = json.loads(text)
    except ValueError:
        raise ResultError(f"{manifest_file} is not valid JSON; {WHAT_WE_READ}") from None
    kind = manifest.get("kind") if isinstance(manifest, dict) else None
    if kind not in KINDS:
        raise ResultError(
            f"{manifest_file} does not name a kind of talentsim result ({', '.join(KINDS)}); "
            f"{WHAT_WE_READ}"
        )
    for key in ("replicates", "runs", "points"):
        value = manifest.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ResultError(
                f"{manifest_file}: '{key}' is not a whole number, so the folder was edited; "
                f"run the {kind} again (talentsim {COMMANDS[kind]})"
            )
    return manifest


def _require(path: Path, names: tuple[str, ...], kind: str) -> None:
    absent = [n for n in names if not (path / n).exists()]
    if absent:
        raise ResultError(
            f"{path} is a {kind} folder but {', '.join(absent)} "
            f"{'is' if len(absent) == 1 else 'are'} missing; the folder is incomplete or was "
            f"edited. Run the {kind} again (talentsim {COMMANDS[kind]})."
        )


def _read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, columns=columns)
    except (OSError, ValueError, KeyError, pa.ArrowException):
        raise ResultError(f"{path} cannot be read as a Parquet table talentsim wrote") from None


def _check_columns(path: Path, table: pd.DataFrame, numeric: tuple[str, ...]) -> None:
    """A table talentsim wrote: these columns, numeric, and at least one row."""
    for column in numeric:
        if column not in table:
            raise ResultError(f"{path} has no column {column!r}; the folder was edited")
        if not pd.api.types.is_numeric_dtype(table[column]):
            raise ResultError(f"{path}: column {column!r} is not numeric; the folder was edited")
    if table.empty:
        raise ResultError(f"{path} has no rows; the folder was edited or cut short")


def _sector_rows(survey: pd.DataFrame) -> pd.DataFrame:
    return survey[survey["measure"] == SECTOR].reset_index(drop=True)


def load_run(path: Path, manifest: dict[str, Any]) -> Result:
    """Read a run folder's annual table and survey."""
    _require(path, RUN_FILES, "run")
    annual = _read_parquet(path / "annual.parquet")
    survey = _read_parquet(path / "survey.parquet")
    _check_columns(
        path / "annual.parquet", annual, ("replicate", "year", "returns", "in_us", "returned")
    )
    _check_columns(path / "survey.parquet", survey, ("replicate", "year", "share"))
    return Result(
        path=path,
        kind="run",
        manifest=manifest,
        label=safe_label(str(manifest.get("scenario", path.name))),
        annual=annual,
        sectors=_sector_rows(survey),
        survey=survey,
        cohorts=_read_cohorts(path / "cohorts.parquet"),
    )


def _read_cohorts(path: Path) -> pd.DataFrame | None:
    """A cohort table, or None if the folder predates it."""
    if not path.exists():
        return None
    cohorts = _read_parquet(path)
    _check_columns(path, cohorts, ("replicate", "year", "cohort", "entered", "in_us"))
    return cohorts


def _sweep_missing(runs: pd.DataFrame, expected: int, keys: list[str]) -> list[str]:
    """Sentences on failed and absent runs."""
    notes = []
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        where = "; ".join(
            f"point {int(r['point'])} replicate {int(r['replicate'])} ("
            + ", ".join(f"{k} = {r[k]:g}" for k in keys)
            + ")"
            for r in failed.to_dict("records")
        )
        notes.append(
            f"{len(failed)} of {expected} runs failed and are left out of every figure and "
            f"table: {where}. Their errors are in runs/ (column `error`); "
            "`talentsim sweep` with the same scenario runs them again."
        )
    absent = expected - len(runs)
    if absent > 0:
        notes.append(
            f"{absent} of {expected} runs have no result stored (the sweep was stopped or "
            "their files were removed); `talentsim sweep` with the same scenario completes it."
        )
    return notes


def load_sweep(path: Path, manifest: dict[str, Any]) -> Result:
    """Read a sweep folder: its runs, annual tables and surveys of the runs that succeeded.

    Raises:
        ResultError: If files are missing, or no run of the sweep succeeded.
    """
    _require(path, SWEEP_FILES, "sweep")
    design = _read_parquet(path / "design.parquet")
    keys = [c for c in design.columns if c != "point"]
    files = sorted((path / RUNS).glob("p*.parquet")) if (path / RUNS).is_dir() else []
    if not files:
        raise ResultError(
            f"{path} is a sweep folder with no stored runs (runs/ is empty or absent); "
            "run the sweep first (talentsim sweep SCENARIO --out FOLDER)"
        )
    runs = pd.concat([_read_parquet(f) for f in files], ignore_index=True)
    runs = runs.sort_values(["point", "replicate"]).reset_index(drop=True)
    expected = int(manifest.get("runs") or len(runs))
    missing = _sweep_missing(runs, expected, keys)
    ok = runs[runs["status"] == "ok"].reset_index(drop=True)
    if ok.empty:
        raise ResultError(
            f"{path}: none of the sweep's {expected} runs succeeded, so there is nothing to "
            f"report. {' '.join(missing)}"
        )
    annual, survey, cohorts = _sweep_tables(path, ok)
    result = Result(
        path=path,
        kind="sweep",
        manifest=manifest,
        label=safe_label(str(manifest.get("scenario", path.name))),
        annual=annual,
        sectors=_sector_rows(survey),
        survey=survey,
        cohorts=cohorts,
        runs=ok,
        design=design,
        keys=keys,
        missing=missing,
        failed=runs[runs["status"] != "ok"][["point", "replicate", *keys, "error"]],
    )
    return result


def _sweep_tables(
    path: Path, ok: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Annual tables, surveys and cohort tables of the successful runs, with their points.

    The cohort table is None if any run lacks one (a sweep written before it was recorded).
    """
    annuals, surveys, cohorts = [], [], []
    for row in ok.itertuples(index=False):
        name = f"p{int(row.point):06d}-r{int(row.replicate):04d}.parquet"
        for sub in (TIMESERIES, SURVEY):
            if not (path / sub / name).exists():
                raise ResultError(
                    f"{path}: run point {int(row.point)} replicate {int(row.replicate)} is "
                    f"stored as done but {sub}/{name} is missing; run `talentsim sweep` "
                    "again with --force, or remove runs/" + name
                )
        ts = _read_parquet(path / TIMESERIES / name)
        annual = annualise(ts.drop(columns=["point"]))
        annual.insert(0, "point", int(row.point))
        annuals.append(annual)
        surveys.append(_read_parquet(path / SURVEY / name))
        cohorts.append(_read_cohorts(path / COHORTS / name))
    survey = pd.concat(surveys, ignore_index=True)
    cohort = None if any(c is None for c in cohorts) else pd.concat(cohorts, ignore_index=True)
    return pd.concat(annuals, ignore_index=True), survey, cohort


def load_calibration(path: Path, manifest: dict[str, Any]) -> Result:
    """Read a calibration folder's posterior summary and fit."""
    _require(path, CALIBRATION_FILES, "calibration")
    result = Result(
        path=path,
        kind="calibration",
        manifest=manifest,
        label=safe_label(str(manifest.get("scenario", path.name))),
    )
    result.posterior = _read_parquet(path / "posterior_summary.parquet")
    result.fit = _read_parquet(path / "fit.parquet")
    return result


def load_result(path: Path | str) -> Result:
    """Read a run, sweep or calibration folder.

    Raises:
        ResultError: With a one-paragraph message if the folder cannot be used.
    """
    path = Path(path)
    manifest = read_manifest(path)
    loader = {"run": load_run, "sweep": load_sweep, "calibration": load_calibration}
    return loader[manifest["kind"]](path, manifest)


def unique_labels(results: list[Result]) -> None:
    """Make the results' labels distinct (scenario name, else folder name, else numbered)."""
    names = [r.label for r in results]
    if len(set(names)) == len(names):
        return
    folders = [r.path.name for r in results]
    if len(set(folders)) == len(folders):
        for result, name in zip(results, folders, strict=True):
            result.label = safe_label(name)
        return
    for i, result in enumerate(results, start=1):
        result.label = safe_label(f"{i}-{result.path.name}")
