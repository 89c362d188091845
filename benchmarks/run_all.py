"""Run the benchmarks and write benchmarks/results/latest.json.

Usage: python benchmarks/run_all.py [--sizes 100000 ...] [--repeats N]

Each measurement runs in a fresh Python process (benchmarks/bench_run.py), so that its
peak memory is its own. Figures are printed and saved; nothing here asserts a goal: these
machines are shared and noisy, so compare figures measured side by side in one run.
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


def measure(size: int, repeats: int) -> dict:
    """Time the baseline at `size` agents in a fresh process (best of `repeats`)."""
    proc = subprocess.run(
        [sys.executable, str(HERE / "bench_run.py"), str(size), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from talentsim import __version__

    results = {}
    for size in args.sizes:
        figures = measure(size, args.repeats)
        results[str(size)] = figures
        print(
            f"baseline, {size:>9,} agents, {figures['steps']} steps (burn-in included): "
            f"{figures['seconds']:.2f} s, "
            f"{figures['agent_steps_active'] / figures['seconds'] / 1e6:.1f} M agent-steps/s, "
            f"{figures['ns_per_agent_step_active']:.0f} ns per active agent-step "
            f"({figures['ns_per_agent_step_initial']:.0f} ns per starting agent per step), "
            f"peak memory {figures['peak_rss_mb']:.0f} MB"
        )
    latest = {
        "measured_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "talentsim": __version__,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "runs": results,
    }
    if "100000" in results:
        r = results["100000"]
        latest["seconds_100k"] = round(r["seconds"], 3)
        latest["agent_steps_per_second_100k"] = round(r["agent_steps_active"] / r["seconds"])
        latest["ns_per_agent_step_100k"] = round(r["ns_per_agent_step_active"], 1)
        latest["peak_rss_mb_100k"] = round(r["peak_rss_mb"], 1)
    out = HERE / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(latest, indent=2) + "\n")
    tmp.replace(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
