"""Stage 9a: what is recorded each step (stocks, flows, the bamboo ceiling, pay gap).

Stocks are counted at the end of the step (from the ledger, :mod:`talentsim.model.ledger`); flows
over the step. All counts are people (agents times their weight).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.model.ledger import recount
from talentsim.model.stages.careers import reference_hazards
from talentsim.model.state import RECORDED_FLOWS
from talentsim.taxonomy import CHINA_WAGE_GROUP, CN_SECTORS, EDUCATION, MANAGER, SEGMENTS, Country

if TYPE_CHECKING:
    from talentsim.model.state import Model

#: Flows accumulated during a step (reset at its start).


def timeseries_columns() -> list[str]:
    """Columns of the per-step record, in order."""
    columns = [
        "time",
        "year",
        "in_us",
        "returned",
        *RECORDED_FLOWS,
        "mgmt_promotion_rate_us",
        "mgmt_promotion_rate_reference",
        "mean_salary_us_usd",
        "mean_salary_china_usd",
        "mean_salary_china_ppp",
        "agents_active",
    ]
    columns += [f"in_us_{s}" for s in SEGMENTS]
    columns += [f"returned_{s}" for s in SEGMENTS]
    columns += [f"returns_{s}" for s in SEGMENTS]
    columns += [f"returns_to_{s}" for s in CN_SECTORS]
    columns += [f"in_us_{d}" for d in EDUCATION]
    columns += [f"returned_{d}" for d in EDUCATION]
    columns += [f"returns_{d}" for d in EDUCATION]
    return columns


def record(model: Model) -> dict[str, float]:
    """The record of the step that just ended."""
    people, flows, dt = model.people, model.step_state.flows, model.dt
    k = len(SEGMENTS)
    stock, factor = model.ledger.stock, model.ledger.pay
    if model.audit:  # recount every worker and check the ledger against the count
        stock, levels, factor, degree = recount(people)
        np.testing.assert_allclose(model.ledger.stock, stock, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(model.ledger.levels, levels, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(model.ledger.pay, factor, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(model.ledger.degree, degree, rtol=1e-9, atol=1e-6)
        assert model.ledger.agents == int(np.count_nonzero(people.view("active")))
    in_us_seg, cn_seg = stock[:k], stock[k : 2 * k]
    pay = factor * model.macro.wage_table
    heads = np.array([in_us_seg.sum(), cn_seg.sum()])
    totals = np.array([pay[:CHINA_WAGE_GROUP].sum(), pay[CHINA_WAGE_GROUP:].sum()])
    mean_pay = np.divide(totals, heads, out=np.full(2, np.nan), where=heads > 0)

    eligible = flows["mgmt_eligible_us"]
    promoted = flows["mgmt_promoted_us"]
    rate = -np.log1p(-promoted / eligible) / dt if eligible > 0 else np.nan
    row = {
        "time": model.t,
        "year": model.year,
        "in_us": float(heads[0]),
        "returned": float(heads[1]),
        "returns": flows["returns"],
        "entrants": flows["entrants"],
        "exits": flows["exits"],
        "exits_china": flows["exits_china"],
        "remigrants": flows["remigrants"],
        "forced_returns": flows["forced_returns"],
        "returns_experienced": flows["returns_experienced"],
        "status_lost": flows["status_lost"],
        "mgmt_promotion_rate_us": rate,
        "mgmt_promotion_rate_reference": float(reference_hazards(model.p)[MANAGER - 1]),
        "mean_salary_us_usd": float(mean_pay[0]),
        "mean_salary_china_usd": float(mean_pay[1]) / model.macro.exchange_rate,
        "mean_salary_china_ppp": float(mean_pay[1]) / model.macro.ppp,
        "agents_active": float(model.ledger.agents),
    }
    for i, s in enumerate(SEGMENTS):
        row[f"in_us_{s}"] = float(in_us_seg[i])
        row[f"returned_{s}"] = float(cn_seg[i])
        row[f"returns_{s}"] = float(model.step_state.returns_by_segment[i])
    for i, s in enumerate(CN_SECTORS):
        row[f"returns_to_{s}"] = float(model.step_state.returns_by_sector[i])
    in_us_deg, cn_deg = np.split(model.ledger.degree, 2)
    for i, d in enumerate(EDUCATION):
        row[f"in_us_{d}"] = float(in_us_deg[i])
        row[f"returned_{d}"] = float(cn_deg[i])
        row[f"returns_{d}"] = float(model.step_state.returns_by_degree[i])
    return row


#: Columns of the cohort table (one row per replicate, year, entry cohort and group).
COHORT_COLUMNS: tuple[str, ...] = (
    "year",
    "cohort",
    "years_after",
    "group",
    "entered",
    "in_us",
    "in_china",
)
#: Groups of the cohort table: everyone, then by degree, then by segment.
COHORT_GROUPS: tuple[str, ...] = ("all", *EDUCATION, *SEGMENTS)


def cohort_rows(model: Model) -> dict[str, np.ndarray]:
    """Where each entry cohort is at the end of the year, by degree and by segment.

    A cohort is the graduates who entered the pool in one calendar year (burn-in included);
    the starting pool is no cohort. `entered` counts everyone who entered, `in_us` and
    `in_china` those still in the pool, in each country; the rest have left the pool.

    Returns:
        The rows as columns (COHORT_COLUMNS): groups in COHORT_GROUPS order, cohorts in
        order within a group, only cohorts with an entrant in the group.
    """
    people = model.people
    entry_year = people.view("entry_year")
    entrants = entry_year > 0
    # With a spun-up pool every slot is an entrant: read the fields in place, not gathered.
    slots = slice(None) if entrants.all() else np.flatnonzero(entrants)
    cohort = entry_year[slots]
    if not len(cohort):
        return {c: np.empty(0) for c in COHORT_COLUMNS}
    first = int(cohort.min())
    index = cohort.astype(np.intp)
    index -= first
    size = int(cohort.max()) - first + 1
    weight = people.view("weight")[slots]
    active = people.view("active")[slots]
    # Counts over the finest cells (degree, segment, cohort; then status too), summed into
    # the groups. A cohort's entrants are counted without their status, so that its size
    # is the same sum of the same cells every year.
    degrees, segments = len(EDUCATION), len(SEGMENTS)
    fine = people.view("education")[slots] * segments + people.view("segment")[slots]
    fine *= size
    fine += index
    entered = np.bincount(fine, weights=weight, minlength=degrees * segments * size)
    # 0: left the pool, 1: in the US, 2: in China
    cell = np.where(people.view("country")[slots] == Country.US.value, 1, 2)
    cell *= active
    cell += 3 * fine
    by_status = np.bincount(cell, weights=weight, minlength=degrees * segments * size * 3)
    counts = []
    for cells in (entered, *by_status.reshape(-1, 3)[:, 1:].T):
        cells = cells.reshape(degrees, segments, size)
        groups = [cells.sum(axis=(0, 1))[None], cells.sum(axis=1), cells.sum(axis=0)]
        counts.append(np.concatenate(groups))  # (group, cohort)
    counts = np.stack(counts)  # (entered/in the US/in China, group, cohort)
    group, offset = np.nonzero(counts[0] > 0)
    years = first + offset
    return {
        "year": np.full(len(group), model.year),
        "cohort": years,
        "years_after": model.year - years,
        "group": np.asarray(COHORT_GROUPS, dtype=object)[group],
        "entered": counts[0, group, offset],
        "in_us": counts[1, group, offset],
        "in_china": counts[2, group, offset],
    }
