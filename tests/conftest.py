"""Shared fixtures: small, fast scenarios and runs reused across tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from talentsim.runs.runner import RunResult, run_scenario
from talentsim.scenario.loader import load_scenario
from talentsim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"

#: A small run: 2,000 agents (for the baseline's 500,000 people), 2 replicates, 2010-2020
#: (the pool spun up over the baseline's 30 years of burn-in).
SMALL = [
    "population.agents=2000",
    "replicates=2",
    "time.end=2020",
]


def small_scenario(path: str | Path | None = None, extra: list[str] | None = None) -> Scenario:
    """A scenario file shrunk to the SMALL settings (plus `extra` overrides)."""
    return load_scenario(path, [*SMALL, *(extra or [])]).scenario


@pytest.fixture(scope="session")
def small_baseline() -> Scenario:
    return small_scenario()


@pytest.fixture(scope="session")
def small_run(small_baseline: Scenario) -> RunResult:
    return run_scenario(small_baseline)


@pytest.fixture
def faults():
    """Fault injection in this process's sweeps (tests/faults.py); the module, for its names."""
    import faults as module

    module.install()
    return module


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under ``-m "core or core_only"`` collect only the modules marked so.

    That run (Python 3.13 in `make test`) has talentsim's core alone, and the other modules
    import extras at their top, so they cannot even be collected there.
    """
    selected = config.option.markexpr or ""
    if "core" not in selected.replace("not core_only", ""):
        return None
    if collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        return "pytest.mark.core" not in collection_path.read_text()
    return None
