"""Survey targets: the returnee survey figures the model is compared with and calibrated to.

A targets file is a CSV in the form of data/survey_targets.csv: one row per figure, with
`kind` (share or rank), `year`, `n` (the survey's number of respondents), `measure`,
`category` and `value`. Shares are compared with the virtual survey's share of the same
measure, category and year; a rank row says which category ranked first.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from talentsim.errors import TalentsimError
from talentsim.model.stages.survey import LEVEL, REASON, SECTOR, STATUS, STATUSES
from talentsim.taxonomy import CN_SECTORS, REASONS, SURVEY_LEVELS

TARGET_COLUMNS = ("kind", "year", "survey", "n", "measure", "category", "value", "source", "note")
REQUIRED = ("kind", "year", "n", "measure", "category", "value")
RANK_MEASURE = "largest employment sector of returnees"
BUILTIN = {
    "survey_targets": "survey_targets.csv",
    "survey_targets_alt_2015": "survey_targets_alt_2015.csv",
}
#: Measures and categories the virtual survey produces.
PRODUCED: dict[str, tuple[str, ...]] = {
    SECTOR: CN_SECTORS,
    LEVEL: SURVEY_LEVELS,
    REASON: REASONS,
    STATUS: STATUSES,
    RANK_MEASURE: tuple(c for c in CN_SECTORS if c != "other"),
}


class TargetsError(TalentsimError):
    """A targets file that cannot be used (the message names the file and row)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Invalid targets: {message}")


#: Largest targets file read (the surveys' targets are a few kilobytes).
MAX_TARGETS_BYTES = 10 * 2**20


def default_targets_path() -> Path:
    """The targets shipped with the package (a copy of ../shared/data/survey_targets.csv)."""
    return builtin_targets_path("survey_targets")


def builtin_targets_path(name: str) -> Path:
    """Path of a packaged targets file (survey_targets or survey_targets_alt_2015)."""
    return Path(str(resources.files("talentsim") / "data" / BUILTIN[name]))


def resolve_targets(spec: str | Path | None, base_dir: Path | None = None) -> Path:
    """A targets argument as a path: talentsim:NAME, or a path (relative to base_dir)."""
    if spec is None:
        return default_targets_path()
    text = str(spec)
    if text.startswith("talentsim:"):
        name = text.removeprefix("talentsim:")
        if name not in BUILTIN:
            raise TargetsError(
                f"unknown packaged targets {text!r}; choose one of "
                + ", ".join(f"talentsim:{n}" for n in BUILTIN)
            )
        return builtin_targets_path(name)
    path = Path(text)
    return path if path.is_absolute() or base_dir is None else base_dir / path


def load_targets(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check a targets file; add each share's binomial standard error `se`.

    Raises:
        TargetsError: Naming the file, the row and what is wrong.
    """
    path = Path(path) if path is not None else default_targets_path()
    if not path.is_file():
        raise TargetsError(f"{path}: the targets file does not exist")
    if path.stat().st_size > MAX_TARGETS_BYTES:
        raise TargetsError(
            f"{path}: larger than a targets file can be ({MAX_TARGETS_BYTES:,} bytes); its "
            "content is not shown"
        )
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, ValueError):
        raise TargetsError(
            f"{path}: cannot be read as a CSV table of targets; its content is not shown"
        ) from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise TargetsError(
            f"{path}: not a targets file: it lacks the column(s) {', '.join(missing)} "
            "(see data/survey_targets.csv); its content is not shown"
        )
    if frame.empty:
        raise TargetsError(f"{path}: the targets file has no rows")
    for index, row in frame.iterrows():
        _check_row(path, index + 2, row)  # row 1 is the header
    frame["n"] = frame["n"].astype(int)
    frame["year"] = frame["year"].astype(int)
    shares = frame["kind"] == "share"
    p, n = frame["value"].astype(float), frame["n"].astype(float)
    frame["se"] = np.where(shares, np.sqrt(p * (1 - p) / n), np.nan)
    frame["key"] = [target_key(r) for r in frame.itertuples()]
    return frame


#: Largest sample size of a target (a survey of a hundred million people is not one).
MAX_N = 100_000_000


def _number(where: str, row: pd.Series, column: str, whole: bool = False) -> float:
    """A cell as a finite number (a whole one if `whole`), without echoing it if it is not."""
    try:
        value = float(row[column])
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or (whole and value != int(value)):
        kind = "whole number" if whole else "number"
        raise TargetsError(f"{where}: the {column} is missing or not a {kind}")
    return value


def _check_row(path: Path, line: int, row: pd.Series) -> None:
    """One target row: its kind, year, sample size, measure, category and value."""
    where = f"{path}, row {line}"
    kind = row["kind"]
    if kind not in ("share", "rank"):
        raise TargetsError(f"{where}: the kind must be 'share' or 'rank'")
    n = _number(where, row, "n", whole=True)
    if not 1 <= n <= MAX_N:
        raise TargetsError(f"{where}: the sample size n must lie between 1 and {MAX_N:,}")
    year = _number(where, row, "year", whole=True)
    if not 1950 <= year <= 2100:
        raise TargetsError(f"{where}: the year must lie between 1950 and 2100")
    measure, category = row["measure"], row["category"]
    if measure not in PRODUCED:
        raise TargetsError(
            f"{where}: the measure is not one the model produces; it produces "
            + "; ".join(repr(m) for m in PRODUCED)
        )
    if kind == "rank" and measure != RANK_MEASURE:
        raise TargetsError(f"{where}: rank targets use the measure {RANK_MEASURE!r}")
    if category not in PRODUCED[measure]:
        raise TargetsError(
            f"{where}: the category is not one the model produces for {measure!r}; it "
            f"produces {', '.join(PRODUCED[measure])}"
        )
    value = _number(where, row, "value")
    if kind == "share" and not 0.0 <= value <= 1.0:
        raise TargetsError(f"{where}: a share must lie in [0, 1]")
    if kind == "rank" and value != 1:
        raise TargetsError(f"{where}: rank targets give the category ranked 1 (value 1)")


def target_key(row: object) -> str:
    """Name of a target's summary statistic, e.g. 'share|2017|employment sector...|technology'."""
    measure = SECTOR if row.kind == "rank" else row.measure
    return f"{row.kind}|{int(row.year)}|{measure}|{row.category}"
