"""Stage 2: the starting population, graduates entering the pool, and exits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.model import schedule
from talentsim.model.stages import belonging, careers
from talentsim.model.streams import Draw, thresholds_below
from talentsim.scenario.schema import Scenario
from talentsim.taxonomy import NO_SKILL, SEGMENTS, SV_TECH, US_SECTOR_OF_SEGMENT, Country, Visa

if TYPE_CHECKING:
    from talentsim.model.state import Model

#: Age at graduation and years of study in the US, by degree (structural assumptions).
GRADUATION_AGE = np.array([22.5, 24.5, 29.0])
STUDY_YEARS = np.array([4.0, 2.0, 5.0])
#: Segments whose graduates get the STEM extension of OPT.
STEM_SEGMENTS = np.array([True, False, True, False])

# Columns of the uniform draws used to create a worker.
_SEGMENT, _SKILL, _EDUCATION, _ONLY_CHILD, _PARENT = range(5)
_GC_FILE, _GC_WAIT, _EMPLOYER, _PROMO = 5, 6, 7, 8  # _PROMO..+3: one per ladder step
_COLUMNS = 12


def _categorical(shares: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Category index for each uniform draw, given category shares (weights >= 0)."""
    cdf = np.cumsum(shares)
    return np.minimum(thresholds_below(cdf / cdf[-1], u), len(shares) - 1)


def _shares(table: object) -> np.ndarray:
    return np.array(list(table.model_dump().values()), dtype=float)


def education_cdf(p: Scenario) -> np.ndarray:
    """Cumulative degree mix of each segment (segments x degrees)."""
    mixes = [_shares(getattr(p.population.education_mix, name)) for name in SEGMENTS]
    return np.cumsum(mixes, axis=1)


def create_workers(
    model: Model,
    count: int,
    gen: np.random.Generator,
    years_since_graduation: np.ndarray | None,
) -> slice:
    """Add `count` workers in the US with profiles drawn from the scenario.

    Args:
        model: The model whose arrays receive the workers.
        count: Number of workers.
        gen: Generator for this batch (a stream keyed by step, for common random numbers).
        years_since_graduation: Per worker (the starting pool), or None for new graduates.

    Returns:
        The slice of the new slots.
    """
    p, people, t = model.p, model.people, model.t
    new = people.add(count)
    u = gen.random((count, _COLUMNS))
    z = gen.standard_normal(count)
    if years_since_graduation is None:
        segment_mix = _shares(p.entry.segment_mix)
        ysg = np.zeros(count)
    else:
        segment_mix = _shares(p.population.segment_mix)
        ysg = years_since_graduation
    segment = _categorical(segment_mix, u[:, _SEGMENT])
    skill = np.where(
        segment == SV_TECH, _categorical(_shares(p.population.skill_mix), u[:, _SKILL]), NO_SKILL
    )
    education = _degrees(model.derived(education_cdf), segment, u[:, _EDUCATION])

    age = GRADUATION_AGE[education] + ysg
    years_us = STUDY_YEARS[education] + ysg
    people.active[new] = True
    people.country[new] = Country.US
    people.weight[new] = model.carried.weight
    people.birth[new] = t - age
    people.education[new] = education
    people.segment[new] = segment
    people.skill[new] = skill
    people.stem[new] = STEM_SEGMENTS[segment]
    people.pay_cat[new] = np.where(segment == SV_TECH, skill, segment + 2)
    people.wage_group[new] = people.pay_cat[new]
    people.us_years_banked[new] = years_us
    people.us_since[new] = t
    people.only_child[new] = u[:, _ONLY_CHILD] < p.population.only_child_share
    people.parent_birth[new] = t - (age + 26.0 + 8.0 * u[:, _PARENT])
    people.belong_us[new], people.belong_cn[new] = initial_belonging(p, years_us)
    people.pay_mult[new] = np.exp(p.pay.individual_sd * z - 0.5 * p.pay.individual_sd**2)
    people.us_pay_mult[new] = people.pay_mult[new]
    us_sector = np.asarray(US_SECTOR_OF_SEGMENT)[segment]
    people.employer[new] = model.us_firm_sampler.draw(us_sector, u[:, _EMPLOYER])
    _initial_visas(p, people, new, ysg, t, u)
    people.level[new] = _initial_levels(p, ysg, u[:, _PROMO : _PROMO + 4])
    careers.refresh_pay_factor(model, new)
    model.ledger.add(people, new)
    _form_circles(model, new, segment)
    slots = np.arange(new.start, new.stop)
    belonging.schedule_family_events(model, slots, np.full(count, t), start=True)
    schedule.schedule_exits(model, slots)
    schedule.schedule_us_offers(model, slots, t, Draw.US_OFFER_START)
    careers.schedule_promotions(model, slots, t, Draw.PROMOTION_START)
    return new


def _degrees(cdf: np.ndarray, segment: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Degree of each worker from their segment's cumulative degree mix and their draw `u`."""
    return thresholds_below((cumulative[segment] for cumulative in cdf[:, :-1].T), u)


def initial_belonging(p: Scenario, years_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Belonging after `years_us` in the US, from the arrival values.

    Uses the dynamics of :mod:`talentsim.model.stages.belonging` with today's tension and no
    returned peers.
    """
    b = p.belonging
    rate_us = b.us_gain_rate + b.tension_sensitivity * p.macro.tension
    target_us = b.us_gain_rate / rate_us if rate_us > 0 else 0.0
    belong_us = target_us + (b.initial_us - target_us) * np.exp(-rate_us * years_us)
    belong_cn = b.initial_china * np.exp(-b.china_decay_rate * years_us)
    return belong_us, belong_cn


def _initial_visas(
    p: Scenario, people: object, new: slice, ysg: np.ndarray, t: float, u: np.ndarray
) -> None:
    """Visa status from years since graduation: OPT, then H-1B, green card filing, residence.

    Filing and approval are exponential waiting times; workers still on an H-1B past its
    limit must have filed (they are in the pool), so they are set to pending.
    """
    v = p.visas
    opt_years = np.where(people.stem[new], v.opt_years_stem, v.opt_years_other)
    after_opt = ysg - opt_years
    t_file = -np.log1p(-u[:, _GC_FILE]) / max(v.green_card_sponsor_rate, 1e-9)
    t_file = np.minimum(t_file, v.h1b_max_years)
    t_permanent = t_file - np.log1p(-u[:, _GC_WAIT]) * v.green_card_wait_years
    h1b = after_opt >= 0
    pending = h1b & (after_opt >= t_file)
    permanent = h1b & (after_opt >= t_permanent)
    visa = np.full(len(ysg), Visa.STUDENT_OPT, dtype=np.int8)
    clock = ysg.copy()
    visa[h1b], clock[h1b] = Visa.H1B, after_opt[h1b]
    visa[pending], clock[pending] = Visa.GREEN_CARD_PENDING, (after_opt - t_file)[pending]
    visa[permanent], clock[permanent] = Visa.PERMANENT, (after_opt - t_permanent)[permanent]
    people.visa[new] = visa
    people.visa_since[new] = t - clock


def _initial_levels(p: Scenario, ysg: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Career level reached after `ysg` years in US firms (exponential waits per step)."""
    hazards = careers.next_step_hazards(p)[0][:-1]
    elapsed = np.zeros(len(ysg))
    level = np.zeros(len(ysg), dtype=np.intp)
    for step, hazard in enumerate(hazards):
        elapsed += -np.log1p(-u[:, step]) / max(hazard, 1e-12)
        level += elapsed <= ysg
    return level


def _form_circles(model: Model, new: slice, segment: np.ndarray) -> None:
    """Put new workers into peer circles of `population.peer_links` + 1 classmates.

    Within each segment the new workers, in slot order (for the starting pool, order of
    graduation; for graduates, one cohort), are cut into consecutive circles; a last
    circle of one joins the one before it. Each worker's peers are the other members.
    """
    size = model.p.population.peer_links + 1
    circle = np.empty(len(segment), dtype=np.intp)
    for s in range(len(SEGMENTS)):
        rows = np.flatnonzero(segment == s)
        if len(rows) == 0:
            continue
        chunk = np.arange(len(rows)) // size
        if len(rows) > 1 and len(rows) % size == 1:
            chunk[-1] -= 1  # no circle of one
        circle[rows] = model.carried.n_circles + chunk
        model.carried.n_circles += int(chunk[-1]) + 1
    model.people.circle[new] = circle


def initialise(model: Model) -> None:
    """Create the starting pool with a spread of years since graduation ('drawn' only).

    With `population.initial` 'spin_up' the pool starts empty: the graduates who enter over
    the burn-in make it (see :func:`set_weights`).
    """
    p = model.p
    model.carried.weight = p.population.weight
    if p.population.initial == "spin_up":
        return
    gen = model.streams.generator(Draw.INIT, 0)
    count = p.population.agents
    ysg = -np.log1p(-gen.random(count)) * p.population.years_since_graduation_mean
    max_ysg = p.exit.retirement_age - GRADUATION_AGE.max() - 0.5
    # Oldest cohort first, so that circles of consecutive workers are classmates.
    create_workers(model, count, gen, np.sort(np.minimum(ysg, max_ysg))[::-1])


def set_weights(model: Model) -> None:
    """After a spin-up, make every agent stand for people / (agents in the US) from now on.

    Called when recording starts: the pool in the US then holds `population.people` people,
    and every later graduate stands for as many.
    """
    if model.p.population.initial != "spin_up":
        return
    people = model.people
    in_us = people.view("active") & (people.view("country") == Country.US.value)
    count = int(np.count_nonzero(in_us))
    if count == 0:
        return
    weight = model.config.population.people / count
    people.weight[: people.n] = weight
    model.carried.weight = weight
    model.ledger.rebuild(people)


def is_graduation_step(model: Model) -> bool:
    """Whether the year's graduates enter in the current step."""
    steps = model.config.time.steps_per_year
    return model.step_index % steps == (model.p.entry.month - 1) * steps // 12


def entry(model: Model) -> None:
    """The year's graduates join the pool in the graduation step.

    Their number is deterministic (the expected inflow, with the fraction carried over), so
    that scenarios with the same entry settings stay aligned slot by slot.
    """
    if not is_graduation_step(model):
        return
    p = model.p
    years = model.t - model.config.time.start
    expected = p.entry.rate * model.config.population.agents * np.exp(p.entry.growth * years)
    model.carried.entry_carry += expected
    count = int(model.carried.entry_carry)
    model.carried.entry_carry -= count
    if count:
        gen = model.streams.generator(Draw.ENTRY, model.tick)
        new = create_workers(model, count, gen, None)
        model.people.entry_year[new] = model.year
        model.step_state.flows["entrants"] += float(model.people.weight[new].sum())


def exit_pool(model: Model) -> None:
    """Workers whose scheduled exit (retirement, or leaving at the attrition rate) has come."""
    people = model.people
    schedule.refresh_schedules(model)
    leaving = schedule.due(model, "exit_date", people.view("active"))
    model.ledger.remove(people, leaving)
    people.active[leaving] = False
    weight = people.weight[leaving]
    in_us = people.country[leaving] == Country.US.value
    model.step_state.flows["exits"] += float(weight[in_us].sum())
    model.step_state.flows["exits_china"] += float(weight[~in_us].sum())
