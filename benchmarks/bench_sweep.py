"""Sweep benchmarks: speed-up on two workers, machinery overhead per run, flat memory.

Usage:
    python benchmarks/bench_sweep.py speed          # 40 runs: 1 vs 2 workers, and Dask
    python benchmarks/bench_sweep.py memory RUNS    # peak memory of a sweep of RUNS tiny runs

Each prints a JSON line. Each backend of `speed` is measured in a fresh Python process, as
a user's command starts (`speed BACKEND` measures one), so that no backend starts after
another has left threads behind (a pool then starts from a fork server, not by a fork).
The overhead per run is the worker time not spent in the model:
(wall time x workers - sum of the runs' model time) / runs.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from talentsim.runs.executors import DaskCluster, InProcess, LocalPool
from talentsim.runs.sweep import plan_sweep, run_sweep
from talentsim.scenario.loader import load_scenario

SPEED = """
name: bench_speed
extends: talentsim:baseline
population: {agents: 25000, initial: drawn}  # the drawn pool, as measured before the spin-up
entry: {rate: 0.08}
time: {end: 2020, burn_in_years: 2}
sweep:
  design: lhs
  points: 8
  replicates: 5
  parameters:
    visas.h1b_approval_rate: {range: [0.6, 0.95]}
    macro.tension: {range: [0.0, 0.8]}
"""

MEMORY = """
name: bench_memory
extends: talentsim:baseline
population: {agents: 150, initial: drawn}
entry: {rate: 0.08}
time: {start: 2017, end: 2018, burn_in_years: 1}
timeline: []
sweep:
  design: lhs
  points: POINTS
  replicates: 5
  parameters:
    macro.tension: {range: [0.0, 0.8]}
"""


def _sweep(text: str, folder: Path, executor, close: bool = True) -> dict:
    scenario_file = folder / "sweep.yaml"
    scenario_file.write_text(text)
    plan = plan_sweep(load_scenario(scenario_file), folder / "out")
    start = time.perf_counter()
    report = run_sweep(plan, executor)
    wall = time.perf_counter() - start
    if close:
        executor.close()
    assert not report.failed, report.failed[:1]
    return {"runs": report.ok, "wall_seconds": wall, "model_seconds": report.model_seconds}


def _overhead(figures: dict, workers: int) -> float:
    return (figures["wall_seconds"] * workers - figures["model_seconds"]) / figures["runs"] * 1e3


BACKENDS = {
    "in_process": (lambda: InProcess(), 1),
    "pool_2": (lambda: LocalPool(2), 2),
    "dask_local_2": (lambda: DaskCluster(local_workers=2), 2),
}


def speed_one(name: str) -> dict:
    """Cold: a fresh executor, as a user runs a sweep (start-up included). Warm: a second
    sweep on the same executor, which isolates the per-run cost of the machinery."""
    make, workers = BACKENDS[name]
    start = time.perf_counter()
    executor = make()  # start-up counts in the cold figures
    startup = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        cold = _sweep(SPEED, Path(tmp), executor, close=False)
    cold["wall_seconds"] += startup
    cold["startup_seconds"] = startup
    with tempfile.TemporaryDirectory() as tmp:
        warm = _sweep(SPEED.replace("bench_speed", "bench_speed_again"), Path(tmp), executor)
    cold["overhead_ms_per_run"] = _overhead(cold, workers)
    warm["overhead_ms_per_run"] = _overhead(warm, workers)
    return {"cold": cold, "warm": warm}


def speed() -> dict:
    """Every backend, each in its own process, one after another."""
    results = {}
    for name in BACKENDS:
        command = [sys.executable, __file__, "speed", name]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    one, two = results["in_process"], results["pool_2"]
    results["sweep_speedup_2_workers"] = one["cold"]["wall_seconds"] / two["cold"]["wall_seconds"]
    results["sweep_speedup_2_workers_warm"] = (
        one["warm"]["wall_seconds"] / two["warm"]["wall_seconds"]
    )
    results["sweep_overhead_ms_per_run"] = {
        "pool_2": two["warm"]["overhead_ms_per_run"],
        "dask_local_2": results["dask_local_2"]["warm"]["overhead_ms_per_run"],
        "in_process": one["warm"]["overhead_ms_per_run"],
    }
    return results


def memory(runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        figures = _sweep(MEMORY.replace("POINTS", str(runs // 5)), Path(tmp), InProcess())
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


if __name__ == "__main__":
    if sys.argv[1] == "speed":
        print(json.dumps(speed_one(sys.argv[2]) if len(sys.argv) > 2 else speed()))
    else:
        print(json.dumps(memory(int(sys.argv[2]))))
