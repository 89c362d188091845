"""Stage 8: returnees work in China; some take a US offer again (brain circulation).

Returnees receive US offers at a low rate. Those without permanent residence need a new
H-1B (a lottery and an approval). The choice between the Chinese job and the US offer uses
the same utility as the decision stage, with the cost of moving back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.model import schedule
from talentsim.model.stages.careers import refresh_pay_factor, schedule_promotions
from talentsim.model.stages.decisions import china_extras, gumbel, job_terms, job_value, us_extras
from talentsim.model.stages.visas import h1b_win_probability, is_lottery_step
from talentsim.model.streams import Draw
from talentsim.taxonomy import US_SECTOR_OF_SEGMENT, Country, Visa

if TYPE_CHECKING:
    from talentsim.model.state import Model


def permanent_status(model: Model, slots: np.ndarray) -> np.ndarray:
    """Whether returnees still hold US permanent status.

    Permanent residents who had held it for `visas.naturalisation_years` before returning are
    taken to be citizens and keep it; the others lose it after
    `visas.permanent_lapse_years` abroad.
    """
    people, v = model.people, model.p.visas
    permanent = people.visa[slots] == Visa.PERMANENT.value
    held = people.return_time[slots] - people.visa_since[slots]
    abroad = model.t - people.return_time[slots]
    return permanent & ((held >= v.naturalisation_years) | (abroad < v.permanent_lapse_years))


def remigrate(model: Model) -> None:
    """Returnees with a US offer decide whether to move back to the US."""
    people, p, step = model.people, model.p, model.tick
    # Workers in China since before this step's decisions (not those who just returned).
    idx = schedule.due(model, "us_offer_date", model.step_state.in_cn)
    schedule.schedule_us_offers(model, idx, people.us_offer_date[idx])
    if len(idx) == 0:
        return

    draws = model.streams.slot_uniform(Draw.REMIGRATION_TERMS, step, idx, 2)
    z = model.streams.slot_normal(Draw.REMIGRATION_PAY, step, idx, 1)[:, 0]
    permanent = permanent_status(model, idx)
    lottery = is_lottery_step(model) & (
        draws[:, 0] < h1b_win_probability(p, people.segment[idx], people.education[idx])
    )
    visa_ok = permanent | lottery
    idx, draws, z, permanent = idx[visa_ok], draws[visa_ok], z[visa_ok], permanent[visa_ok]
    if len(idx) == 0:
        return

    # US employers pay on the worker's US record, not on their Chinese pay.
    sd = p.offers.offer_sd
    us_firm = model.us_firm_sampler.draw(
        np.asarray(US_SECTOR_OF_SEGMENT)[people.segment[idx]], draws[:, 1]
    )
    us_mult = people.us_pay_mult[idx] * np.exp(sd * z - 0.5 * sd**2)
    pay_cat, education, level = people.pay_cat[idx], people.education[idx], people.level[idx]
    here = job_terms(  # everyone in idx is in China
        model,
        Country.CHINA,
        pay_cat,
        people.employer[idx],
        level,
        education,
        people.pay_mult[idx],
    )
    there = job_terms(
        model,
        Country.US,
        pay_cat,
        us_firm,
        level,
        education,
        us_mult,
    )
    # Permanent residents keep their status; the others would start a new H-1B.
    visa = np.where(permanent, Visa.PERMANENT, Visa.H1B).astype(np.int8)
    since = np.full(len(idx), model.t)
    utility = np.column_stack(
        [
            job_value(p, here) + china_extras(model, idx),
            job_value(p, there)
            + us_extras(model, idx, visa, since)
            - p.decisions.moving_cost_remigrate,
        ]
    )
    go = np.argmax(utility + gumbel(model, Draw.REMIGRATION_CHOICE, idx, 2), axis=1) == 1
    movers = idx[go]
    model.ledger.remove(people, movers)
    new_h1b = movers[visa[go] == Visa.H1B.value]  # permanent residents keep their status and date
    people.visa[new_h1b] = Visa.H1B
    people.visa_since[new_h1b] = model.t
    people.us_since[movers] = model.t
    people.country[movers] = Country.US
    people.employer[movers] = us_firm[go]
    people.wage_group[movers] = people.pay_cat[movers]
    people.pay_mult[movers] = us_mult[go]
    people.us_pay_mult[movers] = us_mult[go]
    refresh_pay_factor(model, movers)
    model.ledger.add(people, movers)
    schedule.schedule_us_offers(model, movers, model.t, Draw.US_OFFER_MOVE)  # US hazards now
    schedule_promotions(model, movers, model.t, Draw.PROMOTION_MOVE)
    model.step_state.flows["remigrants"] += float(people.weight[movers].sum())
