"""Each decision factor moves returns the way it should, tested over paired seeds.

Every variant changes one lever from 2013 on; the baseline and the variant share seeds
(common random numbers), so the paired difference in returns over 2013-2020 isolates the
lever's effect. A one-sided Wilcoxon signed-rank test over 8 replicates must reject "no
effect" at the 1 % level (the smallest attainable p-value is 1/256).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from conftest import small_scenario
from talentsim.runs.runner import RunResult, run_scenario

REPLICATES = 8
BASE = ["population.agents=2500", f"replicates={REPLICATES}", "seed=99"]

# lever, operation, expected direction of returns
LEVERS = {
    "chinese pay up": ("china.sectors.technology.wage", "scale: 2.0", +1),
    "bamboo ceiling removed": ("careers.bamboo_penalty_management", "set: 0.0", -1),
    "tension up": ("macro.tension", "set: 0.9", +1),
    "h1b approvals down": ("visas.h1b_approval_rate", "set: 0.5", +1),
    "family matters more": ("decisions.weights.family", "scale: 2.0", +1),
    "moving costs more": ("decisions.moving_cost_return", "scale: 1.5", -1),
    "talent programme up": ("macro.talent_programme", "set: 2.0", +1),
    "visa risk matters more": ("decisions.weights.visa_risk", "scale: 2.0", +1),
    "belonging to the US grows faster": ("belonging.us_gain_rate", "scale: 3.0", -1),
    "chinese tech pay grows faster": ("china.sectors.technology.pay_growth", "set: 0.3", +1),
    "us pay grows faster": ("us.pay_growth", "set: 0.12", -1),
    "chinese tech hiring grows faster": ("china.sectors.technology.demand_growth", "set: 0.5", +1),
    "opportunity matters more": ("decisions.weights.opportunity", "scale: 3.0", +1),
    "peers reach further": ("offers.peer_reach", "scale: 3.0", +1),
}


def _returns_after(result: RunResult, year: int) -> np.ndarray:
    annual = result.annual[result.annual["year"] >= year]
    return annual.groupby("replicate")["returns"].sum().to_numpy()


@pytest.fixture(scope="module")
def baseline_returns() -> np.ndarray:
    return _returns_after(run_scenario(small_scenario(None, BASE)), 2013)


@pytest.mark.parametrize("lever", sorted(LEVERS))
def test_lever_moves_returns(lever: str, baseline_returns: np.ndarray) -> None:
    param, operation, direction = LEVERS[lever]
    scenario = small_scenario(None, BASE)
    variant = small_scenario(
        None, [*BASE, f"timeline=[{{param: {param}, from: 2013, {operation}}}]"]
    )
    variant.timeline = [*scenario.timeline, *variant.timeline]
    diff = (_returns_after(run_scenario(variant), 2013) - baseline_returns) * direction
    test = stats.wilcoxon(diff, alternative="greater", zero_method="zsplit")
    assert test.pvalue < 0.01, (lever, diff)


def test_chinese_tech_demand_raises_technology_share() -> None:
    base = run_scenario(small_scenario(None, BASE))
    variant_scenario = small_scenario(
        None,
        [*BASE, "timeline=[{param: china.sectors.technology.demand_growth, from: 2013, set: 0.5}]"],
    )
    variant_scenario.timeline = [*base.scenario.timeline, *variant_scenario.timeline]
    variant = run_scenario(variant_scenario)

    def tech_share(result: RunResult) -> np.ndarray:
        annual = result.annual[result.annual["year"] >= 2016]
        grouped = annual.groupby("replicate")[["returns_to_technology", "returns"]].sum()
        return (grouped["returns_to_technology"] / grouped["returns"]).to_numpy()

    diff = tech_share(variant) - tech_share(base)
    assert stats.wilcoxon(diff, alternative="greater").pvalue < 0.01, diff
