"""Faults: kills leave no process and no temporary file behind, locks keep two commands out of
one folder, a full disk is a paragraph (and resumable), a damaged run file is run again, and a
calibration killed mid-generation resumes to the uninterrupted result."""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from talentsim.cli import main
from talentsim.storage.atomic import host_tag

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "experiments" / "smoke_sweep.yaml"
CLI = str(Path(sys.executable).with_name("talentsim"))
SHORT = ["--set", "population.agents=300", "--set", "time.end=2012", "--replicates", "1"]

CALIBRATION = """extends: talentsim:baseline
name: tiny_calibration
population: {agents: 60}
time: {burn_in_years: 1}
calibration:
  population: 60
  parameters:
    china.sectors.technology.demand_growth: {distribution: uniform, low: 0.1, high: 0.45}
    decisions.weights.family: {distribution: uniform, low: 1.0, high: 3.5}
  abc: {population_size: 6, generations: 4, min_epsilon: 0.0, seed: 11}
"""


def _session(sid: int) -> list[str]:
    """Processes of session `sid` still alive (not zombies), as 'pid name'."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            alive.append(f"{entry.name} {name}")
    return alive


def _forked_workers(pid: int) -> dict[str, int]:
    """Children of `pid` that are copies of it (forked workers), and fork servers."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes()
    found = {"workers": 0, "fork servers": 0}
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            line = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid and line == command:
            found["workers"] += 1
        if parent == pid and b"forkserver" in line:
            found["fork servers"] += 1
    return found


def _none_left(sid: int, seconds: float = 15.0) -> list[str]:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not _session(sid):
            return []
        time.sleep(0.2)
    return _session(sid)


def _wait_for(condition, seconds: float = 180.0) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _stored(folder: Path) -> int:
    runs = folder / "runs"
    return len(list(runs.glob("p*.parquet"))) if runs.exists() else 0


def _runs(folder: Path) -> pd.DataFrame:
    runs = pd.read_parquet(folder / "runs.parquet").drop(columns=["model_seconds"])
    return runs.sort_values(["point", "replicate"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def smoke_reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("faults") / "reference"
    result = CliRunner().invoke(main, ["sweep", str(SMOKE), "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_kill_9_of_a_sweep_leaves_no_process(tmp_path: Path) -> None:
    """Only the command is killed: its workers, fork server and resource tracker go with it."""
    out = tmp_path / "sweep"
    # As a user's shell starts it (importing talentsim here has set the allocator's option)
    env = {k: v for k, v in os.environ.items() if k != "JE_ARROW_MALLOC_CONF"}
    proc = subprocess.Popen(
        [CLI, "sweep", str(SMOKE), "--workers", "2", "--out", str(out), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    _wait_for(lambda: _stored(out) >= 4)
    assert len(_session(proc.pid)) >= 3  # the command and its two workers at least
    # The pool was forked from the command (the model already imported), not started from
    # a fork server: the command runs no second thread when it starts the pool.
    forked = _forked_workers(proc.pid)
    assert forked["fork servers"] == 0 and forked["workers"] == 2, forked
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _none_left(proc.pid) == []


def test_kill_9_of_a_calibration_leaves_no_process(tmp_path: Path) -> None:
    scenario = tmp_path / "cal.yaml"
    scenario.write_text(CALIBRATION.replace("generations: 4", "generations: 30"))
    out = tmp_path / "cal"
    proc = subprocess.Popen(
        [CLI, "calibrate", str(scenario), "--workers", "2", "--out", str(out), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for(lambda: len(_session(proc.pid)) >= 3)  # a generation's workers are running
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _none_left(proc.pid) == []


def test_sigterm_of_a_run_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [CLI, "run", "--set", "population.agents=20000", "--out", str(out), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    time.sleep(3)
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert "Traceback" not in proc.stderr.read().decode()
    assert list(tmp_path.iterdir()) == []  # no output and no temporary folder
    assert _none_left(proc.pid) == []


def test_a_temporary_folder_left_by_a_killed_run_is_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".run.{host_tag()}-{dead.pid}-0123abcd.tmp"
    stale.mkdir()
    (stale / "timeseries.parquet").write_bytes(b"half")
    alive = tmp_path / f".other.{host_tag()}-{os.getpid()}-0123abcd.tmp"  # a live writer's
    alive.mkdir()
    mine = tmp_path / ".notes.tmp"  # not talentsim's
    mine.mkdir()
    result = CliRunner().invoke(main, ["run", *SHORT, "--out", str(tmp_path / "run"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run", alive.name, mine.name])


def test_two_sweeps_into_one_folder(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    # runs of 4,000 agents: the first sweep is still running when the second has started
    slow = ["--set", "population.agents=4000"]
    first = subprocess.Popen(
        [CLI, "sweep", str(SMOKE), "--workers", "1", "--out", str(out), "--quiet", *slow],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: _stored(out) >= 1)
        second = subprocess.run(
            [CLI, "sweep", str(SMOKE), "--workers", "1", "--out", str(out), "--quiet", *slow],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert first.poll() is None  # the first still holds the folder
        assert second.returncode == 2, second.stderr
        assert f"in use by another talentsim sweep (process {first.pid} on" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()


def _limited(limit: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def test_a_full_disk_during_a_run_is_a_paragraph(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.run(
        [CLI, "run", *SHORT, "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limited(4096),
    )
    assert proc.returncode == 1, proc.stderr
    error = proc.stderr.strip().splitlines()[-1]  # after the note on the short run
    assert error.startswith("Error: cannot write") and "File too large" in error
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing half-written, no temporary folder


def test_a_full_disk_during_a_sweep_then_resume(tmp_path: Path, smoke_reference: Path) -> None:
    out = tmp_path / "sweep"
    full = subprocess.run(
        [CLI, "sweep", str(SMOKE), "--workers", "2", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limited(12_000),
    )
    assert full.returncode == 1, full.stderr
    assert full.stderr.startswith("Error: cannot write") and "Traceback" not in full.stderr
    assert not [p for p in out.rglob(".*") if p.name != ".lock"]  # no temporary file
    again = subprocess.run(
        [CLI, "sweep", str(SMOKE), "--workers", "2", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    pd.testing.assert_frame_equal(_runs(out), _runs(smoke_reference), check_exact=True)


def test_a_damaged_run_file_is_run_again(tmp_path: Path, smoke_reference: Path) -> None:
    out = tmp_path / "sweep"
    result = CliRunner().invoke(main, ["sweep", str(SMOKE), "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0
    files = sorted((out / "runs").glob("p*.parquet"))
    damaged = files[5]
    damaged.write_bytes(damaged.read_bytes()[:40])  # cut short
    others = {f: f.stat().st_mtime_ns for f in files if f != damaged}
    again = CliRunner().invoke(main, ["sweep", str(SMOKE), "--workers", "1", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert {f: f.stat().st_mtime_ns for f in others} == others  # only that run was done again
    assert pd.read_parquet(damaged)["status"].tolist() == ["ok"]
    pd.testing.assert_frame_equal(_runs(out), _runs(smoke_reference), check_exact=True)


def _generations(history: Path) -> int:
    if not history.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{history}?mode=ro", uri=True, timeout=1) as db:
            row = db.execute("SELECT MAX(t) FROM populations").fetchone()
    except sqlite3.Error:
        return 0
    return 0 if row[0] is None else int(row[0]) + 1


def _posterior(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "posterior.parquet")


def test_a_calibration_killed_mid_generation_resumes_to_the_same_posterior(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "cal.yaml"
    scenario.write_text(CALIBRATION)
    whole = tmp_path / "whole"  # in this process, one worker
    result = CliRunner().invoke(
        main, ["calibrate", str(scenario), "--workers", "1", "--out", str(whole), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    killed = tmp_path / "killed"  # two workers, killed during its third generation
    proc = subprocess.Popen(
        [CLI, "calibrate", str(scenario), "--workers", "2", "--out", str(killed), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for(lambda: _generations(killed / "history.db") >= 2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _none_left(proc.pid) == []
    assert _generations(killed / "history.db") < 4  # it was killed before the end
    resumed = CliRunner().invoke(
        main,
        ["calibrate", str(scenario), "--workers", "2", "--out", str(killed), "--resume", "--quiet"],
    )
    assert resumed.exit_code == 0, resumed.output
    pd.testing.assert_frame_equal(_posterior(killed), _posterior(whole), check_exact=True)
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["resumed"] is True and len(manifest["invocations"]) == 2
    assert manifest["invocations"][1]["first_generation"] >= 2
