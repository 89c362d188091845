"""A command whose extra is missing says which one to install (issue 18, item 4).

Runs in an environment with the core alone (`make test` builds one under Python 3.13 and runs
`pytest -m "core or core_only"` there); the full environment deselects it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from talentsim.extras import installed

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.core_only
SMALL = [
    "--set",
    "population.agents=300",
    "--set",
    "time.end=2011",
    "--set",
    "time.burn_in_years=2",
]


def talentsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "talentsim", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_this_environment_has_the_core_alone() -> None:
    assert not any(installed(extra) for extra in ("reports", "cluster", "calibrate", "npe"))
    assert not any(installed(extra) for extra in ("sensitivity", "discovery", "viz"))


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("core")
    run = talentsim("run", *SMALL, "--replicates", "1", "--out", "run", cwd=root)
    assert run.returncode == 0, run.stderr
    sweep = talentsim(
        "sweep", str(REPO / "experiments" / "smoke_sweep.yaml"), *SMALL, "--workers", "1",
        "--out", "sweep", cwd=root,
    )  # fmt: skip
    assert sweep.returncode == 0, sweep.stderr
    return {"root": root, "run": root / "run", "sweep": root / "sweep"}


CASES = {
    "report": (["report", "{run}"], "reports"),
    "compare": (["compare", "{run}", "{run}"], "reports"),
    "calibrate": (["calibrate", str(REPO / "experiments/calibration/baseline_calibration.yaml")],
                  "calibrate"),
    "sensitivity": (["sensitivity", str(REPO / "experiments/smoke_sweep.yaml")], "sensitivity"),
    "discover": (["discover", "{sweep}", "--where", "returns_2011 > 0"], "discovery"),
    "effects": (["effects", "baseline", "h1b_tightening"], "reports"),
    "dask": (["sweep", str(REPO / "experiments/smoke_sweep.yaml"), "--dask-local", "2"], "cluster"),
    "viz": (["viz"], "viz"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_missing_extra_is_named_with_exit_2(case: str, folders: dict[str, Path]) -> None:
    args, extra = CASES[case]
    before = sorted(p.name for p in folders["root"].iterdir())
    args = [a.format(run=folders["run"], sweep=folders["sweep"]) for a in args]
    done = talentsim(*args, cwd=folders["root"])
    assert done.returncode == 2, done.stderr
    assert f"talentsim[{extra}]" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 4
    assert sorted(p.name for p in folders["root"].iterdir()) == before  # nothing written


def test_score_writes_its_tables_without_the_figure(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    done = talentsim("score", str(folders["run"]), "--out", str(tmp_path / "s"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "manifest.json",
        "score.csv",
        "score.md",
    ]
    assert "talentsim[reports]" in (tmp_path / "s" / "score.md").read_text()
