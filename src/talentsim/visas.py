"""Stage 4: visas. OPT, the H-1B lottery, green cards, and loss of status forcing a move."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.demography import STEM_SEGMENTS
from talentsim.scenario import Scenario
from talentsim.streams import Draw
from talentsim.taxonomy import EDUCATION, SEGMENTS, Country, Visa

if TYPE_CHECKING:
    from talentsim.model import TalentModel

ACADEMIA = SEGMENTS.index("academia")  # universities are exempt from the H-1B cap
BACHELOR = EDUCATION.index("bachelor")


def h1b_win_probability(p: Scenario, segment: np.ndarray, education: np.ndarray) -> np.ndarray:
    """Chance of getting an H-1B at one lottery (cap-exempt employers skip the lottery)."""
    v = p.visas
    lottery = np.where(education == BACHELOR, v.h1b_lottery_rate, v.h1b_lottery_rate_advanced)
    return np.where(segment == ACADEMIA, 1.0, lottery) * v.h1b_approval_rate


def opt_years(p: Scenario, segment: np.ndarray) -> np.ndarray:
    """OPT length by segment (STEM extension for sv_tech and academia)."""
    return np.where(STEM_SEGMENTS[segment], p.visas.opt_years_stem, p.visas.opt_years_other)


def is_lottery_step(model: TalentModel) -> bool:
    """Whether the H-1B lottery falls in the current step."""
    steps = model.config.time.steps_per_year
    step_in_year = model.step_index % steps
    return step_in_year == (model.p.visas.lottery_month - 1) * steps // 12


def update_visas(model: TalentModel) -> None:
    """Move workers in the US through visa statuses; flag those who lose status."""
    people, p, dt = model.people, model.p, model.dt
    us = model.in_us
    visa = people.view("visa")
    clock = people.view("visa_clock")
    segment = people.view("segment")
    u = model.streams.uniform(Draw.VISA, model.tick, people.n)

    opt = us & (visa == Visa.STUDENT_OPT)
    h1b = us & (visa == Visa.H1B)
    pending = us & (visa == Visa.GREEN_CARD_PENDING)
    won = np.zeros_like(opt)
    if is_lottery_step(model):
        won = opt & (u < h1b_win_probability(p, segment, people.view("education")))
    filed = h1b & (u < -np.expm1(-p.visas.green_card_sponsor_rate * dt))
    granted = pending & (u < -np.expm1(-dt / p.visas.green_card_wait_years))
    expired = (opt & ~won & (clock >= opt_years(p, segment))) | (
        h1b & ~filed & (clock >= p.visas.h1b_max_years)
    )
    changed = won | filed | granted
    visa += changed.view(np.int8)  # each change moves one status up (OPT -> H-1B -> ...)
    clock *= ~changed
    model.forced |= expired
    model.flows["status_lost"] += float(np.dot(people.view("weight"), expired))


def visa_risk(p: Scenario, visa: np.ndarray, clock: np.ndarray, segment: np.ndarray,
              education: np.ndarray) -> np.ndarray:
    """Probability of losing US status before it is secured, as the worker sees it.

    OPT holders face the remaining lotteries; H-1B holders the chance that no green card is
    filed before the time limit; pending and permanent residents face none.
    """
    win = h1b_win_probability(p, segment, education)
    lotteries_left = np.maximum(np.ceil(opt_years(p, segment) - clock), 0)
    opt_risk = (1 - win) ** lotteries_left
    years_left = np.maximum(p.visas.h1b_max_years - clock, 0)
    h1b_risk = np.exp(-p.visas.green_card_sponsor_rate * years_left)
    return np.select(
        [visa == Visa.STUDENT_OPT, visa == Visa.H1B], [opt_risk, h1b_risk], default=0.0
    )
