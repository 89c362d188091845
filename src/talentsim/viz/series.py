"""The simulation's records by calendar year, as the page's views plot them."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from talentsim.evidence.targets import load_targets
from talentsim.model.stages.survey import SECTOR
from talentsim.runs.runner import annualise
from talentsim.taxonomy import CN_SECTORS, SEGMENTS

#: Record columns renamed for the page.
RENAMED: dict[str, str] = {
    "mgmt_promotion_rate_us": "promotion_chinese",
    "mgmt_promotion_rate_reference": "promotion_reference",
    "mean_salary_us_usd": "pay_us",
    "mean_salary_china_usd": "pay_china_usd",
    "mean_salary_china_ppp": "pay_china_ppp",
}
#: Columns of :func:`annual`.
ANNUAL_COLUMNS: tuple[str, ...] = (
    "in_us",
    "returned",
    "returns",
    *(f"returns_{s}" for s in SEGMENTS),
    *(f"returns_to_{s}" for s in CN_SECTORS),
    "promotion_chinese",
    "promotion_reference",
    "pay_us",
    "pay_china_usd",
    "pay_china_ppp",
)


def annual(records: pd.DataFrame) -> pd.DataFrame:
    """One row per calendar year from the per-step records, as `talentsim run` writes them.

    :func:`talentsim.runs.runner.annualise` aggregates: stocks are those at the end of the year,
    flows the year's sums, the promotion rates (annual hazards) and mean pay the averages
    over the year's steps.
    """
    if records.empty:
        return pd.DataFrame(
            columns=list(ANNUAL_COLUMNS), index=pd.Index([], name="year", dtype=int), dtype=float
        )
    frame = annualise(records.assign(replicate=0)).set_index("year").rename(columns=RENAMED)
    return frame[list(ANNUAL_COLUMNS)].astype(float)


def sector_shares(survey_rows: pd.DataFrame, by_year: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Returnees' shares by Chinese sector (columns) and year (rows), and their source.

    From the virtual survey when it was fielded (the share of returnees in China each
    sector employs, weighted as the survey samples them: comparable with the survey
    targets); otherwise the sectors of the year's returns.
    """
    rows = pd.DataFrame(survey_rows)
    if not rows.empty:
        rows = rows[rows["measure"] == SECTOR]
    if not rows.empty:
        shares = rows.pivot_table(
            index="year", columns="category", values="population_share", aggfunc="last"
        )
        return shares.reindex(columns=list(CN_SECTORS)).astype(float), "virtual survey"
    flows = by_year[[f"returns_to_{s}" for s in CN_SECTORS]].to_numpy(dtype=float)
    total = flows.sum(axis=1, keepdims=True)
    shares = np.divide(flows, total, out=np.full_like(flows, np.nan), where=total > 0)
    return pd.DataFrame(shares, index=by_year.index, columns=list(CN_SECTORS)), "returns"


@lru_cache(maxsize=1)
def sector_targets() -> pd.DataFrame:
    """The survey targets of returnees' sector shares: year, category, value, se."""
    targets = load_targets()
    chosen = targets[(targets["kind"] == "share") & (targets["measure"] == SECTOR)]
    return chosen[["year", "category", "value", "se"]].reset_index(drop=True)
