"""The virtual survey samples as documented: returnees present in China, with probability
proportional to weight x exp(-years since return / recency_years), with replacement."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from conftest import small_scenario
from talentsim.model.model import TalentModel
from talentsim.model.stages import survey
from talentsim.taxonomy import CN_SECTORS, Country

pytestmark = pytest.mark.core  # also run under Python 3.13 with the core alone


def _model_with_known_returnees(recency: float, n_respondents: int) -> TalentModel:
    scenario = small_scenario(
        None,
        [
            "population.agents=4000",
            f"survey.recency_years={recency}",
            f"survey.default_sample_size={n_respondents}",
            "survey.sample_size={}",
        ],
    )
    model = TalentModel(scenario)
    for _ in range(model.burn_in_steps + 8):
        model.step()  # now in 2012
    p = model.people
    active = p.view("active")
    slots = np.flatnonzero(active)
    rng = np.random.default_rng(5)
    # Half of the active workers are made returnees with known sectors and return dates.
    chosen = rng.choice(slots, size=len(slots) // 2, replace=False)
    p.country[slots] = Country.US
    p.country[chosen] = Country.CHINA
    p.return_time[chosen] = model.t - rng.uniform(0, 10, len(chosen))
    sector_firms = [
        np.flatnonzero((model.firms.country == Country.CHINA) & (model.firms.sector == k))[0]
        for k in range(len(CN_SECTORS))
    ]
    sectors = rng.integers(0, len(CN_SECTORS), len(chosen))
    p.employer[chosen] = np.asarray(sector_firms)[sectors]
    p.weight[chosen] = rng.choice([1.0, 3.0], len(chosen))
    return model


def test_sample_size_and_only_returnees_in_china() -> None:
    model = _model_with_known_returnees(recency=2.0, n_respondents=700)
    rows = survey.field_survey(model)
    assert {r["n"] for r in rows if r["measure"] != survey.LEVEL} == {700}
    # position levels are asked of the employed: the sample minus its founders
    founders = next(r for r in rows if r["category"] == "founded a business")
    level_n = {r["n"] for r in rows if r["measure"] == survey.LEVEL}
    assert level_n == {700 - round(founders["share"] * 700)}
    sector_rows = [r for r in rows if r["measure"] == survey.SECTOR]
    assert [r["category"] for r in sector_rows] == list(CN_SECTORS)
    assert sum(r["share"] for r in sector_rows) == pytest.approx(1.0)


def test_population_shares_follow_the_recency_weights() -> None:
    model = _model_with_known_returnees(recency=2.0, n_respondents=500)
    p = model.people
    china = np.flatnonzero(p.view("active") & (p.view("country") == Country.CHINA))
    weight = p.weight[china] * np.exp(-(model.t - p.return_time[china]) / 2.0)
    sectors = model.firms.sector[p.employer[china]]
    expected = np.bincount(sectors, weights=weight, minlength=5) / weight.sum()
    rows = [r for r in survey.field_survey(model) if r["measure"] == survey.SECTOR]
    np.testing.assert_allclose([r["population_share"] for r in rows], expected, rtol=1e-9)
    # and they differ from unweighted shares (the weights matter)
    unweighted = np.bincount(sectors, minlength=5) / len(sectors)
    assert not np.allclose(expected, unweighted, atol=1e-3)


def test_sample_counts_match_the_design_in_distribution() -> None:
    """Pooling many independent surveys, the sector counts fit the design's shares."""
    model = _model_with_known_returnees(recency=3.0, n_respondents=400)
    p = model.people
    china = np.flatnonzero(p.view("active") & (p.view("country") == Country.CHINA))
    prob = survey.recency_weights(model, china)
    prob /= prob.sum()
    sectors = model.firms.sector[p.employer[china]]
    expected = np.bincount(sectors, weights=prob, minlength=5)
    counts = np.zeros(5)
    recency_sum = 0.0
    for tick in range(40):
        model.tick = 10_000 + tick  # a fresh survey stream each time
        rows = [r for r in survey.field_survey(model) if r["measure"] == survey.SECTOR]
        counts += np.array([r["share"] * r["n"] for r in rows])
        gen = model.streams.generator(survey.Draw.SURVEY, model.tick)
        sample = gen.choice(len(china), size=400, replace=True, p=prob)
        recency_sum += (model.t - p.return_time[china][sample]).mean()
    test = stats.chisquare(counts, counts.sum() * expected)
    assert test.pvalue > 1e-3
    # Mean years since return in the sample equals the design's weighted mean.
    design_mean = float(np.dot(prob, model.t - p.return_time[china]))
    assert recency_sum / 40 == pytest.approx(design_mean, rel=0.03)
    # Recency weighting pulls the sample towards recent returnees (returns span 0-10 years).
    assert design_mean < 4.0


def test_empty_china_gives_missing_shares_not_an_error() -> None:
    model = TalentModel(small_scenario())
    model.people.view("country")[:] = Country.US
    rows = survey.field_survey(model)
    assert all(r["n"] == 0 and np.isnan(r["share"]) for r in rows)


def test_survey_years_and_sample_sizes() -> None:
    """Only the listed years are surveyed, each with its survey's size (the month: test_rules)."""
    scenario = small_scenario(None, ["survey.years=[2015, 2017]", "survey.month=10"])
    model = TalentModel(scenario)
    model.run()
    years = {r["year"] for r in model.survey_rows}
    assert years == {2015, 2017}
    assert survey.sample_size(scenario.survey, 2015) == 913
