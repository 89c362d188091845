"""Stage 5: belonging to the US and to China, family events, and what peers report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.careers import ppp_pay
from talentsim.scenario import Scenario
from talentsim.streams import Draw

if TYPE_CHECKING:
    from talentsim.model import TalentModel


def update_peer_signals(model: TalentModel) -> None:
    """What each worker hears from peers: the share now in China and how they fared.

    Workers compare notes once a year (in the first step of the year); entrants hear
    nothing until then. `fared` is the log growth of a returnee's PPP pay since return.
    """
    people = model.people
    peer_share, peer_fared = model.peer_share, model.peer_fared
    k = people.peers.shape[0]
    peer_share[:] = 0.0
    peer_fared[:] = 0.0
    if k == 0:
        return
    in_cn = model.in_cn
    fared = people.view("fared")
    pay = ppp_pay(model, people.view("country"), people.view("salary"), people.view("employer"))
    fared[in_cn] = np.log(pay[in_cn] / people.view("return_pay_ppp")[in_cn])
    # One gather per link: 0 for peers not in China (and for slot -1, no peer),
    # 1 + fared for peers in China.
    news = np.zeros(people.n + 1)
    news[:-1] = np.where(in_cn, 1.0 + fared, 0.0)
    for links in people.peers[:, : people.n]:
        heard = news[links]
        peer_share += heard != 0
        peer_fared += heard
    peer_fared -= peer_share
    peer_share /= k
    peer_fared /= k


def family_pull(p: Scenario, only_child: np.ndarray, parent_age: np.ndarray,
                event: np.ndarray) -> np.ndarray:
    """Pull towards China from family: only children, ageing parents, recent events."""
    f = p.family
    age_pull = np.clip((parent_age - 60.0) / 20.0, 0.0, 1.0) * f.parent_age_pull
    return f.only_child_pull * only_child + age_pull + event


def update_belonging(model: TalentModel) -> None:
    """Belonging drifts with time spent, tension and peers; family events arrive."""
    people, p, dt = model.people, model.p, model.dt
    b = p.belonging
    if model.step_index % model.config.time.steps_per_year == 0:
        update_peer_signals(model)
    us = model.in_us
    bu = people.view("belong_us")
    bc = people.view("belong_cn")
    tension = model.macro.tension
    d_us = np.where(
        us, b.us_gain_rate * (1 - bu) - b.tension_sensitivity * tension * bu, -b.us_decay_rate * bu
    )
    peers = (b.peer_effect * model.peer_share).astype(np.float32)
    d_cn = np.where(us, -b.china_decay_rate * bc + peers * (1 - bc), b.china_gain_rate * (1 - bc))
    np.clip(bu + d_us * np.float32(dt), 0.0, 1.0, out=bu)
    np.clip(bc + d_cn * np.float32(dt), 0.0, 1.0, out=bc)

    f = p.family
    parent_age = people.view("parent_age")
    hazard = f.event_rate_at_70 * np.exp((parent_age - 70.0) / f.event_age_scale)
    u = model.streams.uniform(Draw.FAMILY, model.tick, people.n)
    event = u < -np.expm1(-hazard * dt)
    family_event = people.view("family_event")
    family_event *= np.float32(np.exp(-dt / f.event_memory_years))
    np.maximum(family_event, event, out=family_event)  # an event resets the pull to 1
