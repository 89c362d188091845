"""Start-up of the command line: each command's wall time beside a bare `python -c pass`.

Usage: python benchmarks/bench_startup.py [REPEATS]

Every command runs REPEATS times (default 15) in a fresh process, interleaved with the bare
interpreter so that a busy moment hits both; the figure is the median, with the ratio to
the bare interpreter's. The goal (issue 13): `--help`, `--version`, `validate` and
`schema` under 0.3 s. Prints a table, then one JSON line.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("talentsim"))
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "talentsim --help": [CLI, "--help"],
    "talentsim --version": [CLI, "--version"],
    "talentsim validate baseline.yaml": [
        CLI,
        "validate",
        str(REPO / "scenarios" / "baseline.yaml"),
    ],
    "talentsim schema": [CLI, "schema"],
}


def _seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeats):
        for name, command in COMMANDS.items():
            times[name].append(_seconds(command))
    bare = statistics.median(times["python -c pass"])
    figures = {}
    for name, values in times.items():
        median = statistics.median(values)
        figures[name] = {"median_s": round(median, 3), "ratio_to_bare": round(median / bare, 1)}
        print(f"{name:36s} {median:6.3f} s  {median / bare:5.1f} x bare python")
    worst = max(v["median_s"] for k, v in figures.items() if k != "python -c pass")
    print(json.dumps({"startup": figures, "startup_worst_s": worst}))


if __name__ == "__main__":
    main()
