"""Run the benchmarks and write benchmarks/results/latest.json and scaling.png.

Usage: python benchmarks/run_all.py [--quick]

Every figure is measured here, in this one run, each model run in a fresh Python process
(so that its peak memory is its own). Nothing here asserts a goal: these machines are
shared and noisy, so the figures are printed and saved side by side with the goals.

- oracle_speedup: agent-steps per second of the model over the per-agent oracle's
  (tests/oracle.py), the baseline at 10,000 starting agents, whole run, side by side;
- ns_per_agent_step_100k, peak_rss_mb_100k: the baseline at 100,000 starting agents,
  2010-2030 quarterly after the burn-in, whole run including set-up and data collection;
- seconds_1m, peak_rss_mb_1m: the same at 1,000,000;
- scaling: time and cost per agent-step from 10,000 to 1,000,000 starting agents;
- sweep_speedup_2_workers: a 40-run sweep on 2 local worker processes against 1;
- sweep_overhead_ms_per_run: worker time per run not spent in the model, on a warm pool of
  2 local processes and a local Dask cluster of 2;
- sweep_peak_rss_ratio: peak memory of a 2,000-run sweep over that of a 200-run sweep;
- calibration_sims_per_second: the baseline calibration's simulations (its particles and
  population) per second on 2 local workers, over its first two generations; and the wall
  time of the whole calibration, from the manifest of the curated run in results/calibration/;
- startup: the median wall time of `talentsim --help`, `--version`, `validate` and `schema`
  beside a bare `python -c pass` (bench_startup.py).

An agent-step is one active worker in one step (the pool grows about 4.7-fold by 2030 as
graduates enter, so the run has about 2.2 active agent-steps per starting agent-step); the
"per starting agent" figure divides by starting agents x steps instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)
GOALS = {
    "oracle_speedup": ">= 100",
    "ns_per_agent_step_100k": "<= 200",
    "seconds_100k": "< 2 (first issue's aim; about 1.6 s at 200 ns per starting agent-step)",
    "peak_rss_mb_100k": "<= 600",
    "seconds_1m": "< 30",
    "peak_rss_mb_1m": "< 4096",
    "scaling_ratio": "<= 2 (max / min ns per agent-step)",
    "sweep_speedup_2_workers": ">= 1.8",
    "sweep_overhead_ms_per_run": "< 50",
    "sweep_peak_rss_ratio": "<= 1.2",
    "calibration_wall_minutes": "< 30",
    "npe_calibration_wall_minutes": "< 10, with at most 5,000 simulations (issue 15)",
    "viz_steps_per_second": ">= 2 (default population, 2,000 agents)",
    "startup_worst_s": "< 0.3 (--help, --version, validate, schema)",
}
CURATED_CALIBRATION = HERE.parent / "results" / "calibration" / "manifest.json"
CURATED_NPE = HERE.parent / "results" / "calibration_npe" / "manifest.json"


def run_json(*args: str) -> dict:
    """Run a benchmark script in a fresh process; return its last JSON line."""
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def plot_scaling(rows: list[dict], path: Path) -> None:
    """Time per run and cost per agent-step against the population."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["size"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    left.loglog(sizes, [r["seconds"] for r in rows], "o-")
    left.set_xlabel("starting agents")
    left.set_ylabel("seconds per run (2005-2030, quarterly)")
    left.set_title("Baseline run time")
    left.grid(True, which="both", alpha=0.3)
    right.semilogx(
        sizes, [r["ns_per_agent_step_active"] for r in rows], "o-", label="per active agent-step"
    )
    right.semilogx(
        sizes,
        [r["ns_per_agent_step_initial"] for r in rows],
        "s--",
        label="per starting agent per step",
    )
    right.axhline(200, color="grey", linestyle=":", label="goal: 200 ns")
    right.set_ylim(bottom=0)
    right.set_xlabel("starting agents")
    right.set_ylabel("nanoseconds")
    right.set_title("Cost per agent-step")
    right.legend()
    right.grid(True, which="both", alpha=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sweep_figures() -> dict:
    """Sweep speed-up, machinery overhead and memory (benchmarks/bench_sweep.py)."""
    print("sweeps: 40 runs on 1 and 2 workers and on a local Dask cluster ...", flush=True)
    speed = run_json(str(HERE / "bench_sweep.py"), "speed")
    overhead = speed["sweep_overhead_ms_per_run"]
    print(
        f"  speed-up on 2 workers {speed['sweep_speedup_2_workers']:.2f}; overhead per run "
        f"{overhead['pool_2']:.0f} ms (pool), {overhead['dask_local_2']:.0f} ms (Dask), "
        f"{overhead['in_process']:.0f} ms (in process)",
        flush=True,
    )
    print("sweeps: peak memory of 200 and 2,000 tiny runs ...", flush=True)
    small = run_json(str(HERE / "bench_sweep.py"), "memory", "200")
    large = run_json(str(HERE / "bench_sweep.py"), "memory", "2000")
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    print(f"  {small['peak_rss_mb']:.0f} MB and {large['peak_rss_mb']:.0f} MB: ratio {ratio:.2f}")
    return {
        "sweep_speedup_2_workers": round(speed["sweep_speedup_2_workers"], 2),
        "sweep_overhead_ms_per_run": {k: round(v, 1) for k, v in overhead.items()},
        "sweep_peak_rss_ratio": round(ratio, 3),
        "sweep_details": {"speed": speed, "memory_200": small, "memory_2000": large},
    }


def calibration_figures() -> dict:
    """Simulations per second (measured now) and the curated full calibration's wall time."""
    print("calibration: the first two generations of the baseline calibration ...", flush=True)
    bench = run_json(str(HERE / "bench_calibration.py"), "2")
    print(f"  {bench['calibration_sims_per_second']:.1f} simulations per second on 2 workers")
    figures = {
        "calibration_sims_per_second": bench["calibration_sims_per_second"],
        "calibration_details": bench,
    }
    if CURATED_CALIBRATION.exists():
        full = json.loads(CURATED_CALIBRATION.read_text())
        # the whole ABC history's time: a resumed calibration's invocation time is partial
        figures["calibration_wall_minutes"] = round(full["history_seconds"] / 60, 1)
        figures["calibration_full_run"] = {
            k: full[k]
            for k in (
                "started_utc",
                "history_seconds",
                "simulations_total",
                "workers",
                "git_commit",
            )
        }
        print(f"  full calibration: {full['history_seconds'] / 60:.1f} min")
    if CURATED_NPE.exists():  # the same calibration by neural posterior estimation
        npe = json.loads(CURATED_NPE.read_text())
        figures["npe_calibration_wall_minutes"] = round(npe["npe_seconds"] / 60, 1)
        figures["npe_calibration_full_run"] = {
            "simulations": sum(r["run"] + r["stored_before"] for r in npe["rounds"])
            + (npe.get("refine") or {}).get("simulations", 0),
            "coverage": npe["coverage"],
            "started_utc": npe["started_utc"],
            "git_commit": npe["git_commit"],
        }
        print(f"  NPE calibration: {npe['npe_seconds'] / 60:.1f} min")
    return figures


def viz_figures() -> dict:
    """Steps per second of the browser view at its default population (page and Play)."""
    print("viz: steps of the browser view ...", flush=True)
    figures = run_json(str(HERE / "bench_viz.py"), "3", "--browser")
    print(f"  {figures['viz_steps_per_second']} steps per second")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="sizes up to 100,000 only")
    parser.add_argument("--skip-sweeps", action="store_true", help="no sweep benchmarks")
    parser.add_argument("--skip-calibration", action="store_true", help="no calibration benchmark")
    parser.add_argument("--skip-viz", action="store_true", help="no browser-view benchmark")
    args = parser.parse_args()
    sizes = [s for s in SIZES if not args.quick or s <= 100_000]
    from talentsim import __version__

    print("oracle (baseline, 10,000 agents, whole run) ...", flush=True)
    oracle = run_json(str(HERE / "bench_oracle.py"), "10000", "2030")
    print(
        f"  model {oracle['agent_steps_per_second'] / 1e6:.2f} M agent-steps/s, oracle "
        f"{oracle['oracle_agent_steps_per_second'] / 1e3:.1f} k agent-steps/s: "
        f"speedup {oracle['oracle_speedup']:.0f}"
    )
    rows = []
    for size in sizes:
        figures = run_json(str(HERE / "bench_run.py"), str(size), "3" if size <= 100_000 else "1")
        rows.append(figures)
        print(
            f"baseline {size:>9,} agents: {figures['seconds']:6.2f} s, "
            f"{figures['agent_steps_active'] / figures['seconds'] / 1e6:5.1f} M agent-steps/s, "
            f"{figures['ns_per_agent_step_active']:5.0f} ns per active agent-step "
            f"({figures['ns_per_agent_step_initial']:4.0f} per starting agent), "
            f"peak {figures['peak_rss_mb']:6.0f} MB",
            flush=True,
        )
    by_size = {r["size"]: r for r in rows}
    per_step = [r["ns_per_agent_step_active"] for r in rows]
    latest = {
        "measured_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "talentsim": __version__,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "goals": GOALS,
        "oracle_speedup": round(oracle["oracle_speedup"], 1),
        "oracle": oracle,
        "ns_per_agent_step_100k": round(by_size[100_000]["ns_per_agent_step_active"], 1),
        "ns_per_starting_agent_step_100k": round(by_size[100_000]["ns_per_agent_step_initial"], 1),
        "seconds_100k": round(by_size[100_000]["seconds"], 3),
        "agent_steps_per_second_100k": round(
            by_size[100_000]["agent_steps_active"] / by_size[100_000]["seconds"]
        ),
        "peak_rss_mb_100k": round(by_size[100_000]["peak_rss_mb"], 1),
        "scaling": [
            {
                k: r[k]
                for k in (
                    "size",
                    "seconds",
                    "ns_per_agent_step_active",
                    "ns_per_agent_step_initial",
                    "peak_rss_mb",
                    "slots_at_end",
                )
            }
            for r in rows
        ],
        "scaling_ratio": round(max(per_step) / min(per_step), 2),
    }
    if 1_000_000 in by_size:
        latest["seconds_1m"] = round(by_size[1_000_000]["seconds"], 2)
        latest["peak_rss_mb_1m"] = round(by_size[1_000_000]["peak_rss_mb"], 1)
    if not args.skip_sweeps:
        latest.update(sweep_figures())
    if not args.skip_calibration:
        latest.update(calibration_figures())
    if not args.skip_viz:
        latest.update(viz_figures())
    startup = run_json(str(HERE / "bench_startup.py"), "15")
    latest.update(startup)
    print(f"start-up: slowest command {startup['startup_worst_s']} s (median of 15)")
    RESULTS.mkdir(exist_ok=True)
    plot_scaling(rows, RESULTS / "scaling.png")
    tmp = RESULTS / "latest.json.tmp"
    tmp.write_text(json.dumps(latest, indent=2) + "\n")
    tmp.replace(RESULTS / "latest.json")
    print(f"scaling: cost per active agent-step varies by a factor of {latest['scaling_ratio']}")
    print(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'scaling.png'}")


if __name__ == "__main__":
    main()
