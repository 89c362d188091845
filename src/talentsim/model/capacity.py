"""How much memory a run needs, estimated before anything is allocated.

A run keeps one slot of worker state per agent who is ever in the pool: the starting
agents and the graduates who enter over the burn-in and the run (slots are never reused).
Measured on the baseline (20,000 to 400,000 starting agents, peak resident memory of the
process less its size before the model), a slot costs 252-297 bytes: the state arrays
(:data:`talentsim.model.people.FIELDS`, 207 bytes) plus the stages' temporaries. A scenario that
would need more memory than the machine has available is refused with a message, instead
of growing until the machine swaps or the process is killed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from talentsim.errors import TalentsimError

#: Bytes per agent slot (measured: 252-297; rounded up).
BYTES_PER_SLOT = 300
#: The interpreter, numpy, pandas and Mesa, before a model exists.
BASE_BYTES = 200 * 2**20
#: Share of the available memory a command may plan to use.
USABLE_SHARE = 0.8


class CapacityError(TalentsimError):
    """A run or design that would need more memory than this machine has."""


def scenario_slots(scenario: object) -> int:
    """Slots a run fills: the starting agents plus the graduates of the base entry schedule.

    The inflow at time t (years since `time.start`) is rate * agents * exp(growth * t) per
    year, from the burn-in's start to the end of `time.end`; 5 % is added for chance.
    """
    t = scenario.time
    dt = 1.0 / t.steps_per_year
    agents = scenario.population.agents
    starting = agents if scenario.population.initial == "drawn" else 0
    years = np.arange(-t.burn_in_years, t.end - t.start + 1, dt)
    inflow = scenario.entry.rate * agents * np.exp(scenario.entry.growth * years) * dt
    return int((starting + inflow.sum()) * 1.05) + 16


def peak_slots(scenario: object) -> int:
    """Slots a run fills with its timeline applied (a timeline may raise the entry rate).

    The year's graduates enter in the step of `entry.month`, rate * agents * exp(growth *
    t) of them with the rate and growth in force then, as :mod:`.stages.demography` does.
    """
    from talentsim.scenario.timeline import Timeline

    t = scenario.time
    steps = t.steps_per_year
    entry_step = ((scenario.entry.month - 1) * steps // 12) / steps
    timeline = Timeline(scenario)
    agents = scenario.population.agents
    starting = agents if scenario.population.initial == "drawn" else 0
    total = 0.0
    for year in range(t.start - t.burn_in_years, t.end + 1):
        when = year + entry_step
        p = timeline.params_at(max(when, t.start))
        total += p.entry.rate * agents * np.exp(p.entry.growth * (when - t.start))
    return int((starting + total) * 1.05) + 16


def estimated_bytes(scenario: object) -> int:
    """Peak memory of one run of `scenario`, in bytes.

    If the timeline brings more graduates than the arrays are first sized for, they grow
    by half again at a time, and old and new arrays coexist while one is copied.
    """
    peak = peak_slots(scenario)
    growth = 1.7 if peak > scenario_slots(scenario) else 1.0
    return BASE_BYTES + int(BYTES_PER_SLOT * peak * growth)


def available_bytes() -> int | None:
    """Memory this process may use: what the system has available, within a cgroup limit."""
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit != "max":
            found.append(int(limit) - int(used))
    except (OSError, ValueError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError):
            return None
    return min(found)


def _gb(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


def check_memory(scenario: object, at_once: int = 1, what: str = "a run") -> None:
    """Refuse a scenario whose runs would not fit in this machine's memory.

    Args:
        scenario: The resolved scenario.
        at_once: Runs in memory at the same time (worker processes on this machine).
        what: How the message names what is being checked.

    Raises:
        CapacityError: Naming the need, what is available and what to change.
    """
    available = available_bytes()
    if available is None:
        return
    if at_once <= 0:  # the runs go to other machines, whose memory is not known here
        return
    need = estimated_bytes(scenario) * at_once
    if need <= USABLE_SHARE * available:
        return
    slots = peak_slots(scenario)
    workers = f" x {at_once} runs at once" if at_once > 1 else ""
    fewer = " or run fewer at once (--workers)" if at_once > 1 else ""
    raise CapacityError(
        f"{what} with population.agents = {scenario.population.agents:,} would need about "
        f"{_gb(need)} of memory ({slots:,} agent slots: the starting agents and the "
        f"graduates who enter by {scenario.time.end}, about {BYTES_PER_SLOT} bytes each"
        f"{workers}), more than the {_gb(USABLE_SHARE * available)} this machine can give "
        f"({USABLE_SHARE:.0%} of the {_gb(available)} available); lower population.agents "
        "(agents set the precision; population.people, the size of the pool, need not "
        f"change){fewer}"
    )
