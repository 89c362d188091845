"""Time one baseline run in this process and print a JSON line (used by run_all.py).

Usage: python benchmarks/bench_run.py SIZE [REPEATS]
The peak memory figure is this process's maximum resident set size, so run it in a fresh
process for each size (run_all.py does).
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time


def main() -> None:
    size = int(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    from talentsim.model.model import TalentModel
    from talentsim.scenario.loader import load_scenario

    scenario = load_scenario(
        None, [f"population.agents={size}", f"population.people={25 * size}", "replicates=1"]
    ).scenario
    best = None
    for _ in range(repeats):
        model = frame = None
        gc.collect()  # so that two models are never alive at once (peak memory)
        start = time.perf_counter()
        model = TalentModel(scenario)
        model.run()
        frame = model.datacollector.get_model_vars_dataframe()
        seconds = time.perf_counter() - start
        if best is None or seconds < best["seconds"]:
            steps = model.tick
            best = {
                "size": size,
                "seconds": seconds,
                "steps": steps,
                "agent_steps_active": model.agent_steps,
                "ns_per_agent_step_initial": seconds / (size * steps) * 1e9,
                "ns_per_agent_step_active": seconds / model.agent_steps * 1e9,
                "slots_at_end": int(model.people.n),
                "rows": len(frame),
                "stage_seconds": {k: round(v, 4) for k, v in model.stage_times.items()},
            }
    best["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(best))


if __name__ == "__main__":
    main()
