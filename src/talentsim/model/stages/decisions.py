"""Stage 7: decisions. Stay, switch within the US, or return to a Chinese firm in sector k.

Each option's utility adds the weighted factors of DESIGN.md: log PPP pay and equity, expected
pay growth over the horizon (room for growth), expected promotions (with the bamboo ceiling
in US firms), belonging to the destination, opportunity (sector demand growth and start-up
upside), family pull and peers' experience (China options), visa risk and US-China tension
(US options) and the cost of moving. The choice is a multinomial-logit draw (Gumbel-max).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from talentsim.model import schedule
from talentsim.model.ledger import totals
from talentsim.model.stages.belonging import family_pull_of
from talentsim.model.stages.careers import (
    pay_factor_of,
    salary_of,
    schedule_promotions,
)
from talentsim.model.stages.offers import Offers
from talentsim.model.stages.visas import visa_risk
from talentsim.model.streams import Draw
from talentsim.scenario.schema import Scenario
from talentsim.taxonomy import CHINA_WAGE_GROUP, CN_SECTORS, REASONS, Country

if TYPE_CHECKING:
    from talentsim.model.state import Model

STAY, SWITCH, RETURN = 0, 1, 2
CN_OTHER = CN_SECTORS.index("other")  # founders start firms in start-ups and 'other'


@dataclass
class JobTerms:
    """What a job offers, per worker: the inputs of its utility."""

    log_pay: np.ndarray  # log PPP pay and equity
    growth: np.ndarray  # expected annual pay growth
    promotion: np.ndarray  # expected promotions over the planning horizon
    opportunity: np.ndarray  # sector demand growth plus start-up upside


def job_terms(
    model: Model,
    country: Country,
    pay_cat: np.ndarray,
    firm: np.ndarray,
    level: np.ndarray,
    education: np.ndarray,
    pay_mult: np.ndarray,
) -> JobTerms:
    """The utility inputs of jobs (current or offered) in one country, one per worker."""
    p, macro, firms = model.p, model.macro, model.firms
    factor = pay_factor_of(model, firm, level, education, pay_mult)
    total = salary_and_equity(model, country, pay_cat, firm, factor)
    upside = p.firms.startup_upside * firms.startup[firm] * firms.equity_rate[firm]
    us_prospects, cn_prospects = model.step_state.prospects
    if country == Country.US:
        return JobTerms(
            log_pay=np.log(total),
            growth=np.full(len(firm), macro.us_pay_growth),
            promotion=us_prospects[level],
            opportunity=np.full(len(firm), macro.us_demand_growth) + upside,
        )
    sector = firms.sector[firm]
    return JobTerms(
        log_pay=np.log(total / macro.ppp),
        growth=macro.cn_pay_growth[sector],
        promotion=cn_prospects[level],
        opportunity=macro.cn_demand_growth[sector] + upside,
    )


def salary_and_equity(
    model: Model,
    country: Country,
    pay_cat: np.ndarray,
    firm: np.ndarray,
    pay_factor: np.ndarray,
) -> np.ndarray:
    """Salary plus equity of jobs in one country at `firm` (local currency)."""
    us = country == Country.US
    group = pay_cat if us else CHINA_WAGE_GROUP + model.firms.sector[firm]
    return salary_of(model, group, pay_factor) * (1 + model.firms.equity_rate[firm])


def job_value(p: Scenario, terms: JobTerms) -> np.ndarray:
    """The part of utility every job has: pay, growth, promotions, opportunity."""
    w, horizon = p.decisions.weights, p.decisions.horizon_years
    return (
        w.salary * terms.log_pay
        + w.growth * horizon * terms.growth
        + w.promotion * terms.promotion
        + w.opportunity * terms.opportunity
    )


def us_extras(
    model: Model,
    idx: np.ndarray,
    visa: np.ndarray | None = None,
    since: np.ndarray | None = None,
    risk: np.ndarray | None = None,
) -> np.ndarray:
    """Belonging to the US, visa risk and tension: utility of living in the US.

    `visa` and `since` (start of the status) default to the workers' current status;
    `risk`, their visa risk (:func:`talentsim.model.stages.visas.visa_risk`), is computed
    if not given.
    """
    people, p = model.people, model.p
    w = p.decisions.weights
    if risk is None:
        risk = visa_risk(model, idx, visa, since)
    return (
        w.belonging * people.belong_us[idx] - w.visa_risk * risk - w.tension * model.macro.tension
    )


def china_extras(model: Model, idx: np.ndarray, family: np.ndarray | None = None) -> np.ndarray:
    """Belonging to China, family pull and peers' experience: utility of living in China.

    `family`, the workers' family pull (:func:`talentsim.model.stages.belonging.family_pull_of`), is
    computed if not given.
    """
    people, p = model.people, model.p
    w = p.decisions.weights
    if family is None:
        family = family_pull_of(model, idx)
    return (
        w.belonging * people.belong_cn[idx]
        + w.family * family
        + w.peers * model.carried.peer_fared[idx]
    )


def gumbel(model: Model, draw: Draw, slots: np.ndarray, columns: int) -> np.ndarray:
    """Standard Gumbel noise, one row per deciding slot (counter-based, per slot)."""
    u = model.streams.slot_uniform(draw, model.tick, slots, columns)
    return -np.log(-np.log(u))


def decide(model: Model, offers: Offers) -> None:
    """Every worker holding an offer (or forced out) chooses; returns and switches apply.

    Workers whose only offer is from another US firm compare staying and switching, which
    differ only in the firm, its pay and equity (:func:`switch_gain`); workers with a
    Chinese offer weigh every option in full.
    """
    if len(offers.idx) == 0:
        return
    choice = np.full(len(offers.idx), STAY)
    us_only = np.flatnonzero(offers.has_us & ~offers.has_cn)
    if len(us_only):  # the noise of staying and switching (the first two of three columns)
        noise = gumbel(model, Draw.DECISION, offers.idx[us_only], 2)
        gain = switch_gain(model, offers, us_only)
        choice[us_only] = np.where(gain + noise[:, SWITCH] > noise[:, STAY], SWITCH, STAY)
    cn = np.flatnonzero(offers.has_cn)
    if len(cn):
        choice[cn], stay, back, inputs = _weigh_all_options(model, offers, cn)
    _switch(model, offers, np.flatnonzero(choice == SWITCH))
    chose_return = choice[cn] == RETURN
    if chose_return.any():
        rows = np.flatnonzero(chose_return)
        stay, back = _subset(stay, rows), _subset(back, rows)
        slots = offers.idx[cn[rows]]
        family, risk = (values[rows] for values in inputs)
        forced = offers.forced[cn[rows]]
        reasons = reason_mask(model, slots, stay, back, forced, family, risk)
        apply_return(model, offers, cn[rows], back, reasons)


def switch_gain(model: Model, offers: Offers, rows: np.ndarray) -> np.ndarray:
    """Utility of switching to the offered US firm minus that of staying.

    Same country, level and degree: only the firm's wage level and equity, the personal pay
    multiplier, the start-up upside and the cost of switching differ.
    """
    people, firms, p = model.people, model.firms, model.p
    w = p.decisions.weights
    old, new = people.employer[offers.idx[rows]], offers.us_firm[rows]
    log_pay = (
        np.log(firms.wage_mult[new] / firms.wage_mult[old])
        + np.log(offers.us_pay_mult[rows] / people.pay_mult[offers.idx[rows]])
        + np.log1p(firms.equity_rate[new])
        - np.log1p(firms.equity_rate[old])
    )
    upside = p.firms.startup_upside * (
        firms.startup[new] * firms.equity_rate[new] - firms.startup[old] * firms.equity_rate[old]
    )
    return w.salary * log_pay + w.opportunity * upside - p.decisions.moving_cost_switch


def _weigh_all_options(
    model: Model, offers: Offers, rows: np.ndarray
) -> tuple[np.ndarray, JobTerms, JobTerms, tuple[np.ndarray, np.ndarray]]:
    """Choices of the workers in `rows` (who hold a Chinese offer).

    Also returns the terms of staying and of returning, and the family pull and visa risk,
    for the reasons of those who return.
    """
    people, p, d = model.people, model.p, model.p.decisions
    idx = offers.idx[rows]
    pay_cat, education, level = people.pay_cat[idx], people.education[idx], people.level[idx]
    forced, has_us = offers.forced[rows], offers.has_us[rows]
    us = Country.US
    stay = job_terms(
        model, us, pay_cat, people.employer[idx], level, education, people.pay_mult[idx]
    )
    family, risk = family_pull_of(model, idx), visa_risk(model, idx)
    in_us = us_extras(model, idx, risk=risk)
    utility = np.full((len(idx), 3), -np.inf)
    utility[:, STAY] = np.where(forced, -np.inf, job_value(p, stay) + in_us)
    sw = np.flatnonzero(has_us & ~forced)
    switch = job_terms(
        model,
        us,
        pay_cat[sw],
        offers.us_firm[rows[sw]],
        level[sw],
        education[sw],
        offers.us_pay_mult[rows[sw]],
    )
    utility[sw, SWITCH] = job_value(p, switch) + in_us[sw] - d.moving_cost_switch
    back = job_terms(
        model,
        Country.CHINA,
        pay_cat,
        offers.cn_firm[rows],
        offers.cn_level[rows],
        education,
        offers.cn_pay_mult[rows],
    )
    utility[:, RETURN] = (
        job_value(p, back) + china_extras(model, idx, family) - d.moving_cost_return
    )
    choice = np.argmax(utility + gumbel(model, Draw.DECISION, idx, 3), axis=1)
    return choice, stay, back, (family, risk)


def _switch(model: Model, offers: Offers, rows: np.ndarray) -> None:
    """Move the workers in `rows` to the US firm that made them an offer.

    Only their firm and pay change (same country, level and wage group).
    """
    people = model.people
    movers = offers.idx[rows]
    firm, pay_mult = offers.us_firm[rows], offers.us_pay_mult[rows]
    weight, level, group = people.weight[movers], people.level[movers], people.wage_group[movers]
    old_factor, education = people.pay_factor[movers], people.education[movers]
    factor = pay_factor_of(model, firm, level, education, pay_mult)
    before = totals(
        weight, people.country[movers], people.segment[movers], level, group, old_factor, education
    )
    people.employer[movers] = firm
    people.pay_mult[movers] = pay_mult
    people.us_pay_mult[movers] = pay_mult
    people.pay_factor[movers] = factor
    model.ledger.repay(before, weight, group, factor)


def _subset(terms: JobTerms, rows: np.ndarray) -> JobTerms:
    return JobTerms(
        terms.log_pay[rows], terms.growth[rows], terms.promotion[rows], terms.opportunity[rows]
    )


def reason_mask(
    model: Model,
    idx: np.ndarray,
    stay: JobTerms,
    back: JobTerms,
    forced: np.ndarray,
    family: np.ndarray | None = None,
    risk: np.ndarray | None = None,
) -> np.ndarray:
    """Reasons a returnee would give: factors adding at least `reason_threshold` to returning.

    Bits follow taxonomy.REASONS: family, belonging, China's development (growth, promotion
    and opportunity), unfavourable conditions abroad (lost status, visa risk, tension).
    The family pull and visa risk are computed if not given.
    """
    people, p = model.people, model.p
    w, d = p.decisions.weights, p.decisions
    threshold = d.reason_threshold
    if family is None:
        family = family_pull_of(model, idx)
    if risk is None:
        risk = visa_risk(model, idx)
    family = w.family * family
    belonging = w.belonging * (people.belong_cn[idx] - people.belong_us[idx])
    development = (
        w.growth * d.horizon_years * (back.growth - stay.growth)
        + w.promotion * (back.promotion - stay.promotion)
        + w.opportunity * (back.opportunity - stay.opportunity)
    )
    push = w.visa_risk * risk + w.tension * model.macro.tension >= threshold
    # a lost status is certain (risk 1): whether it is named is the reporting share alone
    abroad = np.where(forced, _names_lost_status(model, idx, d.forced_reason_share), push)
    bits = [family >= threshold, belonging >= threshold, development >= threshold, abroad]
    mask = np.zeros(len(idx), dtype=np.uint8)
    for bit, flag in enumerate(bits):
        mask |= flag.astype(np.uint8) << bit
    assert len(bits) == len(REASONS)
    return mask


def _names_lost_status(model: Model, idx: np.ndarray, share: float) -> np.ndarray:
    """Whether each returnee in idx would name a lost status (if forced), with chance `share`."""
    if share >= 1:
        return np.ones(len(idx), dtype=bool)
    return model.streams.slot_uniform(Draw.REASON, model.tick, idx, 1)[:, 0] < share


def apply_return(
    model: Model,
    offers: Offers,
    returning: np.ndarray,
    back: JobTerms,
    reasons: np.ndarray,
) -> None:
    """Move the workers who chose to return to their Chinese firm.

    `returning` indexes the rows of `offers`; `back` and `reasons` have one row each.
    """
    people, p, firms = model.people, model.p, model.firms
    slots = offers.idx[returning]
    firm, level = offers.cn_firm[returning], offers.cn_level[returning]
    pay_mult = offers.cn_pay_mult[returning]
    weight, segment = people.weight[slots], people.segment[slots]
    old_level = people.level[slots]
    _count_returns(
        model,
        weight,
        (segment, people.education[slots]),
        old_level,
        offers.cn_sector[returning],
        offers.forced[returning],
    )
    education = people.education[slots]
    before = totals(
        weight,
        people.country[slots],
        segment,
        old_level,
        people.wage_group[slots],
        people.pay_factor[slots],
        education,
    )
    model.ledger.take(before, len(slots))
    group = CHINA_WAGE_GROUP + firms.sector[firm]
    factor = pay_factor_of(model, firm, level, education, pay_mult)
    people.country[slots] = Country.CHINA
    people.employer[slots] = firm
    people.wage_group[slots] = group
    people.level[slots] = level
    people.pay_mult[slots] = pay_mult
    people.pay_factor[slots] = factor
    people.returns[slots] += 1
    people.return_time[slots] = model.t
    people.return_sector[slots] = offers.cn_sector[returning]
    people.return_reasons[slots] = reasons
    people.return_pay_ppp[slots] = np.exp(back.log_pay)
    people.fared[slots] = 0.0
    people.us_years_banked[slots] += model.t - people.us_since[slots]
    china = np.full(len(slots), Country.CHINA, dtype=np.int8)
    model.ledger.put(totals(weight, china, segment, level, group, factor, education), len(slots))
    can_found = firms.startup[firm] | (firms.sector[firm] == CN_OTHER)
    people.founder[slots] = can_found & (offers.extra_u[returning] < p.offers.founder_rate)
    # New hazards in China: the returnees' US offers, the Chinese firm's promotions.
    schedule.schedule_us_offers(model, slots, model.t, Draw.US_OFFER_MOVE)
    schedule_promotions(model, slots, model.t, Draw.PROMOTION_MOVE)


def _count_returns(
    model: Model,
    weight: np.ndarray,
    segment_degree: tuple[np.ndarray, np.ndarray],
    level: np.ndarray,
    sector: np.ndarray,
    forced: np.ndarray,
) -> None:
    """Add this step's returns to the flows (from the returnees' state before the move)."""
    segment, degree = segment_degree
    model.step_state.flows["returns"] += float(weight.sum())
    model.step_state.flows["forced_returns"] += float(weight[forced].sum())
    model.step_state.flows["returns_experienced"] += float(weight[level > 0].sum())
    model.step_state.returns_by_segment += np.bincount(segment, weights=weight, minlength=4)
    model.step_state.returns_by_sector += np.bincount(sector, weights=weight, minlength=5)
    model.step_state.returns_by_degree += np.bincount(degree, weights=weight, minlength=3)
