"""Every command of the README works as written in a fresh clone (issue 18, item 5).

The README's command block is run line by line, in order, in a copy of the repository's
files (what a clone holds: tracked and new, not ignored), with options that make the heavy
ones small appended (a later option wins in click, so the command's own stay as written).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SECTION = "## What it does, in commands"
POOL = ["--set", "population.agents=800", "--set", "population.initial=drawn"]
POOL += ["--set", "time.burn_in_years=2"]
SMALL = {
    "run": [*POOL, "--replicates", "2"],
    "effects": [*POOL, "--draws", "2", "--replicates", "2", "--workers", "2"],
    "calibrate": [
        *["--set", "calibration.population=500", "--set", "calibration.abc.population_size=10"],
        *["--set", "calibration.abc.generations=1", "--set", "population.initial=drawn"],
        *["--set", "time.burn_in_years=2", "--workers", "2"],
    ],
    "sweep": ["--set", "sweep.replicates=2", "--workers", "2"],
}


def readme_commands() -> list[list[str]]:
    text = (REPO / "README.md").read_text()
    block = text.split(SECTION, 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line]


def clone(to: Path) -> Path:
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source, target = REPO / name, to / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # scenarios/ links to the packaged library
            target.symlink_to(source.readlink())
        elif source.is_file():
            shutil.copy2(source, target)
    return to


def test_the_readme_lists_the_workflows() -> None:
    commands = readme_commands()
    assert all(c[0] == "talentsim" for c in commands)
    used = {c[1] for c in commands}
    assert {"run", "compare", "report", "score", "sweep", "discover", "effects"} <= used
    assert "calibrate" in used


def test_every_readme_command_runs_in_a_fresh_clone(tmp_path: Path) -> None:
    here = clone(tmp_path / "clone")
    assert not (here / "results" / "runs").exists()  # nothing of this checkout's own runs
    for command in readme_commands():
        started = time.perf_counter()
        args = [*command[1:], *SMALL.get(command[1], [])]
        done = subprocess.run(
            [sys.executable, "-m", "talentsim", *args],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr
        print(f"{time.perf_counter() - started:5.1f} s  {shlex.join(command)}")
    assert (here / "results/calibrations/baseline/report/report.html").is_file()
    assert (here / "results/sweeps/smoke/report/report.html").is_file()
    assert (here / "results/effects/h1b/effects.csv").is_file()
