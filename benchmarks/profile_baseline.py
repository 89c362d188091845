"""Profile one baseline run with pyinstrument and print where the time goes.

Usage: python benchmarks/profile_baseline.py [SIZE]   (default 100,000 starting agents)
"""

from __future__ import annotations

import sys

from pyinstrument import Profiler

from talentsim.model.model import TalentModel
from talentsim.scenario.loader import load_scenario


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    scenario = load_scenario(
        None, [f"population.agents={size}", f"population.people={25 * size}", "replicates=1"]
    ).scenario
    profiler = Profiler(interval=0.002)
    profiler.start()
    model = TalentModel(scenario)
    model.run()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    total = sum(model.stage_times.values())
    for name, seconds in sorted(model.stage_times.items(), key=lambda kv: -kv[1]):
        print(f"{name:12s} {seconds:7.3f} s  {seconds / total:6.1%}")


if __name__ == "__main__":
    main()
