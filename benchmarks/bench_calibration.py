"""Calibration benchmark: simulations per second of the baseline calibration on 2 workers.

Usage:
    python benchmarks/bench_calibration.py [GENERATIONS]

Runs the first GENERATIONS (default 2) generations of
experiments/calibration/baseline_calibration.yaml with its own settings (particles,
population per simulation, priors) on 2 local worker processes, through the real
`talentsim calibrate` (pyabc, SQLite history), and prints a JSON line with the ABC time, the
simulations it ran and their rate, as recorded in the calibration's manifest.json. The
wall time of a whole calibration is the `abc_seconds` of a full run's manifest (see
results/calibration/manifest.json); run_all.py reports it next to this figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "experiments" / "calibration" / "baseline_calibration.yaml"


def main() -> None:
    generations = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with tempfile.TemporaryDirectory() as tmp:
        data = yaml.safe_load(CONFIG.read_text())
        data["extends"] = str((CONFIG.parent / data["extends"]).resolve())
        data["calibration"]["abc"]["generations"] = generations
        scenario = Path(tmp) / "bench_calibration.yaml"
        scenario.write_text(yaml.safe_dump(data, sort_keys=False))
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "talentsim", "calibrate", str(scenario)]
        command += ["--out", str(out), "--workers", "2", "--quiet"]
        subprocess.run(command, check=True, capture_output=True, cwd=tmp)
        manifest = json.loads((out / "manifest.json").read_text())
    print(
        json.dumps(
            {
                "generations": generations,
                "particles": data["calibration"]["abc"]["population_size"],
                "agents_per_simulation": data["calibration"]["population"],
                "abc_seconds": manifest["abc_seconds"],
                "simulations": manifest["simulations"],
                "calibration_sims_per_second": manifest["simulations_per_second"],
            }
        )
    )


if __name__ == "__main__":
    main()
