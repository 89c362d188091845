"""Production agent-steps per second over the per-agent oracle's, side by side.

Usage: python benchmarks/bench_oracle.py [SIZE] [END_YEAR]
Both run the baseline at SIZE starting agents (default 10,000) from the burn-in to the end
of END_YEAR (default 2018, the first year the baseline timeline acts); prints a JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from oracle import OracleModel
from talentsim.model.model import TalentModel
from talentsim.scenario.loader import load_scenario


def rate(model_class: type[TalentModel], scenario, repeats: int) -> tuple[float, int]:
    """Best agent-steps per second over `repeats` runs, and the agent-steps of one run."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        model = model_class(scenario)
        model.run()
        seconds = time.perf_counter() - start
        best = max(best, model.agent_steps / seconds)
    return best, model.agent_steps


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    end = int(sys.argv[2]) if len(sys.argv) > 2 else 2018
    scenario = load_scenario(
        None,
        [
            f"population.agents={size}",
            f"population.people={25 * size}",
            "replicates=1",
            f"time.end={end}",
        ],
    ).scenario
    fast, steps_fast = rate(TalentModel, scenario, repeats=3)
    slow, steps_slow = rate(OracleModel, scenario, repeats=1)
    print(
        json.dumps(
            {
                "size": size,
                "end": end,
                "agent_steps": steps_fast,
                "oracle_agent_steps": steps_slow,
                "agent_steps_per_second": fast,
                "oracle_agent_steps_per_second": slow,
                "oracle_speedup": fast / slow,
            }
        )
    )


if __name__ == "__main__":
    main()
