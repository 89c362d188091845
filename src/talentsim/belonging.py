"""Stage 5: belonging to the US and to China, family events, and what peers report.

Belonging and peers' news are slow: they are updated once a year, in the first step of the
year, by the exact solution of their linear dynamics over that year. Family events can
happen in any step.

In the US:  d(belong_us)/dt = g (1 - b) - s T b     (g: us_gain_rate, s T: tension erosion)
            d(belong_cn)/dt = -d b + e P (1 - b)     (d: china_decay_rate, e P: peers returned)
In China:   d(belong_us)/dt = -u b,   d(belong_cn)/dt = c (1 - b)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.careers import ppp_pay, salaries
from talentsim.scenario import Scenario
from talentsim.streams import Draw

if TYPE_CHECKING:
    from talentsim.model import TalentModel


def update_peer_signals(model: TalentModel) -> None:
    """What each worker hears from their circle: the share now in China and how they fared.

    `fared` is the log growth of a returnee's PPP pay since return. For each worker, over
    the other active members of their circle: `peer_share` is the share in China and
    `peer_fared` the sum of their `fared` divided by the number of others (0 without any).
    """
    people = model.people
    in_cn = np.flatnonzero(model.in_cn)
    salary, _ = salaries(model, in_cn)
    pay = ppp_pay(model, people.country[in_cn], salary, people.employer[in_cn])
    people.fared[in_cn] = np.log(pay / people.return_pay_ppp[in_cn])

    circle = people.view("circle")
    n = model.n_circles
    active = model.active.astype(np.float32)
    returned = model.in_cn.astype(np.float32)
    fared = np.where(model.in_cn, people.view("fared"), np.float32(0.0))
    members = np.bincount(circle, weights=active, minlength=n)
    in_china = np.bincount(circle, weights=returned, minlength=n)
    fared_sum = np.bincount(circle, weights=fared, minlength=n)
    others = (members[circle] - active).astype(np.float32)
    safe = np.maximum(others, 1.0)
    model.peer_share[:] = (in_china[circle] - returned) / safe
    model.peer_fared[:] = (fared_sum[circle] - fared) / safe
    model.max_peer_share = float(model.peer_share.max()) if people.n else 0.0


def family_pull(
    p: Scenario, only_child: np.ndarray, parent_age: np.ndarray, years_since_event: np.ndarray
) -> np.ndarray:
    """Pull towards China from family: only children, ageing parents, recent events."""
    f = p.family
    age_pull = np.clip((parent_age - 60.0) / 20.0, 0.0, 1.0) * f.parent_age_pull
    event = np.exp(-years_since_event / f.event_memory_years)
    return f.only_child_pull * only_child + age_pull + event


def family_pull_of(model: TalentModel, slots: np.ndarray) -> np.ndarray:
    """Family pull of some workers now."""
    people, t = model.people, model.t
    return family_pull(
        model.p,
        people.only_child[slots],
        t - people.parent_birth[slots],
        t - people.family_event_time[slots],
    )


def update_belonging(model: TalentModel) -> None:
    """Yearly: peers' news and belonging. Every step: family events."""
    if model.step_index % model.config.time.steps_per_year == 0:
        update_peer_signals(model)
        _relax_belonging(model, years=1.0)
    _family_events(model)


def _relax_belonging(model: TalentModel, years: float) -> None:
    people, b = model.people, model.p.belonging
    us = model.in_us
    bu = people.view("belong_us")
    bc = people.view("belong_cn")
    f32 = np.float32
    # belong_us: towards g / (g + sT) in the US, towards 0 in China.
    rate_us = b.us_gain_rate + b.tension_sensitivity * model.macro.tension
    target_us = np.where(us, f32(b.us_gain_rate / rate_us if rate_us > 0 else 0.0), f32(0.0))
    keep_us = np.where(us, f32(np.exp(-rate_us * years)), f32(np.exp(-b.us_decay_rate * years)))
    bu[:] = target_us + (bu - target_us) * keep_us
    # belong_cn: towards eP / (d + eP) in the US (per worker), towards 1 in China.
    pull = f32(b.peer_effect) * model.peer_share
    rate_cn = np.where(us, f32(b.china_decay_rate) + pull, f32(b.china_gain_rate))
    safe = np.where(rate_cn > 0, rate_cn, f32(1.0))
    target_cn = np.where(us, pull / safe, f32(1.0))
    bc[:] = target_cn + (bc - target_cn) * np.exp(-rate_cn * f32(years))


def schedule_family_events(
    model: TalentModel, slots: np.ndarray, after: np.ndarray, start: bool = False
) -> None:
    """Draw the date of each worker's next family event after the dates `after`.

    Events arrive at the hazard h(a) = r exp((a - 70) / s) in the parents' age a, so the
    cumulative hazard is H(a) = r s exp((a - 70) / s); the next event comes when H has grown
    by an exponential draw E: a' = 70 + s log(exp((a - 70) / s) + E / (r s)). Scheduling the
    next event, rather than testing every worker every step, makes this cost nothing
    between events. `start` marks a new schedule (a new worker, new hazards), drawn from
    its own stream (see :func:`talentsim.schedule.schedule_us_offers`).
    """
    people, f = model.people, model.p.family
    if len(slots) == 0:
        return
    draw = Draw.FAMILY_START if start else Draw.FAMILY
    u = model.streams.slot_uniform(draw, model.tick, slots, 1)[:, 0]
    growth = -np.log(u)
    age = after - people.parent_birth[slots]
    if f.event_rate_at_70 <= 0:
        people.family_next_event[slots] = np.inf
        return
    scaled = np.exp((age - 70.0) / f.event_age_scale)
    later = 70.0 + f.event_age_scale * np.log(
        scaled + growth / (f.event_rate_at_70 * f.event_age_scale)
    )
    people.family_next_event[slots] = after + (later - age)


def _family_events(model: TalentModel) -> None:
    """Family events (a parent's illness and the like) due in this step happen now."""
    people, f, t = model.people, model.p.family, model.t
    key = (f.event_rate_at_70, f.event_age_scale)
    if key != model.family_key:
        if model.family_key is not None:  # the hazard changed: the process restarts now
            active = np.flatnonzero(model.active)
            schedule_family_events(model, active, np.full(len(active), t), start=True)
        model.family_key = key
    due = np.flatnonzero(model.active & (people.view("family_next_event") < t + model.dt))
    people.family_event_time[due] = t
    schedule_family_events(model, due, people.family_next_event[due])
