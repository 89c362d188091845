"""Sweeps: designs, seeds, identical results on every backend, resume after kill -9,
failed runs, a Dask worker that dies, and bad specifications."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from faults import FAIL_RUNS, KILL_MARKER, KILL_RUN, environment
from talentsim.cli import main
from talentsim.runs.designs import DesignError, design_points
from talentsim.runs.sweep import plan_sweep
from talentsim.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "experiments" / "smoke_sweep.yaml"
CLI = str(Path(sys.executable).with_name("talentsim"))


def _sweep(out: Path, *args: str, env: dict | None = None):
    result = CliRunner().invoke(
        main, ["sweep", str(SMOKE), "--out", str(out), "--quiet", *args], env=env
    )
    return result


def _runs(folder: Path) -> pd.DataFrame:
    runs = pd.read_parquet(folder / "runs.parquet")
    return (
        runs.drop(columns=["model_seconds"])
        .sort_values(["point", "replicate"])
        .reset_index(drop=True)
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The smoke sweep run in this process (--workers 1), as the reference."""
    out = tmp_path_factory.mktemp("sweeps") / "one"
    result = _sweep(out, "--workers", "1")
    assert result.exit_code == 0, result.output
    return out


def test_the_smoke_sweep_stores_every_run(reference: Path) -> None:
    runs = _runs(reference)
    assert len(runs) == 36 and (runs["status"] == "ok").all()
    assert not runs.duplicated(["point", "replicate"]).any()
    design = pd.read_parquet(reference / "design.parquet")
    assert len(design) == 12
    assert sorted(design["visas.h1b_approval_rate"].unique()) == [0.6, 0.76, 0.85, 0.94]
    for column in (
        "returns_2015",
        "returns_total",
        "in_us_end",
        "survey_2015_technology",
        "survey_2017_finance",
        "seed_entropy",
        "seed_spawn_key",
        "visas.h1b_approval_rate",
        "china.sectors.technology.pay_growth",
    ):
        assert column in runs, column
    ts = pd.read_parquet(reference / "timeseries")
    assert len(ts) == 36 * 11 * 4 and {"point", "replicate", "returns"} <= set(ts)
    survey = pd.read_parquet(reference / "survey")
    assert set(survey["point"]) == set(range(12))
    manifest = (reference / "manifest.json").read_text()
    assert '"kind": "sweep"' in manifest and '"scenario_hash"' in manifest
    # the lever works: a higher H-1B approval rate means fewer returns, point by point
    mean = runs.groupby("point")["returns_total"].mean()
    assert mean[0] > mean[9] and mean[1] > mean[10] and mean[2] > mean[11]


def test_seeds_follow_hash_point_and_replicate(reference: Path) -> None:
    runs = _runs(reference)
    assert runs["seed_entropy"].nunique() == 1
    expected = runs["point"].astype(str) + "," + runs["replicate"].astype(str)
    assert (runs["seed_spawn_key"] == expected).all()


def test_identical_results_with_two_workers_and_on_dask(reference: Path, tmp_path: Path) -> None:
    expected = _runs(reference)
    two = _sweep(tmp_path / "two", "--workers", "2")
    assert two.exit_code == 0, two.output
    pd.testing.assert_frame_equal(_runs(tmp_path / "two"), expected, check_exact=True)
    dask = _sweep(tmp_path / "dask", "--dask-local", "2")
    assert dask.exit_code == 0, dask.output
    pd.testing.assert_frame_equal(_runs(tmp_path / "dask"), expected, check_exact=True)
    a = pd.read_parquet(reference / "timeseries").sort_values(["point", "replicate", "time"])
    b = pd.read_parquet(tmp_path / "dask" / "timeseries").sort_values(
        ["point", "replicate", "time"]
    )
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_kill_9_then_resume_equals_an_uninterrupted_sweep(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [CLI, "sweep", str(SMOKE), "--workers", "2", "--out", str(out), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        stored = list((out / "runs").glob("p*.parquet")) if (out / "runs").exists() else []
        if len(stored) >= 8:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes
    proc.wait()
    stored = len(list((out / "runs").glob("p*.parquet")))
    assert 8 <= stored < 36, stored
    again = subprocess.run(
        [CLI, "sweep", str(SMOKE), "--workers", "2", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    pd.testing.assert_frame_equal(_runs(out), _runs(reference), check_exact=True)
    assert len(list((out / "timeseries").glob("p*.parquet"))) == 36
    assert not list(out.rglob(".*.tmp"))


def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path: Path, faults) -> None:
    out = tmp_path / "failing"
    result = _sweep(out, "--workers", "1", "--retries", "2", env={FAIL_RUNS: "4:1"})
    assert result.exit_code == 1
    runs = _runs(out)
    assert len(runs) == 36
    failed = runs[runs["status"] == "failed"]
    assert failed[["point", "replicate"]].values.tolist() == [[4, 1]]
    assert failed["attempts"].iloc[0] == 3
    assert "fails on purpose" in failed["error"].iloc[0] and "Traceback" in failed["error"].iloc[0]
    assert failed["visas.h1b_approval_rate"].iloc[0] == 0.76
    # resuming runs only the failed run again
    again = _sweep(out, "--workers", "1")
    assert again.exit_code == 0
    assert (_runs(out)["status"] == "ok").all()


def test_a_dask_worker_that_dies_has_its_run_redone(tmp_path: Path, reference: Path) -> None:
    marker = tmp_path / "killed-once"
    env = environment(**{KILL_RUN: "5:0", KILL_MARKER: str(marker)})
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the local cluster's workers inherit these
    try:
        result = _sweep(tmp_path / "dask", "--dask-local", "2")
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert marker.exists()  # a worker did die
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(_runs(tmp_path / "dask"), _runs(reference), check_exact=True)


def test_common_random_numbers_give_equal_points_equal_results(tmp_path: Path) -> None:
    table = tmp_path / "points.csv"
    table.write_text("macro.tension\n0.3\n0.3\n0.5\n")
    base = tmp_path / "crn.yaml"
    settings = f"extends: {SMOKE}\nsweep:\n  design: table\n  table: points.csv\n  replicates: 2\n"
    base.write_text(settings + "  common_random_numbers: true\n")
    (tmp_path / "plain.yaml").write_text(settings)
    for name, equal in (("crn", True), ("plain", False)):
        out = tmp_path / f"out-{name}"
        result = CliRunner().invoke(
            main,
            [
                "sweep",
                str(tmp_path / f"{name}.yaml"),
                "--workers",
                "1",
                "--out",
                str(out),
                "--quiet",
            ],
        )
        assert result.exit_code == 0, result.output
        runs = _runs(out).set_index(["point", "replicate"])["returns_total"]
        assert (runs[0].values == runs[1].values).all() == equal


def test_designs(tmp_path: Path) -> None:
    loaded = load_scenario(
        SMOKE,
        [
            "sweep={design: lhs, points: 16, seed: 3, parameters: "
            "{macro.tension: {range: [0.1, 0.5]}, population.agents: {range: [500, 1500]}}}"
        ],
    )
    points = design_points(loaded.scenario.sweep)
    assert len(points) == 16 and points["macro.tension"].between(0.1, 0.5).all()
    assert points["population.agents"].dtype == np.int64  # integer keys are rounded
    # a Latin hypercube puts exactly one point in each of 16 equal strata
    strata = np.floor((points["macro.tension"] - 0.1) / 0.4 * 16).astype(int)
    assert sorted(strata) == list(range(16))
    sobol = load_scenario(
        SMOKE, ["sweep={design: sobol, points: 8, parameters: {macro.tension: {range: [0, 1]}}}"]
    )
    assert len(design_points(sobol.scenario.sweep)) == 8
    plan = plan_sweep(loaded, tmp_path / "x")
    assert len(plan.runs) == 16 * loaded.scenario.sweep.replicates


BAD = {
    "unknown parameter": (
        "sweep:\n  parameters:\n    visas.h1b_aproval_rate: {values: [0.5]}\n",
        [
            "sweep.parameters.visas.h1b_aproval_rate",
            "did you mean 'visas.h1b_approval_rate'",
            "line 4",
        ],
    ),
    "empty range": (
        "sweep:\n  parameters:\n    macro.tension: {range: [0.3, 0.3], steps: 2}\n",
        ["empty or reversed", "sweep.parameters.macro.tension", "line 4"],
    ),
    "reversed range": (
        "sweep:\n  parameters:\n    macro.tension: {range: [0.5, 0.1], steps: 2}\n",
        ["empty or reversed"],
    ),
    "zero points": (
        "sweep:\n  design: lhs\n  points: 0\n  parameters:\n    macro.tension: {range: [0, 1]}\n",
        ["sweep.points", "greater than or equal to 1"],
    ),
    "lhs with values": (
        "sweep:\n  design: lhs\n  points: 4\n  parameters:\n    macro.tension: {values: [0.1]}\n",
        ["lhs design needs a range"],
    ),
    "grid range without steps": (
        "sweep:\n  parameters:\n    macro.tension: {range: [0.1, 0.5]}\n",
        ["has a range but no steps"],
    ),
    "values out of bounds": (
        "sweep:\n  parameters:\n    visas.h1b_approval_rate: {values: [0.5, 1.5]}\n",
        ["makes an invalid scenario", "less than or equal to 1"],
    ),
    "missing table": (
        "sweep:\n  design: table\n  table: nowhere.csv\n",
        ["table of points does not exist"],
    ),
    "no parameters": ("sweep:\n  design: grid\n", ["at least one parameter"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sweep_specifications(tmp_path: Path, case: str) -> None:
    text, fragments = BAD[case]
    file = tmp_path / "bad.yaml"
    file.write_text(f"extends: {SMOKE}\n" + text)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(file), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)
    assert not out.exists()


def test_no_sweep_block_dry_run_and_a_foreign_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sweep", "baseline", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no `sweep:` block" in result.output
    dry = CliRunner().invoke(
        main, ["sweep", str(SMOKE), "--dry-run", "--out", str(tmp_path / "dry")]
    )
    assert dry.exit_code == 0 and "36 runs" in dry.output
    assert len(dry.output.strip().splitlines()) == 2 + 36
    assert not (tmp_path / "dry").exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    clash = _sweep(foreign, "--workers", "1")
    assert clash.exit_code == 2 and "not a talentsim sweep folder" in clash.output
    assert (foreign / "notes.txt").read_text() == "mine"


def test_design_error_names_the_key() -> None:
    loaded = load_scenario(SMOKE, ["sweep={parameters: {time.strat: {values: [2011]}}}"])
    with pytest.raises(DesignError, match=r"time\.start"):
        design_points(loaded.scenario.sweep)


def test_the_consolidated_table_is_trusted_only_when_it_holds_every_stored_run(
    tmp_path: Path,
) -> None:
    from talentsim.runs.sweep_store import SweepStore

    store = SweepStore(tmp_path)
    (tmp_path / "runs").mkdir()
    for point in range(3):
        store.write_run({"point": point, "replicate": 0, "status": "ok", "x": float(point)})
    assert store.consolidated_rows() is None  # no runs.parquet yet
    assert len(store.consolidate()) == 3
    assert store.consolidated_rows(["x"])["x"].tolist() == [0.0, 1.0, 2.0]
    time.sleep(0.01)
    store.write_run({"point": 1, "replicate": 0, "status": "failed", "x": 9.0})  # rewritten
    assert store.consolidated_rows() is None  # a run file is newer than the table
    assert store.finished() == {(0, 0), (2, 0)}
    store.consolidate()
    (tmp_path / "runs" / "p000002-r0000.parquet").unlink()  # the files no longer match
    assert store.consolidated_rows() is None
    assert store.finished() == {(0, 0)}
