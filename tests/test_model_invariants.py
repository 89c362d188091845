"""Invariants that must hold in every run: accounting, shares, ranges, calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import small_scenario
from talentsim.model.model import TalentModel
from talentsim.model.stages.survey import EXCLUSIVE_MEASURES, REASON, SECTOR
from talentsim.runs.runner import RunResult, run_scenario
from talentsim.scenario.schema import Scenario
from talentsim.taxonomy import CN_SECTORS, LEVELS, SEGMENTS, Country, Visa

pytestmark = pytest.mark.core  # also run under Python 3.13 with the core alone


def test_population_accounting_holds_every_step(small_run: RunResult) -> None:
    for rep in small_run.replicates:
        ts = rep.timeseries
        previous_us = np.concatenate([[rep.initial_in_us], ts["in_us"].to_numpy()[:-1]])
        change = ts["in_us"].to_numpy() - previous_us
        flows = ts["entrants"] - ts["exits"] - ts["returns"] + ts["remigrants"]
        np.testing.assert_allclose(change, flows.to_numpy(), rtol=0, atol=1e-6)
        returned = ts["returned"].to_numpy()
        china_flows = ts["returns"] - ts["remigrants"] - ts["exits_china"]
        np.testing.assert_allclose(np.diff(returned), china_flows.to_numpy()[1:], atol=1e-6)
        assert (ts["in_us"] > 0).all() and (ts["returns"] >= 0).all()
        assert ts["returns"].sum() > 0 and (ts["remigrants"] >= 0).all()


def test_segment_and_sector_columns_add_up(small_run: RunResult) -> None:
    ts = small_run.timeseries
    segments = [f"in_us_{s}" for s in SEGMENTS]
    np.testing.assert_allclose(ts[segments].sum(axis=1), ts["in_us"], atol=1e-6)
    by_sector = ts[[f"returns_to_{s}" for s in CN_SECTORS]].sum(axis=1)
    np.testing.assert_allclose(by_sector, ts["returns"], atol=1e-6)
    by_segment = ts[[f"returns_{s}" for s in SEGMENTS]]
    np.testing.assert_allclose(by_segment.sum(axis=1), ts["returns"], atol=1e-6)
    # every agent stands for the same number of people (population.weight when drawn; set
    # when recording starts when spun up), so people are agents counted
    for _, rep in ts.groupby("replicate"):
        weight = (rep["in_us"] + rep["returned"]) / rep["agents_active"]
        np.testing.assert_allclose(weight, weight.iloc[0], rtol=1e-9)
        if small_run.scenario.population.initial == "drawn":
            assert weight.iloc[0] == pytest.approx(small_run.scenario.population.weight)


def test_silicon_valley_tech_stays_the_largest_segment() -> None:
    """The design's population: SV tech is the largest segment in the US in every year of the
    baseline, 2010-2030, in every replicate (entrants must not let another segment overtake it)."""

    result = run_scenario(small_scenario(None, ["population.agents=4000", "time.end=2030"]))
    annual = result.annual.set_index(["replicate", "year"])
    stocks = annual[[f"in_us_{s}" for s in SEGMENTS]]
    largest = stocks.idxmax(axis=1).str.removeprefix("in_us_")
    assert (largest == "sv_tech").all(), largest[largest != "sv_tech"]


def test_calendar_years_and_quarters(small_run: RunResult, small_baseline: Scenario) -> None:
    ts = small_run.timeseries
    per_rep = ts[ts["replicate"] == 0]
    assert list(per_rep["year"].unique()) == list(range(2010, 2021))
    assert (per_rep.groupby("year").size() == 4).all()
    assert per_rep["time"].iloc[:5].tolist() == [2010.0, 2010.25, 2010.5, 2010.75, 2011.0]
    annual = small_run.annual
    assert annual.groupby("replicate").size().tolist() == [11, 11]
    year = annual[(annual["replicate"] == 0) & (annual["year"] == 2015)].iloc[0]
    quarters = per_rep[per_rep["year"] == 2015]
    assert year["returns"] == pytest.approx(quarters["returns"].sum())
    assert year["in_us"] == pytest.approx(quarters["in_us"].iloc[-1])
    sectors = sum(year[f"returns_to_{s}"] for s in CN_SECTORS)
    assert sectors == pytest.approx(year["returns"])


def test_survey_shares_sum_to_one_and_sample_sizes(small_run: RunResult) -> None:
    survey = small_run.survey
    exclusive = survey[survey["measure"].isin(EXCLUSIVE_MEASURES)]
    sums = exclusive.groupby(["replicate", "year", "measure"])["share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-12)
    pop = exclusive.groupby(["replicate", "year", "measure"])["population_share"].sum()
    np.testing.assert_allclose(pop.to_numpy(), 1.0, atol=1e-9)
    reasons = survey[survey["measure"] == REASON]
    assert reasons["share"].between(0, 1).all()
    n = survey.groupby("year")["n"].first()
    assert n[2015] == 913 and n[2017] == 1821 and n[2012] == 1821
    sector = survey[(survey["measure"] == SECTOR) & (survey["replicate"] == 0)]
    assert set(sector["category"]) == set(CN_SECTORS)
    ranked = sector[sector["category"] != "other"]
    assert set(ranked.groupby("year")["rank"].min()) == {1}
    assert (sector[sector["category"] == "other"]["rank"] == 0).all()


def test_running_totals_match_a_full_recount(small_baseline: Scenario) -> None:
    """In audit mode every recorded step recounts all workers and checks the ledger."""
    model = TalentModel(small_baseline, replicate=1, audit=True)
    model.run()  # raises if the ledger and the count ever disagree
    ts = model.datacollector.get_model_vars_dataframe()
    plain = TalentModel(small_baseline, replicate=1)
    plain.run()
    pd.testing.assert_frame_equal(
        ts, plain.datacollector.get_model_vars_dataframe(), check_exact=False, rtol=1e-9
    )


def test_worker_state_stays_in_range(small_baseline: Scenario) -> None:
    model = TalentModel(small_baseline)
    for _ in range(40):
        model.step()
        p = model.people
        active = p.view("active")
        assert np.all((p.view("belong_us")[active] >= 0) & (p.view("belong_us")[active] <= 1))
        assert np.all((p.view("belong_cn")[active] >= 0) & (p.view("belong_cn")[active] <= 1))
        assert np.all((p.view("level") >= 0) & (p.view("level") < len(LEVELS)))
        assert set(np.unique(p.view("visa"))) <= {int(v) for v in Visa}
        china = active & (p.view("country") == Country.CHINA)
        assert np.all(p.view("returns")[china] >= 1)
        assert not np.isnan(p.view("return_time")[china]).any()
        assert np.all(p.view("return_time")[china] <= model.t)
        assert np.all(model.t - p.view("birth")[active] < small_baseline.exit.retirement_age)
        assert np.all(p.view("pay_factor")[active] > 0)


def test_step_is_an_explicit_timed_list_of_stages(small_baseline: Scenario) -> None:
    model = TalentModel(small_baseline)
    names = [name for name, _ in model.stages]
    assert names == [
        "macro",
        "demography",
        "careers",
        "visas",
        "belonging",
        "offers",
        "decisions",
        "remigration",
        "observe",
    ]
    model.run()
    assert all(seconds > 0 for seconds in model.stage_times.values())
    assert model.step_index == model.n_steps and not model.running


def test_weights_scale_people_not_behaviour(small_baseline: Scenario) -> None:
    heavy = small_baseline.model_copy(deep=True)
    heavy.population.people = 10 * heavy.population.people  # ten times the people per agent
    a = TalentModel(small_baseline, replicate=0)
    b = TalentModel(heavy, replicate=0)
    a.run()
    b.run()
    ta = a.datacollector.get_model_vars_dataframe()
    tb = b.datacollector.get_model_vars_dataframe()
    pd.testing.assert_series_equal(ta["in_us"] * 10, tb["in_us"], check_exact=False, rtol=1e-12)
    pd.testing.assert_series_equal(ta["returns"] * 10, tb["returns"], check_exact=False)
