"""Stage 3: careers. Promotions (with the bamboo ceiling in US firms), pay and equity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.demography import us_promotion_hazards
from talentsim.macro import CHINA_WAGE_GROUP
from talentsim.scenario import Scenario
from talentsim.streams import Draw
from talentsim.taxonomy import MANAGER, TOP_LEVEL, Country

if TYPE_CHECKING:
    from talentsim.model import TalentModel


def reference_hazards(p: Scenario) -> np.ndarray:
    """Base promotion hazards per ladder step (what workers without the penalty face)."""
    r = p.careers.promotion
    return np.array([r.to_senior, r.to_manager, r.to_director, r.to_executive])


def next_step_hazards(p: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Hazard of the next promotion by current level, in US and in Chinese firms.

    Returns:
        Two arrays of length len(LEVELS); the top level has hazard 0.
    """
    us = np.append(us_promotion_hazards(p), 0.0)
    cn = np.append(reference_hazards(p) * p.careers.china_promotion_multiplier, 0.0)
    return us, cn


def level_premium(p: Scenario) -> np.ndarray:
    """Pay multiplier by career level."""
    return (1 + p.careers.level_pay_premium) ** np.arange(TOP_LEVEL + 1)


def education_premium(p: Scenario) -> np.ndarray:
    """Pay multiplier by degree."""
    return np.array([1.0, 1 + p.pay.master_premium, 1 + p.pay.phd_premium])


def promote(model: TalentModel) -> None:
    """Each active worker may step up the ladder."""
    people, p, dt = model.people, model.p, model.dt
    level = people.view("level")
    us_h, cn_h = next_step_hazards(p)
    table = np.concatenate([us_h, cn_h])  # by country * len(us_h) + level
    hazard = table[model.in_cn * len(us_h) + level]
    u = model.streams.uniform(Draw.PROMOTION, model.tick, people.n)
    promoted = model.active & (u < -np.expm1(-hazard * dt))

    # The bamboo ceiling, observed: promotions to manager among workers in US firms.
    eligible = model.in_us & (level == MANAGER - 1)
    weight = people.view("weight")
    model.flows["mgmt_eligible_us"] += float(np.dot(weight, eligible))
    model.flows["mgmt_promoted_us"] += float(np.dot(weight, eligible & promoted))
    level += promoted


def salary_of(
    model: TalentModel,
    wage_group: np.ndarray,
    firm: np.ndarray,
    level: np.ndarray,
    education: np.ndarray,
    pay_mult: np.ndarray,
) -> np.ndarray:
    """Annual salary (local currency) of a job, actual or offered.

    `wage_group` indexes `model.macro.wage_table`: the US pay category for US jobs,
    CHINA_WAGE_GROUP + sector for Chinese jobs.
    """
    p, firms = model.p, model.firms
    return (
        model.macro.wage_table[wage_group]
        * firms.wage_mult[firm]
        * level_premium(p)[level]
        * education_premium(p)[education]
        * pay_mult
    )


def wage_group_of(model: TalentModel, country: np.ndarray, pay_cat: np.ndarray,
                  firm: np.ndarray) -> np.ndarray:
    """The wage group of a job in `country` at `firm` for workers of `pay_cat`."""
    return np.where(country == Country.US, pay_cat, CHINA_WAGE_GROUP + model.firms.sector[firm])


def ppp_pay(model: TalentModel, country: np.ndarray, salary: np.ndarray,
            firm: np.ndarray) -> np.ndarray:
    """Salary plus equity in purchasing-power-adjusted US dollars."""
    total = salary * (1 + model.firms.equity_rate[firm])
    return np.where(country == Country.US, total, total / model.macro.ppp)


def update_pay(model: TalentModel) -> None:
    """Salary and equity of every worker from the indices, firm, level and degree."""
    people = model.people
    employer = people.view("employer")
    salary = salary_of(
        model, people.view("wage_group"), employer, people.view("level"),
        people.view("education"), people.view("pay_mult"),
    )
    people.view("salary")[:] = salary
    people.view("equity")[:] = salary * model.firms.equity_rate[employer]
