"""Stage 4: visas. OPT, the H-1B lottery, green cards, and loss of status forcing a move."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.model.streams import Draw
from talentsim.scenario.schema import Scenario
from talentsim.taxonomy import EDUCATION, SEGMENTS, Visa

if TYPE_CHECKING:
    from talentsim.model.state import Model

ACADEMIA = SEGMENTS.index("academia")  # universities are exempt from the H-1B cap
BACHELOR = EDUCATION.index("bachelor")


def h1b_win_probability(p: Scenario, segment: np.ndarray, education: np.ndarray) -> np.ndarray:
    """Chance of getting an H-1B at one lottery (cap-exempt employers skip the lottery)."""
    v = p.visas
    lottery = np.where(education == BACHELOR, v.h1b_lottery_rate, v.h1b_lottery_rate_advanced)
    return np.where(segment == ACADEMIA, 1.0, lottery) * v.h1b_approval_rate


def opt_years(p: Scenario, stem: np.ndarray) -> np.ndarray:
    """OPT length: the STEM extension for sv_tech and academia graduates."""
    return np.where(stem, p.visas.opt_years_stem, p.visas.opt_years_other)


def is_lottery_step(model: Model) -> bool:
    """Whether the H-1B lottery falls in the current step."""
    steps = model.config.time.steps_per_year
    return model.step_index % steps == (model.p.visas.lottery_month - 1) * steps // 12


def update_visas(model: Model) -> None:
    """Move workers in the US through visa statuses; flag those who lose status.

    One uniform per worker decides whichever transition their status allows: winning the
    lottery (OPT, on the lottery step), a green-card filing (H-1B), approval (pending).
    """
    people, p, dt, t = model.people, model.p, model.dt, model.t
    bits = model.streams.slot_bits(Draw.VISA, model.tick, people.n)
    # Work on the workers in the US without permanent status (a minority), by index.
    temp = np.flatnonzero(model.step_state.in_us & (people.view("visa") < Visa.PERMANENT.value))
    visa = people.visa[temp]
    u = bits.at(temp)
    clock = t - people.visa_since[temp]

    h1b = visa == Visa.H1B.value
    opt = np.flatnonzero(visa == Visa.STUDENT_OPT.value)  # rows of OPT holders
    over = clock[opt] >= opt_years(p, people.stem[temp[opt]])
    opt_over = np.zeros(len(temp), dtype=bool)
    opt_over[opt[over]] = True
    won = np.zeros(len(temp), dtype=bool)
    if is_lottery_step(model):  # OPT holders whose OPT has not run out enter the lottery
        entering = opt[~over]
        slots = temp[entering]
        chance = h1b_win_probability(p, people.segment[slots], people.education[slots])
        won[entering[u[entering] < chance]] = True
    filed = h1b & (u < -np.expm1(-p.visas.green_card_sponsor_rate * dt))
    granted = (visa == Visa.GREEN_CARD_PENDING.value) & (
        u < -np.expm1(-dt / p.visas.green_card_wait_years)
    )
    expired = temp[opt_over | (h1b & ~filed & (clock >= p.visas.h1b_max_years))]
    changed = temp[won | filed | granted]
    people.visa[changed] += 1  # each change moves one status up: OPT -> H-1B -> pending -> PR
    people.visa_since[changed] = t
    expired = _other_routes(model, expired)
    model.step_state.forced[expired] = True
    model.step_state.flows["status_lost"] += float(people.weight[expired].sum())


def _other_routes(model: Model, expired: np.ndarray) -> np.ndarray:
    """Keep the status of a share of the workers about to lose it; return those who lose it.

    The rescued hold an H-1B-like status from now (a fresh clock to the H-1B limit): a
    cap-exempt employer, further study, an O-1 or L-1 visa or marriage (ODD 7.5.2).
    """
    share = model.p.visas.other_route_share
    if share <= 0 or len(expired) == 0:
        return expired
    u = model.streams.slot_uniform(Draw.VISA_ROUTE, model.tick, expired, 1)[:, 0]
    kept = expired[u < share]
    model.people.visa[kept] = Visa.H1B.value
    model.people.visa_since[kept] = model.t
    return expired[u >= share]


def lotteries_left(model: Model, opt_end: np.ndarray) -> np.ndarray:
    """Number of H-1B lotteries after the current step and before `opt_end` (a date).

    Counted in whole steps, so that no floating-point rounding moves a lottery.
    """
    steps = model.config.time.steps_per_year
    lottery = (model.p.visas.lottery_month - 1) * steps // 12  # the lottery's step in the year
    position = model.step_index % steps
    next_step = model.step_index - position + lottery + (steps if position >= lottery else 0)
    next_lottery = model.config.time.start + next_step / steps
    return np.maximum(np.ceil(opt_end - next_lottery - 1e-9), 0.0)


def visa_risk(
    model: Model,
    slots: np.ndarray,
    visa: np.ndarray | None = None,
    since: np.ndarray | None = None,
) -> np.ndarray:
    """Probability of losing US status before it is secured, as the worker sees it.

    OPT holders face the lotteries left before their OPT ends; H-1B holders the chance that
    no green card is filed before the time limit; pending and permanent residents face none.
    `visa` and `since` default to the workers' current status and its start date.
    """
    people, p = model.people, model.p
    visa = people.visa[slots] if visa is None else visa
    since = people.visa_since[slots] if since is None else since
    win = h1b_win_probability(p, people.segment[slots], people.education[slots])
    remaining = lotteries_left(model, since + opt_years(p, people.stem[slots]))
    opt_risk = (1 - win) ** remaining
    years_left = np.maximum(p.visas.h1b_max_years - (model.t - since), 0)
    h1b_risk = np.exp(-p.visas.green_card_sponsor_rate * years_left)
    return np.where(
        visa == Visa.STUDENT_OPT.value, opt_risk, np.where(visa == Visa.H1B.value, h1b_risk, 0.0)
    )
