"""The start of a run: a drawn pool leaves an artefact in the first recorded years, a spun-up
pool does not (issue 14, item 6; docs/ODD.md, Section 5.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from talentsim.api import load
from talentsim.runs.replicate import simulate
from talentsim.runs.runner import annualise

pytestmark = pytest.mark.core  # also run under Python 3.13 with the core alone


def returns(overrides: dict[str, object], replicates: int = 4) -> pd.Series:
    """Mean returns by year, 2010-2013, over replicates of a small baseline."""
    base = {"population.agents": 4000, "time.end": 2013, **overrides}
    scenario = load(None, base).scenario
    tables = [annualise(simulate(scenario, r).timeseries) for r in range(replicates)]
    return pd.concat(tables).groupby("year")["returns"].mean()


def test_a_drawn_pool_spikes_six_years_after_it_is_drawn() -> None:
    drawn = returns({"population.initial": "drawn", "time.burn_in_years": 5})
    # drawn in 2005: the H-1B limit (6 years) of its oversized recent cohorts falls in 2011
    assert drawn[2011] > 1.2 * np.mean([drawn[2010], drawn[2012]])


def test_a_spun_up_pool_has_no_start_artefact() -> None:
    spun = returns({"population.initial": "spin_up", "time.burn_in_years": 30})
    assert abs(spun[2011] / np.mean([spun[2010], spun[2012]]) - 1) < 0.1
    longer = returns({"population.initial": "spin_up", "time.burn_in_years": 45})
    assert np.allclose(
        spun.to_numpy(), longer.to_numpy(), rtol=0.08
    )  # the burn-in no longer matters
    people = load(None, {"population.initial": "spin_up"}).scenario.population.people
    scenario = load(
        None,
        {
            "population.initial": "spin_up",
            "time.burn_in_years": 30,
            "population.agents": 2000,
            "time.end": 2010,
        },
    ).scenario
    assert simulate(scenario, 0).initial_in_us == pytest.approx(people)
