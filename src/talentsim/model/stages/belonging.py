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

from talentsim.model.stages.careers import salary_of
from talentsim.model.streams import Draw
from talentsim.scenario.schema import Scenario

if TYPE_CHECKING:
    from talentsim.model.state import Model

# Per status of a slot (inactive, active in the US, active in China): whether it is active
# and whether it is in China, as the float32 terms the peers' sums subtract.
_STATUS_ACTIVE = np.array([0.0, 1.0, 1.0], dtype=np.float32)
_STATUS_IN_CHINA = np.array([0.0, 0.0, 1.0], dtype=np.float32)


def update_peer_signals(model: Model) -> None:
    """What each worker hears from their circle: the share now in China and how they fared.

    `fared` is the log growth of a returnee's PPP pay since return. For each worker, over
    the other active members of their circle: `peer_share` is the share in China and
    `peer_fared` the sum of their `fared` divided by the number of others (0 without any).

    A slot's values depend only on its circle and its status (inactive, in the US, in China)
    and, in China, its own `fared`, so they are tabulated per (circle, status) and gathered.
    """
    people = model.people
    in_cn = np.flatnonzero(model.step_state.in_cn)
    circle = people.view("circle")
    cn_circle = circle[in_cn]
    salary = salary_of(model, people.wage_group[in_cn], people.pay_factor[in_cn])
    # Salary plus equity in PPP dollars; everyone here is in China.
    pay = salary * (1 + model.firms.equity_rate[people.employer[in_cn]]) / model.macro.ppp
    fared = np.log(pay / people.return_pay_ppp[in_cn]).astype(np.float32)
    people.fared[in_cn] = fared

    n = model.carried.n_circles
    status = model.step_state.active.view(np.uint8) + model.step_state.in_cn.view(
        np.uint8
    )  # 0, 1 US, 2 China
    code = circle * len(_STATUS_ACTIVE)
    code += status
    counts = np.bincount(code, minlength=n * len(_STATUS_ACTIVE)).reshape(n, len(_STATUS_ACTIVE))
    members = (counts[:, 1] + counts[:, 2]).astype(np.float64)[:, None]
    in_china = counts[:, 2].astype(np.float64)[:, None]
    # Summing only the members in China adds the same terms in the same order (others add 0).
    fared_sum = np.bincount(cn_circle, weights=fared, minlength=n)[:, None]
    safe = np.maximum((members - _STATUS_ACTIVE).astype(np.float32), 1.0)
    share = ((in_china - _STATUS_IN_CHINA) / safe).astype(np.float32)
    np.take(share, code, out=model.carried.peer_share)
    # Outside China a slot subtracts no `fared` of its own (x - 0 is x); in China it does.
    np.take((fared_sum / safe).astype(np.float32), code, out=model.carried.peer_fared)
    cn_code = code[in_cn]
    cn_safe = safe.ravel()[cn_code]
    model.carried.peer_fared[in_cn] = (fared_sum.ravel()[cn_circle] - fared) / cn_safe
    model.carried.max_peer_share = float(model.carried.peer_share.max()) if people.n else 0.0


def family_pull(
    p: Scenario, only_child: np.ndarray, parent_age: np.ndarray, years_since_event: np.ndarray
) -> np.ndarray:
    """Pull towards China from family: only children, ageing parents, recent events."""
    f = p.family
    age_pull = np.clip((parent_age - 60.0) / 20.0, 0.0, 1.0) * f.parent_age_pull
    event = np.exp(-years_since_event / f.event_memory_years)
    return f.only_child_pull * only_child + age_pull + event


def family_pull_of(model: Model, slots: np.ndarray) -> np.ndarray:
    """Family pull of some workers now."""
    people, t = model.people, model.t
    return family_pull(
        model.p,
        people.only_child[slots],
        t - people.parent_birth[slots],
        t - people.family_event_time[slots],
    )


def update_belonging(model: Model) -> None:
    """Yearly: peers' news and belonging. Every step: family events."""
    if model.step_index % model.config.time.steps_per_year == 0:
        update_peer_signals(model)
        _relax_belonging(model, years=1.0)
    _family_events(model)


def _relax_belonging(model: Model, years: float) -> None:
    """The yearly relaxation, in float32: in place for everyone as in China, then the US.

    Workers not in the US (in China or inactive) share constant rates; only workers in the
    US need per-worker terms, so those are computed for them alone.
    """
    people, b = model.people, model.p.belonging
    us = np.flatnonzero(model.step_state.in_us)
    bu = people.view("belong_us")
    bc = people.view("belong_cn")
    bu_us, bc_us = bu[us], bc[us]
    f32 = np.float32
    # belong_us: towards g / (g + sT) in the US, towards 0 in China.
    rate_us = b.us_gain_rate + b.tension_sensitivity * model.macro.tension
    _relax_in_place(bu, f32(0.0), f32(np.exp(-b.us_decay_rate * years)))
    target_us = f32(b.us_gain_rate / rate_us if rate_us > 0 else 0.0)
    bu[us] = target_us + (bu_us - target_us) * f32(np.exp(-rate_us * years))
    # belong_cn: towards eP / (d + eP) in the US (per worker), towards 1 in China.
    pull = f32(b.peer_effect) * model.carried.peer_share[us]
    rate_cn = np.append(f32(b.china_decay_rate) + pull, f32(b.china_gain_rate))
    safe = np.where(rate_cn > 0, rate_cn, f32(1.0))
    keep = np.exp(-rate_cn * f32(years))  # the last entry is China's, in the same exp call
    _relax_in_place(bc, f32(1.0), keep[-1])
    target_cn = pull / safe[:-1]
    bc[us] = target_cn + (bc_us - target_cn) * keep[:-1]


def _relax_in_place(values: np.ndarray, target: np.float32, keep: np.float32) -> None:
    """Values <- target + (values - target) keep, in place (float32, the same operations)."""
    values -= target
    values *= keep
    values += target


def schedule_family_events(
    model: Model, slots: np.ndarray, after: np.ndarray, start: bool = False
) -> None:
    """Draw the date of each worker's next family event after the dates `after`.

    Events arrive at the hazard h(a) = r exp((a - 70) / s) in the parents' age a, so the
    cumulative hazard is H(a) = r s exp((a - 70) / s); the next event comes when H has grown
    by an exponential draw E: a' = 70 + s log(exp((a - 70) / s) + E / (r s)). Scheduling the
    next event, rather than testing every worker every step, makes this cost nothing
    between events. `start` marks a new schedule (a new worker, new hazards), drawn from
    its own stream (see :func:`talentsim.model.schedule.schedule_us_offers`).
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


def _family_events(model: Model) -> None:
    """Family events (a parent's illness and the like) due in this step happen now."""
    people, f, t = model.people, model.p.family, model.t
    key = (f.event_rate_at_70, f.event_age_scale)
    if key != model.carried.family_key:
        if model.carried.family_key is not None:  # the hazard changed: the process restarts now
            active = np.flatnonzero(model.step_state.active)
            schedule_family_events(model, active, np.full(len(active), t), start=True)
        model.carried.family_key = key
    due = np.flatnonzero(
        model.step_state.active & (people.view("family_next_event") < t + model.dt)
    )
    people.family_event_time[due] = t
    schedule_family_events(model, due, people.family_next_event[due])
