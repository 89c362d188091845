"""Survey targets: the returnee survey figures the model is compared with."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_COLUMNS = ("kind", "year", "survey", "n", "measure", "category", "value", "source", "note")


def default_targets_path() -> Path:
    """The targets shipped with the package (a copy of ../shared/data/survey_targets.csv)."""
    return Path(str(resources.files("talentsim") / "data" / "survey_targets.csv"))


def load_targets(path: str | Path | None = None) -> pd.DataFrame:
    """Read a targets file; add each share target's binomial standard error.

    Args:
        path: CSV in the form of data/survey_targets.csv; None for the packaged targets.

    Returns:
        The targets with a `se` column (sqrt(p(1-p)/n) for shares, NaN for ranks).
    """
    frame = pd.read_csv(path or default_targets_path())
    shares = frame["kind"] == "share"
    p, n = frame["value"].astype(float), frame["n"].astype(float)
    frame["se"] = np.where(shares, np.sqrt(p * (1 - p) / n), np.nan)
    return frame
