"""Stage 6: job offers from Chinese firms (by sector) and from other US firms.

Chinese offers arrive at a rate that grows with sector demand, the worker's profile (degree,
level), peers who returned and talent programmes; the sector follows demand and the
segment's fit. AI/ML offers from Chinese tech firms are heavy-tailed (Pareto). Workers who
lost their status search in China and always hold an offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from talentsim.scenario import Scenario
from talentsim.streams import Draw
from talentsim.taxonomy import (
    AI_ML,
    CN_SECTORS,
    CN_TECHNOLOGY,
    MANAGER,
    PHD,
    SEGMENTS,
    TOP_LEVEL,
    US_SECTOR_OF_SEGMENT,
)

if TYPE_CHECKING:
    from talentsim.model import TalentModel


@dataclass
class Offers:
    """Offers held this step by workers in the US who must decide (one row each)."""

    idx: np.ndarray  # worker slots
    forced: np.ndarray  # lost US status: must leave
    has_cn: np.ndarray
    cn_sector: np.ndarray
    cn_firm: np.ndarray
    cn_level: np.ndarray
    cn_pay_mult: np.ndarray
    has_us: np.ndarray
    us_firm: np.ndarray
    us_pay_mult: np.ndarray
    extra_u: np.ndarray  # a spare uniform per row (who founds a firm on return)


def sector_weights(p: Scenario, demand: np.ndarray) -> np.ndarray:
    """Weight of each (segment, Chinese sector): the segment's fit times sector demand."""
    fit = np.array(
        [list(getattr(p.offers.fit, s).model_dump().values()) for s in SEGMENTS], dtype=float
    )
    return fit * demand[None, :]


def programme_eligible(people: object, slots: np.ndarray) -> np.ndarray:
    """Who talent programmes target: doctorates, managers and above, AI/ML specialists."""
    return (
        (people.education[slots] == PHD)
        | (people.level[slots] >= MANAGER)
        | (people.skill[slots] == AI_ML)
    )


def _education_multiplier(p: Scenario) -> np.ndarray:
    o = p.offers
    return np.array([o.bachelor_multiplier, 1.0, o.phd_multiplier])


def china_offer_hazard(model: TalentModel, slots: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Annual hazard of a Chinese offer for some workers in the US.

    china_rate x (sector weights summed for the segment) x degree multiplier
    x (1 + level_multiplier x level) x (1 + peer_reach x share of peers returned)
    x (1 + talent programme intensity, if eligible).
    """
    people, o = model.people, model.p.offers
    profile = _education_multiplier(model.p)[people.education[slots]] * (
        1 + o.level_multiplier * people.level[slots]
    )
    reach = 1 + o.peer_reach * model.peer_share[slots]
    programme = 1 + model.macro.programme * programme_eligible(people, slots)
    sector_total = o.china_rate * weights.sum(axis=1)
    return sector_total[people.segment[slots]] * profile * reach * programme


def china_offer_hazard_bound(model: TalentModel, weights: np.ndarray) -> float:
    """An upper bound of :func:`china_offer_hazard` over all workers."""
    o = model.p.offers
    return (
        o.china_rate
        * float(weights.sum(axis=1).max())
        * float(_education_multiplier(model.p).max())
        * (1 + o.level_multiplier * TOP_LEVEL)
        * (1 + o.peer_reach)
        * (1 + model.macro.programme)
    )


def draw_offers(model: TalentModel) -> Offers:
    """Who in the US holds a Chinese or a US offer this step, and on what terms.

    A worker gets a Chinese offer when their uniform draw falls below their offer
    probability; only workers below the probability's upper bound are evaluated (exact
    thinning), so the hazard is computed for a few per cent of workers.
    """
    people, p, dt, step = model.people, model.p, model.dt, model.tick
    weights = sector_weights(p, model.macro.cn_demand)
    forced = model.forced

    u_cn = model.streams.slot_bits(Draw.CHINA_OFFER, step, people.n)
    bound = -np.expm1(-china_offer_hazard_bound(model, weights) * dt)
    candidates = np.flatnonzero(model.in_us & u_cn.below(bound))
    hazard = china_offer_hazard(model, candidates, weights)
    has_cn = forced.copy()
    has_cn[candidates[u_cn.at(candidates) < -np.expm1(-hazard * dt)]] = True

    u_us = model.streams.slot_bits(Draw.US_OFFER, step, people.n)
    has_us = model.in_us & ~forced & u_us.below(-np.expm1(-p.offers.us_rate * dt))
    idx = np.flatnonzero(has_cn | has_us)

    # Terms of the offers: counter-based draws, so each worker's terms do not depend on who
    # else holds an offer (common random numbers across scenarios).
    u = model.streams.slot_uniform(Draw.OFFER_TERMS, step, idx, 6)
    z = model.streams.slot_normal(Draw.OFFER_PAY, step, idx, 2)
    segment = people.segment[idx]
    cdf = np.cumsum(weights, axis=1)[segment]
    cn_sector = (cdf < u[:, [0]] * cdf[:, [-1]]).sum(axis=1).clip(0, len(CN_SECTORS) - 1)
    cn_firm = model.cn_firm_sampler.draw(cn_sector, u[:, 1])
    step_up = u[:, 2] < p.careers.returnee_step_up
    cn_level = np.minimum(people.level[idx] + step_up, TOP_LEVEL)

    o = p.offers
    sd = o.offer_sd
    cn_mult = people.pay_mult[idx] * np.exp(sd * z[:, 0] - 0.5 * sd**2)
    ai_tech = (people.skill[idx] == AI_ML) & (cn_sector == CN_TECHNOLOGY)
    cn_mult = np.where(ai_tech, cn_mult * ai_offer_multiplier(o.ai_tail_alpha, u[:, 3]), cn_mult)
    bonus = 1 + p.macro.programme_pay_bonus * model.macro.programme * programme_eligible(
        people, idx
    )
    cn_mult = cn_mult * bonus

    us_sector = np.asarray(US_SECTOR_OF_SEGMENT)[segment]
    us_firm = model.us_firm_sampler.draw_excluding(us_sector, u[:, 4], people.employer[idx])
    us_mult = people.pay_mult[idx] * np.exp(o.us_switch_premium + sd * z[:, 1] - 0.5 * sd**2)
    has_us_offer = has_us[idx] & (us_firm >= 0)
    return Offers(
        idx=idx,
        forced=forced[idx],
        has_cn=has_cn[idx],
        cn_sector=cn_sector,
        cn_firm=cn_firm,
        cn_level=cn_level,
        cn_pay_mult=cn_mult,
        has_us=has_us_offer,
        us_firm=us_firm,
        us_pay_mult=us_mult,
        extra_u=u[:, 5],
    )


def ai_offer_multiplier(alpha: float, u: np.ndarray) -> np.ndarray:
    """Heavy-tailed pay multiplier of AI/ML offers from Chinese tech firms.

    A Pareto variable with exponent `alpha`, scaled to a median of 1: half the offers pay
    somewhat less than the typical offer (down to 2^(-1/alpha)), a few pay many times more
    (P(multiplier > m) = m^(-alpha) / 2 for m >= 1).
    """
    return (2.0 * (1.0 - u)) ** (-1.0 / alpha)
