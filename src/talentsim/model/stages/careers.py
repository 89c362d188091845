"""Stage 3: careers. Promotions (with the bamboo ceiling in US firms) and pay.

A worker's salary is the wage index of their wage group (US pay category, or Chinese
sector) times a personal `pay_factor`: firm wage level x level premium x degree premium x
individual multiplier. The factor changes only on promotions and job moves, so pay follows
the indices without a pass over all workers each step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.model import schedule
from talentsim.model.streams import Draw
from talentsim.scenario.schema import Scenario
from talentsim.taxonomy import LEVELS, MANAGER, TOP_LEVEL, Country

if TYPE_CHECKING:
    from talentsim.model.state import Model


def reference_hazards(p: Scenario) -> np.ndarray:
    """Base promotion hazards per ladder step (what workers without the penalty face)."""
    r = p.careers.promotion
    return np.array([r.to_senior, r.to_manager, r.to_director, r.to_executive])


def next_step_hazards(p: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Annual hazard of the next promotion by current level, in US and in Chinese firms.

    US firms apply the bamboo-ceiling penalty at the management steps (to manager, to
    director) and at the executive step. The top level has hazard 0.
    """
    c = p.careers
    penalty = np.array(
        [0.0, c.bamboo_penalty_management, c.bamboo_penalty_management, c.bamboo_penalty_executive]
    )
    base = reference_hazards(p)
    us = np.append(base * (1 - penalty), 0.0)
    cn = np.append(base * c.china_promotion_multiplier, 0.0)
    return us, cn


def _expm(matrix: np.ndarray) -> np.ndarray:
    """Matrix exponential by scaling and squaring with a Taylor series (small matrices)."""
    norm = float(np.abs(matrix).sum(axis=1).max())
    squarings = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0 else 0
    scaled = matrix / 2**squarings
    result = np.eye(len(matrix))
    term = np.eye(len(matrix))
    for k in range(1, 18):
        term = term @ scaled / k
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return result


def expected_promotions(hazards: np.ndarray, years: float) -> np.ndarray:
    """Expected number of promotions within `years`, by starting level.

    The ladder is a pure birth process with the given hazard of leaving each level
    (the top level's hazard is 0); the expectation comes from its transition matrix.
    """
    levels = len(hazards)
    generator = np.zeros((levels, levels))
    for level, hazard in enumerate(hazards[:-1]):
        generator[level, level] = -hazard
        generator[level, level + 1] = hazard
    transition = _expm(generator * years)
    return transition @ np.arange(levels) - np.arange(levels)


def promotion_prospects(p: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Expected promotions over the planning horizon by level, in US and Chinese firms.

    This is how the bamboo ceiling enters decisions: it lowers the US figures.
    """
    us_h, cn_h = next_step_hazards(p)
    horizon = p.decisions.horizon_years
    return expected_promotions(us_h, horizon), expected_promotions(cn_h, horizon)


def level_premium(p: Scenario) -> np.ndarray:
    """Pay multiplier by career level."""
    return (1 + p.careers.level_pay_premium) ** np.arange(TOP_LEVEL + 1)


def education_premium(p: Scenario) -> np.ndarray:
    """Pay multiplier by degree."""
    return np.array([1.0, 1 + p.pay.master_premium, 1 + p.pay.phd_premium])


def pay_factor_of(
    model: Model,
    firm: np.ndarray,
    level: np.ndarray,
    education: np.ndarray,
    pay_mult: np.ndarray,
) -> np.ndarray:
    """Salary relative to the wage index: firm level x level and degree premia x personal."""
    return (
        model.firms.wage_mult[firm]
        * model.derived(level_premium)[level]
        * model.derived(education_premium)[education]
        * pay_mult
    )


def refresh_pay_factor(model: Model, slots: np.ndarray | slice | None = None) -> None:
    """Recompute `pay_factor` for some slots (all used slots by default)."""
    people = model.people
    if slots is None:
        slots = np.arange(people.n)
    people.pay_factor[slots] = pay_factor_of(
        model,
        people.employer[slots],
        people.level[slots],
        people.education[slots],
        people.pay_mult[slots],
    )


def salary_of(model: Model, wage_group: np.ndarray, pay_factor: np.ndarray) -> np.ndarray:
    """Annual salary in the local currency (USD in the US, CNY in China)."""
    return model.macro.wage_table[wage_group] * pay_factor


def salaries(model: Model, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Current salary and annual equity of some workers (local currency)."""
    people = model.people
    salary = salary_of(model, people.wage_group[slots], people.pay_factor[slots])
    return salary, salary * model.firms.equity_rate[people.employer[slots]]


def check_pay_parameters(model: Model) -> None:
    """Rebuild every pay factor when the timeline changes a premium it contains."""
    c, pay = model.p.careers, model.p.pay
    key = (c.level_pay_premium, pay.master_premium, pay.phd_premium)
    if key != model.carried.pay_key:
        if model.carried.pay_key is not None:
            refresh_pay_factor(model)
            model.ledger.rebuild(model.people)
        model.carried.pay_key = key


def promotion_hazard(model: Model, slots: np.ndarray) -> np.ndarray:
    """Annual hazard of each worker's next promotion, by country and level."""
    people = model.people
    return level_hazard(model, people.country[slots], people.level[slots])


def level_hazard(model: Model, country: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Annual hazard of the next promotion of workers with these countries and levels."""
    us_h, cn_h = model.derived(next_step_hazards)
    table = np.concatenate([us_h, cn_h])
    in_cn = country == Country.CHINA.value
    return table[in_cn * len(us_h) + level]


def schedule_promotions(
    model: Model,
    slots: np.ndarray,
    after: np.ndarray | float,
    draw: Draw = Draw.PROMOTION,
    hazard: np.ndarray | None = None,
) -> None:
    """Date of each worker's next promotion.

    `draw` names the occasion (next, start, move), as in
    :func:`talentsim.model.schedule.schedule_us_offers`; `hazard` defaults to
    :func:`promotion_hazard`.
    """
    if hazard is None:
        hazard = promotion_hazard(model, slots)
    model.people.promotion_date[slots] = schedule.exponential_after(
        model, draw, slots, hazard, after
    )


def promote(model: Model) -> None:
    """Workers whose scheduled promotion has come step up the ladder.

    Promotion dates are exponential waiting times at the hazard of the worker's level and
    country (with the bamboo ceiling in US firms); they are drawn again after a
    promotion, after a move between countries, and for everyone when the timeline changes
    the hazards.
    """
    people, p = model.people, model.p
    check_pay_parameters(model)
    if schedule.hazard_changed(
        model, "promotions", tuple(np.concatenate(model.derived(next_step_hazards)))
    ):
        active = np.flatnonzero(model.step_state.active)
        schedule_promotions(model, active, model.t, Draw.PROMOTION_START)
    promoted = schedule.due(model, "promotion_date", model.step_state.active)
    country, level = people.country[promoted], people.level[promoted]
    weight, factor = people.weight[promoted], people.pay_factor[promoted]

    # The bamboo ceiling, observed: promotions to manager among workers in US firms.
    eligible = model.ledger.levels[Country.US * len(LEVELS) + MANAGER - 1]
    model.step_state.flows["mgmt_eligible_us"] += float(eligible)
    to_manager = (country == Country.US.value) & (level == MANAGER - 1)
    model.step_state.flows["mgmt_promoted_us"] += float(weight[to_manager].sum())

    raise_factor = 1 + p.careers.level_pay_premium
    group = people.wage_group[promoted]
    model.ledger.promote(weight, country, level, group, factor, raise_factor)
    people.level[promoted] = level + 1
    people.pay_factor[promoted] = factor * raise_factor
    hazard = level_hazard(model, country, level + 1)
    schedule_promotions(model, promoted, people.promotion_date[promoted], hazard=hazard)
