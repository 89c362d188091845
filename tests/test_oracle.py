"""The vectorised model and the per-agent oracle compute the same model, in distribution.

Twenty replicates of each, on the baseline and on a scenario with interventions
(us_china_decoupling: a tension ramp over 2018-2020 and fewer US offers to returnees from
2019), at 800 agents. Replicate r of the two models starts from the same population, so the
comparison is paired: for each outcome (returns per year and summed over 2010-2014 and
2015-2020, people in the US and returned, the 2015 and 2017 survey's sector shares and
position levels) a Wilcoxon signed-rank test of the 20 differences, with Holm's correction
across outcomes; the test fails if any corrected p-value is below 1 %.

What it can detect: with 20 pairs and Holm's first threshold 0.01 / m (m = 36 outcomes), a
shift of about 1.02 standard deviations of the paired difference is found with 80 %
power (normal approximation, Wilcoxon's efficiency 3/pi). Measured here (`pytest
tests/test_oracle.py -s` prints them): about 13 % of a single year's returns, 3.5-4.5 % of
the returns summed over 2015-2020, and 2.3-3.4 % of the people in the US or returned in
2020: a rule that moves a flow by less, or only in a few years, can pass. The rules the
oracle does not re-implement (macro indices, entrants, the survey's design) are checked
directly in test_rules.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import SCENARIOS, small_scenario
from oracle import OracleModel
from talentsim.model.model import TalentModel
from talentsim.model.stages import visas
from talentsim.model.stages.survey import LEVEL, SECTOR
from talentsim.runs.runner import annualise

SEEDS = 20
# A 10-year spin-up (not the baseline's 30): the pool is still the graduates' own, and the
# oracle runs fewer years.
SETTINGS = ["population.agents=800", "replicates=1", "seed=31337", "time.burn_in_years=10"]
ALPHA = 0.01
POWER_Z = stats.norm.ppf(0.8)
SCENARIO_FILES = {"baseline": None, "decoupling": SCENARIOS / "us_china_decoupling.yaml"}


def outcomes(model_class: type[TalentModel], scenario: str, replicate: int) -> dict[str, float]:
    """The compared outcomes of one run."""
    model = model_class(small_scenario(SCENARIO_FILES[scenario], SETTINGS), replicate=replicate)
    model.run()
    ts = model.datacollector.get_model_vars_dataframe()
    ts.insert(0, "replicate", replicate)
    annual = annualise(ts).set_index("year")
    out = {f"returns {y}": annual.loc[y, "returns"] for y in annual.index}
    out["returns 2010-2014"] = annual.loc[2010:2014, "returns"].sum()
    out["returns 2015-2020"] = annual.loc[2015:2020, "returns"].sum()
    for y in (2015, 2020):
        out[f"in US {y}"] = annual.loc[y, "in_us"]
        out[f"returned {y}"] = annual.loc[y, "returned"]
    out["exits 2010-2020"] = annual["exits"].sum() + annual["exits_china"].sum()
    survey = pd.DataFrame(model.survey_rows)
    picked = survey[survey["year"].isin([2015, 2017]) & survey["measure"].isin([SECTOR, LEVEL])]
    for row in picked.itertuples():
        out[f"{row.year} {row.category}"] = row.share
    return out


def sample(model_class: type[TalentModel], scenario: str) -> pd.DataFrame:
    return pd.DataFrame([outcomes(model_class, scenario, r) for r in range(SEEDS)])


def holm(raw: pd.Series) -> pd.Series:
    """Holm's step-down correction of a series of p-values."""
    order = raw.sort_values()
    m = len(order)
    adjusted = np.maximum.accumulate([(m - i) * p for i, p in enumerate(order)])
    return pd.Series(np.minimum(adjusted, 1.0), index=order.index).reindex(raw.index)


def compare(fast: pd.DataFrame, oracle: pd.DataFrame) -> pd.Series:
    """Holm-corrected p-values of a paired, two-sided Wilcoxon signed-rank test per outcome."""
    differences = fast - oracle
    raw = pd.Series(
        {
            column: 1.0
            if np.allclose(differences[column], 0)
            else stats.wilcoxon(differences[column]).pvalue
            for column in fast.columns
        }
    )
    return holm(raw)


def detectable(fast: pd.DataFrame, oracle: pd.DataFrame) -> pd.Series:
    """The shift found with 80 % power, relative to the outcome's mean (normal approx.)."""
    m = len(fast.columns)
    z = stats.norm.ppf(1 - ALPHA / m / 2) + POWER_Z
    sd = (fast - oracle).std()
    return z * sd / np.sqrt(SEEDS) / np.sqrt(3 / np.pi) / fast.mean().abs()


@pytest.fixture(scope="module", params=sorted(SCENARIO_FILES))
def paired(request) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    return request.param, sample(TalentModel, request.param), sample(OracleModel, request.param)


def test_fast_model_agrees_with_the_oracle(paired) -> None:
    scenario, fast, oracle = paired
    p = compare(fast, oracle)
    assert len(p) == 36
    shift = detectable(fast, oracle)
    print(f"\n{scenario}: detectable shifts (share of the mean):")
    for name in ("returns 2015", "returns 2015-2020", "in US 2020", "returned 2020"):
        print(f"  {name}: {shift[name]:.1%}")
    worst = p.nsmallest(3)
    assert p.min() > ALPHA, f"{scenario}: fast and oracle differ: {worst.to_dict()}"


def test_a_broken_rule_is_detected(paired, monkeypatch) -> None:
    """Give non-STEM graduates the STEM OPT length in the fast path only."""
    scenario, _, oracle = paired

    def broken_opt_years(p, stem):
        return np.full(np.shape(stem), p.visas.opt_years_stem)

    monkeypatch.setattr(visas, "opt_years", broken_opt_years)
    p = compare(sample(TalentModel, scenario), oracle)
    assert p.min() < ALPHA, p.nsmallest(3).to_dict()
