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
    """What each worker hears from peers: the share now in China and how they fared.

    `fared` is the log growth of a returnee's PPP pay since return; `peer_fared` sums it
    over a worker's returned peers, divided by the number of links.
    """
    people = model.people
    peer_share, peer_fared = model.peer_share, model.peer_fared
    k = people.peers.shape[0]
    peer_share[:] = 0.0
    peer_fared[:] = 0.0
    in_cn = np.flatnonzero(model.in_cn)
    salary, _ = salaries(model, in_cn)
    pay = ppp_pay(model, people.country[in_cn], salary, people.employer[in_cn])
    people.fared[in_cn] = np.log(pay / people.return_pay_ppp[in_cn])
    if k == 0:
        return
    # One gather per link: 0 for peers not in China (and for slot -1, no
    # peer), 1 + fared for peers in China. float32 halves the memory the gathers touch.
    news = np.zeros(people.n + 1, dtype=np.float32)
    news[in_cn] = 1.0 + people.fared[in_cn]
    share = np.zeros(people.n, dtype=np.float32)
    fared = np.zeros(people.n, dtype=np.float32)
    for links in people.peers[:, : people.n]:
        heard = news[links]
        share += heard != 0
        fared += heard
    peer_share[:] = share / k
    peer_fared[:] = (fared - share) / k


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
    pull = (b.peer_effect * model.peer_share).astype(f32)
    rate_cn = np.where(us, f32(b.china_decay_rate) + pull, f32(b.china_gain_rate))
    safe = np.where(rate_cn > 0, rate_cn, f32(1.0))
    target_cn = np.where(us, pull / safe, f32(1.0))
    bc[:] = target_cn + (bc - target_cn) * np.exp(-rate_cn * f32(years))


def _family_events(model: TalentModel) -> None:
    """Parents' illness and similar events, with a hazard rising with parents' age.

    Exact thinning against the hazard of the oldest parents keeps the exponential off
    most workers.
    """
    people, p, dt, t = model.people, model.p, model.dt, model.t
    f = p.family
    u = model.streams.slot_bits(Draw.FAMILY, model.tick, people.n)
    parent_birth = people.view("parent_birth")
    if model.step_index % model.config.time.steps_per_year == 0 or model.oldest_parent is None:
        # Earliest parents' birth among active workers; create_workers lowers it when an
        # entrant's parents are older, so it stays a bound for the rest of the year.
        model.oldest_parent = float(np.min(parent_birth, where=model.active, initial=np.inf))
    oldest = t - model.oldest_parent if np.isfinite(model.oldest_parent) else 0.0
    bound = -np.expm1(-f.event_rate_at_70 * np.exp((oldest - 70.0) / f.event_age_scale) * dt)
    candidates = np.flatnonzero(model.active & u.below(bound))
    parent_age = t - parent_birth[candidates]
    hazard = f.event_rate_at_70 * np.exp((parent_age - 70.0) / f.event_age_scale)
    events = candidates[u.at(candidates) < -np.expm1(-hazard * dt)]
    people.family_event_time[events] = t
