"""The figures the regression test pins: a small fixed-seed baseline run."""

from __future__ import annotations

from talentsim.model.stages.survey import LEVEL, SECTOR
from talentsim.runs.runner import run_scenario
from talentsim.scenario.loader import load_scenario

OVERRIDES = [
    "population.agents=3000",
    "population.people=75000",
    "replicates=2",
    "seed=424242",
    "time.end=2020",
]


def _exact(value: float) -> float:
    """A plain float: JSON writes its shortest round-trip form, so comparisons are exact."""
    return float(value)


def regression_summary() -> dict:
    """Annual flows and stocks, and the 2015 and 2017 survey shares, per replicate."""
    result = run_scenario(load_scenario(None, OVERRIDES).scenario)
    annual = result.annual
    survey = result.survey
    out: dict = {"overrides": OVERRIDES, "replicates": {}}
    for rep, block in annual.groupby("replicate"):
        figures = {
            column: [_exact(v) for v in block[column]]
            for column in ("returns", "in_us", "returned", "entrants", "remigrants")
        }
        rows = survey[
            (survey["replicate"] == rep)
            & survey["year"].isin([2015, 2017])
            & survey["measure"].isin([SECTOR, LEVEL])
        ]
        figures["survey"] = {
            f"{r.year}|{r.measure}|{r.category}": _exact(r.share) for r in rows.itertuples()
        }
        out["replicates"][str(rep)] = figures
    return out
