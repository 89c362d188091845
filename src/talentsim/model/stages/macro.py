"""Stage 1: macro drivers (pay and demand indices, prices, tension, talent programmes).

Pay and demand grow at rates the timeline may change. Levels are given for
`pay.reference_year`; an index integrates the growth rates in force, so a change in a growth
rate bends the path from its date on, and a change in a level shifts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from talentsim.scenario.schema import Scenario
from talentsim.taxonomy import CN_SECTORS, US_PAY_CATEGORIES

if TYPE_CHECKING:
    from talentsim.model.state import Model


def _china_rates(p: Scenario) -> tuple[np.ndarray, np.ndarray]:
    sectors = [getattr(p.china.sectors, name) for name in CN_SECTORS]
    return (
        np.array([s.pay_growth for s in sectors]),
        np.array([s.demand_growth for s in sectors]),
    )


@dataclass
class MacroState:
    """Indices and prices in force during the current step."""

    cn_log_pay: np.ndarray = field(default_factory=lambda: np.zeros(len(CN_SECTORS)))
    cn_log_demand: np.ndarray = field(default_factory=lambda: np.zeros(len(CN_SECTORS)))
    us_log_pay: float = 0.0
    cn_pay_growth: np.ndarray = field(default_factory=lambda: np.zeros(len(CN_SECTORS)))
    cn_demand_growth: np.ndarray = field(default_factory=lambda: np.zeros(len(CN_SECTORS)))
    us_pay_growth: float = 0.0
    us_demand_growth: float = 0.0
    cn_wage: np.ndarray = field(default_factory=lambda: np.zeros(len(CN_SECTORS)))  # CNY
    cn_demand: np.ndarray = field(default_factory=lambda: np.ones(len(CN_SECTORS)))
    us_wage: np.ndarray = field(default_factory=lambda: np.zeros(len(US_PAY_CATEGORIES)))
    wage_table: np.ndarray = field(  # by wage group: US pay categories, then Chinese sectors
        default_factory=lambda: np.zeros(len(US_PAY_CATEGORIES) + len(CN_SECTORS))
    )
    ppp: float = 1.0
    exchange_rate: float = 1.0
    tension: float = 0.0
    programme: float = 0.0


def update_macro(model: Model) -> None:
    """Advance the indices by the previous step's growth and read this step's drivers."""
    m, p, base, dt = model.macro, model.p, model.config, model.dt
    if model.step_index > 0:  # indices stay at their start values during the burn-in
        m.cn_log_pay += m.cn_pay_growth * dt
        m.cn_log_demand += m.cn_demand_growth * dt
        m.us_log_pay += m.us_pay_growth * dt
    m.cn_pay_growth, m.cn_demand_growth = _china_rates(p)
    m.us_pay_growth = p.us.pay_growth
    m.us_demand_growth = p.us.demand_growth

    # Levels are stated for the reference year under the scenario's base growth rates.
    years_to_ref = base.pay.reference_year - base.time.start
    base_cn_growth, _ = _china_rates(base)
    cn_levels = np.array([getattr(p.china.sectors, s).wage for s in CN_SECTORS])
    m.cn_wage = cn_levels * np.exp(m.cn_log_pay - base_cn_growth * years_to_ref)
    m.cn_demand = np.exp(m.cn_log_demand)
    us_levels = np.array([getattr(p.us.wage, c) for c in US_PAY_CATEGORIES])
    m.us_wage = us_levels * np.exp(m.us_log_pay - base.us.pay_growth * years_to_ref)
    m.wage_table = np.concatenate([m.us_wage, m.cn_wage])
    m.ppp = p.china.ppp_factor
    m.exchange_rate = p.china.exchange_rate
    m.tension = p.macro.tension
    m.programme = p.macro.talent_programme
