"""Rules checked against a direct computation, each test named for the rule it checks.

These hold the parts of the model that the per-agent oracle (tests/oracle.py) shares with
the fast model and so cannot check: the macro indices, the number and make-up of entrants,
the virtual survey's design; and rules whose breakage nothing else would notice: the
remigration stage, the sweep's seeds, every target counting in the calibration distance.
Each expected value is computed here from the rule as docs/ODD.md states it, not with
talentsim's own code.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import small_scenario
from talentsim.calibration.abc import prepare
from talentsim.model.model import TalentModel
from talentsim.model.stages.survey import SECTOR, field_survey, is_survey_step
from talentsim.runs.runner import run_scenario
from talentsim.runs.sweep import plan_sweep, run_one
from talentsim.scenario.loader import load_scenario
from talentsim.taxonomy import CN_SECTORS, EDUCATION, SEGMENTS, SKILLS, Country, Visa

REPO = Path(__file__).resolve().parents[1]
TECH = CN_SECTORS.index("technology")


def _steps(model: TalentModel):
    """Step the model; yield it after the macro stage of each recorded step has run."""
    while model.running:
        model.step()
        if model.step_index - 1 >= 0:
            yield model


# --------------------------------------------------------------------------- macro indices


def _ramp(t: float, before: float, start: float, end: float, after: float) -> float:
    """A value that moves linearly from `before` at `start` to `after` at `end`."""
    if t < start:
        return before
    if t >= end:
        return after
    return before + (after - before) * (t - start) / (end - start)


def test_macro_indices_follow_the_stated_growth_paths() -> None:
    """ODD 7.1: an index integrates the growth rate in force at each step (left sums of
    the rate times the step length from time.start); a level is stated for the reference
    year under the base growth rate. Checked by hand on the baseline, whose tech and finance
    demand growth ramp to 0 over 2018-2022, and on a salary boom from 2018."""
    boom = small_scenario(
        REPO / "scenarios" / "china_tech_salary_boom.yaml", ["replicates=1", "time.end=2024"]
    )
    model = TalentModel(boom)
    c = boom.china.sectors
    dt = model.dt
    log_demand = log_pay = 0.0
    for m in _steps(model):
        t = m.t
        assert m.macro.cn_demand[TECH] == pytest.approx(math.exp(log_demand), rel=1e-12)
        wage = c.technology.wage * math.exp(log_pay - c.technology.pay_growth * (2017 - 2010))
        assert m.macro.cn_wage[TECH] == pytest.approx(wage, rel=1e-12)
        us_wage = boom.us.wage.software * math.exp(boom.us.pay_growth * (t - 2017))
        assert m.macro.us_wage[0] == pytest.approx(us_wage, rel=1e-12)
        log_demand += _ramp(t, c.technology.demand_growth, 2018, 2022, 0.0) * dt
        log_pay += (0.15 if t >= 2018 else c.technology.pay_growth) * dt
    assert log_pay > c.technology.pay_growth * 14  # the boom did raise pay growth


# --------------------------------------------------------------------------- entrants


def test_entrants_follow_the_inflow_formula_and_the_mixes() -> None:
    """ODD 7.2: E(y) = entry.rate x agents x exp(entry.growth x (t - start)) graduates enter
    in the step of entry.month, the fraction carried to the next year; their segments follow
    entry.segment_mix, skills population.skill_mix, degrees the segment's education mix."""
    scenario = small_scenario(None, ["population.agents=20000", "replicates=1"])
    model = TalentModel(scenario)
    t0 = scenario.time.start
    steps = scenario.time.steps_per_year
    entry_t = ((scenario.entry.month - 1) * steps // 12) / steps
    expected_total, counted = 0.0, 0
    agents = scenario.population.agents
    start_slots = agents if scenario.population.initial == "drawn" else 0  # spun up: empty
    for year in range(t0 - scenario.time.burn_in_years, scenario.time.end + 1):
        t = year + entry_t
        expected_total += scenario.entry.rate * agents * math.exp(scenario.entry.growth * (t - t0))
    model.run()
    counted = model.people.n - start_slots
    assert counted == int(expected_total)  # every year's fraction carried, none lost
    entrants = slice(start_slots, model.people.n)
    p = model.people
    segment = p.segment[entrants]
    mix = scenario.entry.segment_mix.model_dump()
    share = np.array([mix[s] for s in SEGMENTS]) / sum(mix.values())
    observed = np.bincount(segment, minlength=len(SEGMENTS))
    assert stats.chisquare(observed, observed.sum() * share).pvalue > 1e-4
    tech = segment == SEGMENTS.index("sv_tech")
    skills = scenario.population.skill_mix.model_dump()
    skill_share = np.array([skills[s] for s in SKILLS[:-1]]) / sum(skills.values())
    got = np.bincount(p.skill[entrants][tech], minlength=3)[:3]
    assert stats.chisquare(got, got.sum() * skill_share).pvalue > 1e-4
    assert (p.skill[entrants][~tech] == SKILLS.index("none")).all()
    for s, name in enumerate(SEGMENTS):
        degrees = getattr(scenario.population.education_mix, name).model_dump()
        want = np.array([degrees[e] for e in EDUCATION]) / sum(degrees.values())
        got = np.bincount(p.education[entrants][segment == s], minlength=3)
        keep = want > 0
        assert (got[~keep] == 0).all(), name  # no degree the mix gives no weight to
        assert stats.chisquare(got[keep], got.sum() * want[keep]).pvalue > 1e-4, name


# --------------------------------------------------------------------------- the survey


def _returnees_by_recency(recency: float, n: int) -> TalentModel:
    """A model in 2012 whose returnees' sectors depend on when they returned: those who
    returned in the last two years work in technology, the others in finance."""
    scenario = small_scenario(
        None,
        [
            "population.agents=4000",
            f"survey.recency_years={recency}",
            f"survey.default_sample_size={n}",
            "survey.sample_size={}",
        ],
    )
    model = TalentModel(scenario)
    for _ in range(model.burn_in_steps + 8):
        model.step()
    p, rng = model.people, np.random.default_rng(8)
    slots = np.flatnonzero(p.view("active"))
    chosen = rng.choice(slots, size=len(slots) // 2, replace=False)
    p.country[slots] = Country.US
    p.country[chosen] = Country.CHINA
    since = rng.uniform(0, 10, len(chosen))
    p.return_time[chosen] = model.t - since
    firm = {
        k: np.flatnonzero((model.firms.country == Country.CHINA) & (model.firms.sector == k))[0]
        for k in (TECH, CN_SECTORS.index("finance"))
    }
    p.employer[chosen] = np.where(since < 2, firm[TECH], firm[CN_SECTORS.index("finance")])
    return model


def test_the_survey_samples_by_recency_as_designed() -> None:
    """ODD 7.11: respondents are drawn with replacement among returnees in China with
    probability proportional to people x exp(-years since return / recency_years). With
    sectors tied to the return date, both the sample's and the population's technology
    shares must equal the recency-weighted share computed here, not the plain share."""
    recency, n = 2.0, 2000
    model = _returnees_by_recency(recency, n)
    p = model.people
    china = np.flatnonzero(p.view("active") & (p.view("country") == Country.CHINA))
    since = model.t - p.return_time[china]
    weight = p.weight[china] * np.exp(-since / recency)
    expected = weight[since < 2].sum() / weight.sum()
    plain = (since < 2).mean()
    assert expected - plain > 0.25  # the design matters here
    shares, population = [], []
    for tick in range(30):
        model.tick = 20_000 + tick
        row = next(
            r
            for r in field_survey(model)
            if r["measure"] == SECTOR and r["category"] == "technology"
        )
        shares.append(row["share"])
        population.append(row["population_share"])
    assert population[0] == pytest.approx(expected, rel=1e-9)
    se = math.sqrt(expected * (1 - expected) / (n * len(shares)))
    assert abs(np.mean(shares) - expected) < 4 * se, (np.mean(shares), expected, plain)


@pytest.mark.parametrize("month", [1, 4, 6, 10, 12])
def test_the_survey_is_fielded_in_its_month(month: int) -> None:
    """The survey runs once a survey year, in the step holding the first day of its month."""
    scenario = small_scenario(
        None, ["survey.years=[2012, 2014]", f"survey.month={month}", "replicates=1"]
    )
    model = TalentModel(scenario)
    fielded = []
    while model.running:
        if model.step_index >= 0 and is_survey_step(model):
            fielded.append(model.config.time.start + model.step_index * model.dt)
        model.step()
    quarter_start = math.floor((month - 1) / 3) / 4  # quarterly steps
    assert fielded == [2012 + quarter_start, 2014 + quarter_start]
    assert {r["year"] for r in model.survey_rows} == {2012, 2014}


# --------------------------------------------------------------------------- remigration


def test_returnees_come_back_through_the_remigration_stage() -> None:
    """ODD 7.9: returnees with a US offer may move back; without permanent status they need
    an H-1B, so they move only in the lottery step; with no US offers, nobody comes back."""
    common = ["replicates=1", "decisions.moving_cost_remigrate=0", "time.end=2016"]
    none = run_scenario(small_scenario(None, [*common, "remigration.us_offer_rate=0"]))
    assert (none.annual["remigrants"] == 0).all()
    model = TalentModel(small_scenario(None, [*common, "remigration.us_offer_rate=4"]))
    lottery = (model.config.visas.lottery_month - 1) * model.config.time.steps_per_year // 12
    moved_h1b, moved_permanent = 0, 0
    while model.running:
        before = model.people.view("country").copy()
        model.step()
        p = model.people
        back = np.flatnonzero((before == Country.CHINA.value) & (p.country[: len(before)] == 0))
        back = back[p.active[back]]
        on_h1b = back[p.visa[back] == Visa.H1B.value]
        if len(on_h1b):
            assert (model.step_index - 1) % model.config.time.steps_per_year == lottery
        moved_h1b += len(on_h1b)
        moved_permanent += len(back) - len(on_h1b)
    assert moved_h1b > 20 and moved_permanent > 20
    remigrants = model.datacollector.get_model_vars_dataframe()["remigrants"].sum()
    assert remigrants > 0.02 * none.annual["returns"].sum()


# --------------------------------------------------------------------------- sweep seeds


def test_each_sweep_run_uses_its_own_stream() -> None:
    """A run's streams come from SeedSequence(hash, spawn_key=(point, replicate)): the run
    equals a model built from that sequence; replicates of a point differ; with common
    random numbers replicate r is shared by every point."""
    loaded = load_scenario(REPO / "experiments" / "smoke_sweep.yaml")
    plan = plan_sweep(loaded, Path("/nonexistent/plan-only"))
    base = plan.scenario.model_copy(update={"sweep": None})
    first, second = plan.runs[0], plan.runs[1]
    assert (first.point, second.point) == (0, 0) and first.replicate != second.replicate
    a, b = run_one(base, first), run_one(base, second)
    assert not a["timeseries"]["returns"].equals(b["timeseries"]["returns"])
    from talentsim.runs.designs import point_scenario

    model = TalentModel(
        point_scenario(base, dict(first.values)),
        replicate=first.replicate,
        seed_sequence=np.random.SeedSequence(first.entropy, spawn_key=(0, first.replicate)),
    )
    model.run()
    direct = model.datacollector.get_model_vars_dataframe()["returns"].to_numpy()
    np.testing.assert_array_equal(a["timeseries"]["returns"].to_numpy(), direct)
    crn = load_scenario(
        REPO / "experiments" / "smoke_sweep.yaml", ["sweep.common_random_numbers=true"]
    )
    runs = plan_sweep(crn, Path("/nonexistent/plan-only")).runs
    assert {r.spawn_key for r in runs if r.replicate == 1} == {(1,)}


# --------------------------------------------------------------------------- calibration


def test_every_target_counts_in_the_calibration_distance() -> None:
    """ODD 10.2: d = sqrt(sum w_k z_k^2 / sum w_k) + rank_penalty x wrong rankings, over
    every row of the targets file: a miss of one standard error in target k alone gives
    sqrt(w_k / sum w); a wrong ranking gives rank_penalty."""
    loaded = load_scenario(REPO / "experiments" / "calibration" / "baseline_calibration.yaml")
    setup = prepare(loaded)
    targets, config = setup.targets, setup.config
    observed = setup.observed
    others = setup.simulator.others
    other_keys = set(others["key"]) if others is not None else set()
    assert set(setup.simulator.keys) | other_keys == set(targets["key"])
    scaled = targets[targets["kind"] != "rank"]  # shares in their SE, others in tolerances
    weight = {r.key: config.weights.get(r.measure, 1.0) for r in scaled.itertuples()}
    total = sum(weight.values())
    assert (targets["kind"] == "share").sum() >= 10
    for row in scaled.itertuples():
        if weight[row.key] == 0:
            continue
        scale = row.se if row.kind == "share" else row.tolerance
        simulated = {**observed, row.key: observed[row.key] + scale}
        want = math.sqrt(weight[row.key] / total)
        assert setup.distance(simulated, observed) == pytest.approx(want), row.key
    for row in targets[targets["kind"] == "rank"].itertuples():
        simulated = {**observed, row.key: 0.0}
        assert setup.distance(simulated, observed) == pytest.approx(config.abc.rank_penalty)
    assert setup.distance(dict(observed), observed) == 0.0


def test_the_targets_are_the_surveys_figures() -> None:
    """The packaged targets hold the CCG figures the README quotes (a figure, not a formula)."""
    loaded = load_scenario(REPO / "experiments" / "calibration" / "baseline_calibration.yaml")
    targets = prepare(loaded).targets.set_index("key")
    assert targets.loc[f"share|2015|{SECTOR}|technology", "value"] == 0.10
    assert targets.loc[f"share|2017|{SECTOR}|technology", "n"] == 1821
    frame = pd.DataFrame(targets)
    assert set(frame.loc[frame["kind"] == "rank", "category"]) == {"finance", "technology"}


def test_remigration_weighs_the_cost_of_moving_back() -> None:
    """Returnees with a US offer compare utilities net of the cost of moving back: a high
    cost keeps most of them in China (same seeds, so only the cost differs)."""

    def remigrants(cost: float) -> float:
        scenario = small_scenario(
            None,
            [
                "replicates=2",
                "time.end=2016",
                "remigration.us_offer_rate=2",
                f"decisions.moving_cost_remigrate={cost}",
            ],
        )
        return run_scenario(scenario).annual["remigrants"].sum()

    free, costly = remigrants(0.0), remigrants(4.0)
    assert costly < 0.5 * free, (costly, free)
    assert costly > 0  # some still move: the Gumbel noise and better US jobs


# --------------------------------------------------------------------------- found by mutation


def test_promotion_hazards_by_country_and_level() -> None:
    """ODD 7.3: in US firms the base hazard cut by the bamboo-ceiling penalty at the steps to
    manager and director (management) and to executive; in Chinese firms the base hazard
    times china_promotion_multiplier, no penalty; no step above executive."""
    from talentsim.model.stages.careers import level_hazard

    model = TalentModel(small_scenario(None, ["replicates=1"]))
    c = model.p.careers
    base = [c.promotion.to_senior, c.promotion.to_manager, c.promotion.to_director]
    base.append(c.promotion.to_executive)
    us = [base[0], *(b * (1 - c.bamboo_penalty_management) for b in base[1:3])]
    us += [base[3] * (1 - c.bamboo_penalty_executive), 0.0]
    cn = [b * c.china_promotion_multiplier for b in base] + [0.0]
    levels = np.arange(5)
    for country, want in ((Country.US, us), (Country.CHINA, cn)):
        got = level_hazard(model, np.full(5, country.value, np.int8), levels)
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_who_talent_programmes_target() -> None:
    """ODD 7.7: doctorates, managers and above, and AI/ML specialists, each on their own."""
    from talentsim.model.stages.offers import eligible
    from talentsim.taxonomy import AI_ML, MANAGER, PHD

    edu = np.array([PHD, 0, 0, 0, 1])
    level = np.array([0, MANAGER, 0, 0, MANAGER - 1])
    skill = np.array([0, 0, AI_ML, 0, 0])
    assert eligible(edu, level, skill).tolist() == [True, True, True, False, False]


def test_a_single_target_and_a_missing_statistic_in_the_distance() -> None:
    """One share target one standard error off gives distance 1; a statistic the simulation
    did not produce (a survey with no respondents) makes the distance infinite."""
    from talentsim.calibration.abc import TargetDistance

    distance = TargetDistance(se={"a": 0.02}, weight={"a": 1.0}, ranks=["r"], rank_penalty=3.0)
    observed = {"a": 0.1, "r": 1.0}
    assert distance({"a": 0.12, "r": 1.0}, observed) == pytest.approx(1.0)
    assert distance({"r": 1.0}, observed) == math.inf
    assert distance({"a": 0.1}, observed) == pytest.approx(3.0)  # a ranking missing: wrong


def test_the_first_rank_probability_reads_only_its_year() -> None:
    """The chance of ranking first in 2017 comes from the 2017 shares alone."""
    from talentsim.calibration.abc import first_rank_probability

    def rows(year: int, tech: float, fin: float) -> pd.DataFrame:
        shares = {"technology": tech, "finance": fin, "education": 0.1, "other": 0.8 - tech - fin}
        return pd.DataFrame(
            {
                "year": year,
                "measure": SECTOR,
                "category": list(shares),
                "population_share": list(shares.values()),
                "n": 1821,
            }
        )

    alone = first_rank_probability(rows(2017, 0.16, 0.14), "technology")
    survey = pd.concat([rows(2015, 0.05, 0.30), rows(2017, 0.16, 0.14)], ignore_index=True)
    year = survey[survey["year"] == 2017]
    assert first_rank_probability(year, "technology") == alone
    from talentsim.calibration.abc import summary_statistics

    key = f"rank|2017|{SECTOR}|technology"
    stats_ = summary_statistics(survey, [key], rank_statistic="probability")
    assert stats_[key] == pytest.approx(alone)


def test_a_sweeps_entropy_is_its_scenarios_hash() -> None:
    """README, 'Seeds': a sweep's seed sequences take the first 128 bits of its hash."""
    from talentsim.runs.sweep import run_entropy

    a = load_scenario(REPO / "experiments" / "smoke_sweep.yaml")
    b = load_scenario(REPO / "experiments" / "smoke_sweep.yaml", ["seed=1"])
    assert run_entropy(a.scenario) == int(a.hash[:32], 16)
    assert run_entropy(a.scenario) != run_entropy(b.scenario)


# --------------------------------------------------------------------------- visas


def test_other_routes_keep_a_share_of_those_about_to_lose_status() -> None:
    """ODD 7.5.2: a share `other_route_share` of the workers about to lose status keep an
    H-1B-like status with a fresh clock; at 1 nobody is forced out, at 0 nobody is kept."""
    from talentsim.model.stages.visas import _other_routes

    drawn = ["replicates=1", "population.initial=drawn"]  # a full pool at the first step
    model = TalentModel(small_scenario(None, [*drawn, "visas.other_route_share=0.5"]))
    model.step()
    slots = np.arange(min(model.people.n, 1500))
    lost = _other_routes(model, slots)
    kept = np.setdiff1d(slots, lost)
    assert abs(len(kept) / len(slots) - 0.5) < 3 * math.sqrt(0.25 / len(slots))
    assert (model.people.visa[kept] == Visa.H1B.value).all()
    assert (model.people.visa_since[kept] == model.t).all()
    model.p.visas.other_route_share = 0.0
    assert np.array_equal(_other_routes(model, slots), slots)

    common = ["replicates=1", "time.end=2016"]
    never = run_scenario(small_scenario(None, [*common, "visas.other_route_share=1"]))
    assert (never.annual["status_lost"] == 0).all()
    assert (never.annual["forced_returns"] == 0).all()
    always = run_scenario(small_scenario(None, [*common, "visas.other_route_share=0"]))
    assert always.annual["status_lost"].sum() > 0


def test_a_forced_returnee_names_a_lost_status_with_the_reporting_share() -> None:
    """ODD 7.8.4: a returnee forced out names unfavourable conditions abroad with chance
    `forced_reason_share` alone; for the others the share changes nothing."""
    from talentsim.model.stages.decisions import JobTerms, reason_mask

    model = TalentModel(small_scenario(None, ["replicates=1", "population.initial=drawn"]))
    model.step()
    idx = np.arange(min(model.people.n, 1500))
    zero = np.zeros(len(idx))
    terms = JobTerms(zero, zero, zero, zero)
    abroad = 1 << 3

    def masks(share: float, forced: bool) -> np.ndarray:
        model.p.decisions.forced_reason_share = share
        return reason_mask(model, idx, terms, terms, np.full(len(idx), forced))

    assert not (masks(0.0, True) & abroad).any()
    assert (masks(1.0, True) & abroad).all()
    named = ((masks(0.3, True) & abroad) > 0).mean()
    assert abs(named - 0.3) < 3 * math.sqrt(0.21 / len(idx))
    assert np.array_equal(masks(0.0, False), masks(1.0, False))
    others = np.uint8(0xFF ^ abroad)
    assert np.array_equal(masks(0.3, True) & others, masks(1.0, True) & others)
