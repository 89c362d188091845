"""Targets files: observed figures the model is scored against and calibrated to.

A targets file is a CSV table, one row per observed figure (see docs/how-to/score-your-data.md
and data/evidence_targets.csv). Required columns: `kind`, `year`,
`measure`, `value`; the others depend on the kind:

- ``share``: a share of the virtual survey's answers: `measure` a survey question, `category`
  an answer, `n` the survey's respondents (its binomial standard error is the yardstick).
- ``rank``: the answer ranked first (`category` one answer, `value` 1) or the order of several
  (`category` ``technology>finance>education``); `n` is optional.
- ``flow`` / ``stock``: a column of the annual table (``returns``, ``in_us_phd``...; terms may
  be summed with ``+``) in a year, with a relative `tolerance` (0.25: within 25 %).
- ``growth``: the mean annual growth rate of a flow or stock from `year` to `end_year`, with
  an absolute `tolerance` (0.03: within 3 points a year).
- ``ratio``: ``A+B / C`` of annual columns in a year (a share of a flow or stock), with an
  absolute `tolerance` or `n`.
- ``retention``: the share of an entry cohort (graduates entering in `year`) still in the US
  `after_years` later, for `category` a group of the cohort table (``all``, a degree or a
  segment), with `n` or an absolute `tolerance`.

Optional columns: `id`, `split` (``calibration`` or ``validation``: calibration uses only
the first), `survey`, `population`, `source`, `note`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from talentsim.errors import TalentsimError
from talentsim.model.stages.observe import COHORT_GROUPS, timeseries_columns
from talentsim.model.stages.survey import LEVEL, REASON, SECTOR, STATUS, STATUSES
from talentsim.taxonomy import CN_SECTORS, REASONS, SURVEY_LEVELS

TARGET_COLUMNS = ("kind", "year", "survey", "n", "measure", "category", "value", "source", "note")
REQUIRED = ("kind", "year", "measure", "value")
KINDS = ("share", "rank", "flow", "stock", "growth", "ratio", "retention")
SPLITS = ("calibration", "validation")
RANK_MEASURE = "largest employment sector of returnees"
RETENTION = "retention"
BUILTIN = {
    "survey_targets": "survey_targets.csv",
    "survey_targets_alt_2015": "survey_targets_alt_2015.csv",
    "evidence": "evidence_targets.csv",
}
#: Measures and categories the virtual survey produces.
PRODUCED: dict[str, tuple[str, ...]] = {
    SECTOR: CN_SECTORS,
    LEVEL: SURVEY_LEVELS,
    REASON: REASONS,
    STATUS: STATUSES,
    RANK_MEASURE: tuple(c for c in CN_SECTORS if c != "other"),
}
#: Columns of the annual table a flow, stock, growth or ratio target may name.
ANNUAL_COLUMNS = tuple(c for c in timeseries_columns() if c not in ("time", "year"))


class TargetsError(TalentsimError):
    """A targets file that cannot be used (the message names the file and row)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Invalid targets: {message}")


#: Largest targets file read (the surveys' targets are a few kilobytes).
MAX_TARGETS_BYTES = 10 * 2**20
#: Largest sample size of a target (a survey of a hundred million people is not one).
MAX_N = 100_000_000


def default_targets_path() -> Path:
    """The targets shipped with the package (a copy of ../shared/data/survey_targets.csv)."""
    return builtin_targets_path("survey_targets")


def builtin_targets_path(name: str) -> Path:
    """Path of a packaged targets file (one of :data:`BUILTIN`)."""
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


def load_targets(path: str | Path | None = None, split: str | None = None) -> pd.DataFrame:
    """Read and check a targets file; add each target's yardstick and key.

    Args:
        path: The file (the packaged survey targets if None).
        split: Keep only the rows of this split (rows without a split belong to every split).

    Returns:
        The rows, with `se` (a binomial standard error, where the row has `n`), `scale`
        (what one unit of error is: the standard error, or the tolerance, relative for flows
        and stocks) and `key` (the name of the target's statistic).

    Raises:
        TargetsError: Naming the file, the row and what is wrong.
    """
    path = Path(path) if path is not None else default_targets_path()
    frame = _read(path)
    for index, row in frame.iterrows():
        _check_row(path, index + 2, row)  # row 1 is the header
    frame["year"] = frame["year"].astype(int)
    for column in ("n", "end_year", "after_years"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    frame["value"] = frame["value"].astype(float)
    frame["tolerance"] = pd.to_numeric(frame["tolerance"], errors="coerce")
    for column in ("category", "split"):
        frame[column] = [v if isinstance(v, str) else "" for v in frame[column]]
    frame["se"] = [_binomial_se(r) for r in frame.itertuples()]
    frame["scale"] = [_scale(r) for r in frame.itertuples()]
    frame["key"] = [target_key(r) for r in frame.itertuples()]
    if frame["key"].duplicated().any():
        line = int(np.flatnonzero(frame["key"].duplicated())[0]) + 2
        raise TargetsError(f"{path}, row {line}: the same figure as an earlier row")
    if split is not None:
        frame = frame[frame["split"].isin(("", split))].reset_index(drop=True)
        if frame.empty:
            raise TargetsError(f"{path}: no row belongs to the {split} split")
    return frame


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise TargetsError(f"{path}: the targets file does not exist")
    if path.stat().st_size > MAX_TARGETS_BYTES:
        raise TargetsError(
            f"{path}: larger than a targets file can be ({MAX_TARGETS_BYTES:,} bytes); its "
            "content is not shown"
        )
    try:
        frame = pd.read_csv(path, dtype={"category": str, "measure": str, "kind": str})
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, ValueError):
        raise TargetsError(
            f"{path}: cannot be read as a CSV table of targets; its content is not shown"
        ) from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise TargetsError(
            f"{path}: not a targets file: it lacks the column(s) {', '.join(missing)} "
            "(see data/evidence_targets.csv); its content is not shown"
        )
    if frame.empty:
        raise TargetsError(f"{path}: the targets file has no rows")
    for column in ("n", "category", "tolerance", "end_year", "after_years", "split"):
        if column not in frame.columns:
            frame[column] = np.nan
    return frame


def _binomial_se(row: object) -> float:
    if row.kind in ("share", "ratio", "retention") and not pd.isna(row.n):
        return float(np.sqrt(row.value * (1 - row.value) / float(row.n)))
    return float("nan")


def _scale(row: object) -> float:
    """One unit of a target's error: its standard error, or its tolerance."""
    if row.kind == "rank":
        return float("nan")
    if not pd.isna(row.tolerance):
        return float(row.tolerance) * (abs(row.value) if row.kind in ("flow", "stock") else 1.0)
    return float(row.se)


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


def _present(row: pd.Series, column: str) -> bool:
    value = row.get(column)
    return not (value is None or (isinstance(value, float) and np.isnan(value)) or value == "")


def _check_row(path: Path, line: int, row: pd.Series) -> None:
    """One target row: its kind, year, measure, category, value and yardstick."""
    where = f"{path}, row {line}"
    kind = row["kind"]
    if kind not in KINDS:
        raise TargetsError(f"{where}: the kind must be one of {', '.join(KINDS)}")
    year = _number(where, row, "year", whole=True)
    if not 1950 <= year <= 2100:
        raise TargetsError(f"{where}: the year must lie between 1950 and 2100")
    if _present(row, "split") and row["split"] not in SPLITS:
        raise TargetsError(f"{where}: the split must be 'calibration' or 'validation'")
    if kind in ("share", "rank"):
        _check_survey_row(where, row, kind)
    elif kind == RETENTION:
        _check_retention_row(where, row)
    else:
        _check_annual_row(where, row, kind, year)


def _check_n(where: str, row: pd.Series) -> None:
    n = _number(where, row, "n", whole=True)
    if not 1 <= n <= MAX_N:
        raise TargetsError(f"{where}: the sample size n must lie between 1 and {MAX_N:,}")


def _check_tolerance(where: str, row: pd.Series, unit: str) -> None:
    tolerance = _number(where, row, "tolerance")
    if not 0 < tolerance <= 10:
        raise TargetsError(f"{where}: the tolerance ({unit}) must lie in (0, 10]")


def _check_survey_row(where: str, row: pd.Series, kind: str) -> None:
    if kind == "share" or _present(row, "n"):
        _check_n(where, row)
    measure, category = row["measure"], row["category"]
    if measure not in PRODUCED:
        raise TargetsError(
            f"{where}: the measure is not one the model produces; it produces "
            + "; ".join(repr(m) for m in PRODUCED)
        )
    if kind == "rank" and measure != RANK_MEASURE:
        raise TargetsError(f"{where}: rank targets use the measure {RANK_MEASURE!r}")
    names = str(category).split(">") if kind == "rank" else [category]
    if any(name not in PRODUCED[measure] for name in names) or len(set(names)) != len(names):
        raise TargetsError(
            f"{where}: the category is not one the model produces for {measure!r}"
            + (" (or an order of several, joined by '>')" if kind == "rank" else "")
            + f"; it produces {', '.join(PRODUCED[measure])}"
        )
    value = _number(where, row, "value")
    if kind == "share" and not 0.0 <= value <= 1.0:
        raise TargetsError(f"{where}: a share must lie in [0, 1]")
    if kind == "rank" and value != 1:
        raise TargetsError(f"{where}: rank targets give the category ranked 1 (value 1)")


def _check_retention_row(where: str, row: pd.Series) -> None:
    if row["measure"] != RETENTION:
        raise TargetsError(f"{where}: retention targets use the measure 'retention'")
    if row["category"] not in COHORT_GROUPS:
        raise TargetsError(
            f"{where}: the category must be a group of the cohort table: "
            + ", ".join(COHORT_GROUPS)
        )
    after = _number(where, row, "after_years", whole=True)
    if not 0 <= after <= 60:
        raise TargetsError(f"{where}: after_years must lie between 0 and 60")
    _check_share_yardstick(where, row)


def _check_share_yardstick(where: str, row: pd.Series) -> None:
    value = _number(where, row, "value")
    if not 0.0 <= value <= 1.0:
        raise TargetsError(f"{where}: the value is a share and must lie in [0, 1]")
    if _present(row, "n"):
        _check_n(where, row)
    else:
        _check_tolerance(where, row, "absolute, with no n given")


def _check_annual_row(where: str, row: pd.Series, kind: str, year: float) -> None:
    measure = str(row["measure"])
    parts = measure.split("/")
    if len(parts) != (2 if kind == "ratio" else 1):
        raise TargetsError(
            f"{where}: a {kind} target's measure is "
            + ("'A+B / C' (annual columns)" if kind == "ratio" else "an annual column (or A+B)")
        )
    for part in parts:
        unknown = [t for t in annual_terms(part) if t not in ANNUAL_COLUMNS]
        if unknown or not annual_terms(part):
            raise TargetsError(
                f"{where}: the measure names no column of the annual table (columns: "
                + ", ".join(ANNUAL_COLUMNS)
                + ")"
            )
    if kind == "growth":
        end = _number(where, row, "end_year", whole=True)
        if not year < end <= 2100:
            raise TargetsError(f"{where}: end_year must come after year")
    if kind == "ratio":
        _check_share_yardstick(where, row)
        return
    value = _number(where, row, "value")
    if kind in ("flow", "stock") and value <= 0:
        raise TargetsError(f"{where}: a {kind} must be positive")
    _check_tolerance(where, row, "relative" if kind != "growth" else "absolute, a year")


def last_year(row: object) -> int:
    """The last calendar year a target needs simulated."""
    if row.kind == "growth":
        return int(row.end_year)
    if row.kind == RETENTION:
        return int(row.year) + int(row.after_years)
    return int(row.year)


def annual_terms(expression: str) -> list[str]:
    """The columns summed in an annual-table expression such as 'returns_master+returns_phd'."""
    return [t.strip() for t in str(expression).split("+") if t.strip()]


def target_key(row: object) -> str:
    """Name of a target's statistic, e.g. 'share|2017|employment sector...|technology'."""
    if row.kind == "rank":
        return f"rank|{int(row.year)}|{SECTOR}|{row.category}"
    if row.kind == "growth":
        return f"growth|{int(row.year)}-{int(row.end_year)}|{row.measure}|"
    if row.kind == RETENTION:
        return f"retention|{int(row.year)}+{int(row.after_years)}|{row.category}|"
    if row.kind in ("share",):
        return f"share|{int(row.year)}|{row.measure}|{row.category}"
    return f"{row.kind}|{int(row.year)}|{row.measure}|"
