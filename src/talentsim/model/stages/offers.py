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

from talentsim.model import schedule
from talentsim.model.streams import Draw, box_muller, thresholds_below
from talentsim.scenario.schema import Scenario
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
    from talentsim.model.state import Model


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

    @classmethod
    def empty(cls, idx: np.ndarray, forced: np.ndarray, has_cn: np.ndarray) -> Offers:
        """Rows for the deciders `idx`; the terms are filled in by option."""
        m = len(idx)
        return cls(
            idx=idx,
            forced=forced,
            has_cn=has_cn,
            cn_sector=np.full(m, -1, dtype=np.intp),
            cn_firm=np.full(m, -1, dtype=np.intp),
            cn_level=np.zeros(m, dtype=np.intp),
            cn_pay_mult=np.full(m, np.nan),
            has_us=np.zeros(m, dtype=bool),
            us_firm=np.full(m, -1, dtype=np.intp),
            us_pay_mult=np.full(m, np.nan),
            extra_u=np.full(m, np.nan),
        )


def offer_fit(p: Scenario) -> np.ndarray:
    """Each segment's shares of Chinese offers by sector (segments x sectors), normalised."""
    fit = np.array([[getattr(getattr(p.offers.fit, s), k) for k in CN_SECTORS] for s in SEGMENTS])
    return fit / fit.sum(axis=1, keepdims=True)


def sector_weights(fit: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Weight of each (segment, Chinese sector): the segment's fit times sector demand."""
    return fit * demand[None, :]


def eligible(education: np.ndarray, level: np.ndarray, skill: np.ndarray) -> np.ndarray:
    """Who talent programmes target: doctorates, managers and above, AI/ML specialists."""
    return (education == PHD) | (level >= MANAGER) | (skill == AI_ML)


def _education_multiplier(p: Scenario) -> np.ndarray:
    o = p.offers
    return np.array([o.bachelor_multiplier, 1.0, o.phd_multiplier])


def china_offer_hazard(model: Model, slots: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Annual hazard of a Chinese offer for some workers in the US.

    china_rate x (sector weights summed for the segment) x degree multiplier
    x (1 + level_multiplier x level) x (1 + peer_reach x share of peers returned)
    x (1 + talent programme intensity, if eligible).
    """
    people, o = model.people, model.p.offers
    education, level = people.education[slots], people.level[slots]
    profile = model.derived(_education_multiplier)[education] * (1 + o.level_multiplier * level)
    reach = 1 + o.peer_reach * model.carried.peer_share[slots].astype(np.float64)
    programme = 1 + model.macro.programme * eligible(education, level, people.skill[slots])
    sector_total = o.china_rate * weights.sum(axis=1)
    return sector_total[people.segment[slots]] * profile * reach * programme


def china_offer_hazard_bound(model: Model, weights: np.ndarray) -> float:
    """An upper bound of :func:`china_offer_hazard` over all workers."""
    o = model.p.offers
    return (
        o.china_rate
        * float(weights.sum(axis=1).max())
        * float(model.derived(_education_multiplier).max())
        * (1 + o.level_multiplier * TOP_LEVEL)
        * (1 + o.peer_reach * model.carried.max_peer_share)
        * (1 + model.macro.programme)
    )


def draw_offers(model: Model) -> Offers:
    """Who in the US holds a Chinese or a US offer this step, and on what terms.

    A worker gets a Chinese offer when their uniform draw falls below their offer
    probability; only workers below the probability's upper bound are evaluated (exact
    thinning), so the hazard is computed for a few per cent of workers.
    """
    people, dt, step = model.people, model.dt, model.tick
    weights = sector_weights(model.derived(offer_fit), model.macro.cn_demand)
    forced = model.step_state.forced

    u_cn = model.streams.slot_bits(Draw.CHINA_OFFER, step, people.n)
    bound = -np.expm1(-china_offer_hazard_bound(model, weights) * dt)
    candidates = np.flatnonzero(model.step_state.in_us & u_cn.below(bound))
    hazard = china_offer_hazard(model, candidates, weights)
    has_cn = forced.copy()
    has_cn[candidates[u_cn.at(candidates) < -np.expm1(-hazard * dt)]] = True

    arrived = schedule.due(model, "us_offer_date", model.step_state.in_us)
    schedule.schedule_us_offers(model, arrived, people.us_offer_date[arrived])
    has_us = np.zeros(people.n, dtype=bool)
    has_us[arrived] = True
    has_us &= ~forced
    idx = np.flatnonzero(has_cn | has_us)

    offers = Offers.empty(idx, forced[idx], has_cn[idx])
    cn = np.flatnonzero(offers.has_cn)
    _china_terms(model, offers, cn, weights)
    us = np.flatnonzero(has_us[idx])
    _us_terms(model, offers, us)
    return offers


def _china_terms(model: Model, offers: Offers, rows: np.ndarray, weights: np.ndarray) -> None:
    """Sector, firm, level and pay of the Chinese offers in `rows` of `offers`.

    Counter-based draws per slot, so that a worker's terms do not depend on who else holds
    an offer (common random numbers across scenarios).
    """
    people, p, step = model.people, model.p, model.tick
    slots = offers.idx[rows]
    u = model.streams.slot_uniform(Draw.OFFER_TERMS, step, slots, 7)
    z = box_muller(u[:, 5:7])[:, 0]
    sector = _offer_sectors(weights, people.segment[slots], u[:, 0])
    step_up = u[:, 2] < p.careers.returnee_step_up
    o = p.offers
    level, skill = people.level[slots], people.skill[slots]
    mult = people.pay_mult[slots] * np.exp(o.offer_sd * z - 0.5 * o.offer_sd**2)
    ai_tech = (skill == AI_ML) & (sector == CN_TECHNOLOGY)
    mult = np.where(ai_tech, mult * ai_offer_multiplier(o.ai_tail_alpha, u[:, 3]), mult)
    programme = p.macro.programme_pay_bonus * model.macro.programme
    mult = mult * (1 + programme * eligible(people.education[slots], level, skill))
    offers.cn_sector[rows] = sector
    offers.cn_firm[rows] = model.cn_firm_sampler.draw(sector, u[:, 1])
    offers.cn_level[rows] = np.minimum(level + step_up, TOP_LEVEL)
    offers.cn_pay_mult[rows] = mult
    offers.extra_u[rows] = u[:, 4]


def _offer_sectors(weights: np.ndarray, segment: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The sector of each offer: where `u` falls in its segment's cumulative weights."""
    columns = np.cumsum(weights, axis=1).T.copy()  # sectors x segments
    target = u * columns[-1][segment]
    below = thresholds_below((c[segment] for c in columns), target, inclusive=False)
    return np.minimum(below, len(CN_SECTORS) - 1)


def _us_terms(model: Model, offers: Offers, rows: np.ndarray) -> None:
    """Firm and pay of the US offers in `rows` of `offers` (another firm of the sector)."""
    people, o, step = model.people, model.p.offers, model.tick
    slots = offers.idx[rows]
    draws = model.streams.slot_uniform(Draw.US_OFFER_TERMS, step, slots, 3)
    u, z = draws[:, 0], box_muller(draws[:, 1:3])[:, 0]
    sector = np.asarray(US_SECTOR_OF_SEGMENT)[people.segment[slots]]
    firm = model.us_firm_sampler.draw_excluding(sector, u, people.employer[slots])
    offers.us_firm[rows] = firm
    offers.us_pay_mult[rows] = people.pay_mult[slots] * np.exp(
        o.us_switch_premium + o.offer_sd * z - 0.5 * o.offer_sd**2
    )
    offers.has_us[rows] = firm >= 0


def ai_offer_multiplier(alpha: float, u: np.ndarray) -> np.ndarray:
    """Heavy-tailed pay multiplier of AI/ML offers from Chinese tech firms.

    A Pareto variable with exponent `alpha`, scaled to a median of 1: half the offers pay
    somewhat less than the typical offer (down to 2^(-1/alpha)), a few pay many times more
    (P(multiplier > m) = m^(-alpha) / 2 for m >= 1).
    """
    return (2.0 * (1.0 - u)) ** (-1.0 / alpha)
