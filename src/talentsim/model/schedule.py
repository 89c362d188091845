"""Scheduled events: workers carry the date of their next event instead of a coin per step.

For events at a constant hazard (leaving the pool, a US job offer), the waiting time is
exponential, so each worker's next date is drawn once, when the worker is created, after
each event, or when the worker moves to a country with another hazard; a step only asks
whose date has come. When the timeline changes a hazard, every date is drawn again from
now, which is exact because exponential waiting times have no memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.model.streams import Draw
from talentsim.taxonomy import Country

if TYPE_CHECKING:
    from talentsim.model.state import Model


def hazard_changed(model: Model, name: str, key: tuple[float, ...]) -> bool:
    """Whether the parameters behind a schedule changed since it was last drawn."""
    previous = model.carried.schedule_keys.get(name)
    model.carried.schedule_keys[name] = key
    return previous is not None and previous != key


def exponential_after(
    model: Model,
    draw: Draw,
    slots: np.ndarray,
    rate: np.ndarray | float,
    after: np.ndarray | float,
) -> np.ndarray:
    """Dates of the next event after `after` at annual hazard `rate` (inf if the rate is 0)."""
    u = model.streams.slot_uniform(draw, model.tick, slots, 1)[:, 0]
    wait = -np.log(u)
    if np.ndim(rate) == 0 and rate > 0:
        wait /= rate
    else:
        positive = np.asarray(rate) > 0
        np.divide(wait, rate, out=wait, where=positive)
        wait[~np.broadcast_to(positive, wait.shape)] = np.inf
    wait += after
    return wait


def schedule_exits(model: Model, slots: np.ndarray) -> None:
    """Date each worker leaves the pool: retirement, or attrition if that comes first."""
    people, e = model.people, model.p.exit
    retire = people.birth[slots] + e.retirement_age
    leave = exponential_after(model, Draw.EXIT, slots, e.attrition_rate, model.t)
    people.exit_date[slots] = np.minimum(retire, leave)


def us_offer_rate(model: Model, slots: np.ndarray) -> np.ndarray:
    """Annual hazard of a US offer: from another US firm in the US, to returnees in China."""
    p = model.p
    in_us = model.people.country[slots] == Country.US.value
    return np.where(in_us, p.offers.us_rate, p.remigration.us_offer_rate)


def schedule_us_offers(
    model: Model, slots: np.ndarray, after: np.ndarray | float, draw: Draw = Draw.US_OFFER
) -> None:
    """Date of each worker's next US offer after `after`, at their country's hazard.

    `draw` names the occasion: Draw.US_OFFER for the next offer after one that has just
    come, Draw.US_OFFER_START for a new worker or new hazards, Draw.US_OFFER_MOVE after a
    move between countries. Each occasion has its own stream, so that a worker scheduled
    on two occasions in one step gets independent waits.
    """
    rate = us_offer_rate(model, slots)
    model.people.us_offer_date[slots] = exponential_after(model, draw, slots, rate, after)


def refresh_schedules(model: Model) -> None:
    """Draw the dates again from now if the timeline changed the hazards behind them."""
    p = model.p
    exits = (p.exit.retirement_age, p.exit.attrition_rate)
    offers = (p.offers.us_rate, p.remigration.us_offer_rate)
    if hazard_changed(model, "exits", exits):
        schedule_exits(model, np.flatnonzero(model.people.view("active")))
    if hazard_changed(model, "us_offers", offers):
        active = np.flatnonzero(model.people.view("active"))
        schedule_us_offers(model, active, model.t, Draw.US_OFFER_START)


def due(model: Model, field: str, among: np.ndarray) -> np.ndarray:
    """Slots (within the mask `among`) whose event in `field` falls in the current step."""
    return np.flatnonzero(among & (model.people.view(field) < model.t + model.dt))
