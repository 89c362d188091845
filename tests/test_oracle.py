"""The vectorised model and the per-agent oracle compute the same model, in distribution.

Twenty seeds of each at a small population; for each outcome (returns per year, people in
the US and returned, the 2015 and 2017 virtual survey's sector shares and position levels)
a two-sample Mann-Whitney test, with Holm's correction across outcomes; the test fails if
any corrected p-value is below 1 %. The second test breaks one rule in the fast path and
checks that the comparison notices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import small_scenario
from oracle import OracleModel
from talentsim import visas
from talentsim.model import TalentModel
from talentsim.runner import annualise
from talentsim.survey import LEVEL, SECTOR

SEEDS = 20
SETTINGS = ["population.agents=800", "replicates=1", "seed=31337"]
ALPHA = 0.01


def outcomes(model_class: type[TalentModel], replicate: int) -> dict[str, float]:
    """The compared outcomes of one run."""
    model = model_class(small_scenario(None, SETTINGS), replicate=replicate)
    model.run()
    ts = model.datacollector.get_model_vars_dataframe()
    ts.insert(0, "replicate", replicate)
    annual = annualise(ts).set_index("year")
    out = {f"returns {y}": annual.loc[y, "returns"] for y in annual.index}
    for y in (2015, 2020):
        out[f"in US {y}"] = annual.loc[y, "in_us"]
        out[f"returned {y}"] = annual.loc[y, "returned"]
    out["exits 2010-2020"] = annual["exits"].sum() + annual["exits_china"].sum()
    survey = pd.DataFrame(model.survey_rows)
    picked = survey[survey["year"].isin([2015, 2017]) & survey["measure"].isin([SECTOR, LEVEL])]
    for row in picked.itertuples():
        out[f"{row.year} {row.category}"] = row.share
    return out


def sample(model_class: type[TalentModel]) -> pd.DataFrame:
    return pd.DataFrame([outcomes(model_class, r) for r in range(SEEDS)])


def compare(fast: pd.DataFrame, oracle: pd.DataFrame) -> pd.Series:
    """Holm-corrected p-values of a two-sided Mann-Whitney test per outcome."""
    raw = pd.Series(
        {column: stats.mannwhitneyu(fast[column], oracle[column]).pvalue for column in fast.columns}
    )
    order = raw.sort_values()
    m = len(order)
    adjusted = np.maximum.accumulate([(m - i) * p for i, p in enumerate(order)])
    return pd.Series(np.minimum(adjusted, 1.0), index=order.index).reindex(raw.index)


@pytest.fixture(scope="module")
def oracle_sample() -> pd.DataFrame:
    return sample(OracleModel)


def test_fast_model_agrees_with_the_oracle(oracle_sample: pd.DataFrame) -> None:
    fast = sample(TalentModel)
    p = compare(fast, oracle_sample)
    assert len(p) >= 30
    worst = p.nsmallest(3)
    assert p.min() > ALPHA, f"fast and oracle differ: {worst.to_dict()}"


def test_a_broken_rule_is_detected(oracle_sample: pd.DataFrame, monkeypatch) -> None:
    """Give non-STEM graduates the STEM OPT length in the fast path only."""

    def broken_opt_years(p, stem):
        return np.full(np.shape(stem), p.visas.opt_years_stem)

    monkeypatch.setattr(visas, "opt_years", broken_opt_years)
    p = compare(sample(TalentModel), oracle_sample)
    assert p.min() < ALPHA, p.nsmallest(3).to_dict()
