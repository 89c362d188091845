"""Same scenario and seed: identical files. Other seeds: different. A pinned regression
baseline. Common random numbers across scenarios."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import small_scenario
from talentsim.cli import main
from talentsim.runs.runner import run_scenario

sys.path.insert(0, str(Path(__file__).parent / "regression"))
from summary import regression_summary

pytestmark = pytest.mark.core  # also run under Python 3.13 with the core alone

TABLES = ("timeseries.parquet", "annual.parquet", "survey.parquet")
SMALL_ARGS = [
    "--set",
    "population.agents=1500",
    "--set",
    "time.end=2018",
    "--set",
    "time.burn_in_years=2",
    "--replicates",
    "2",
    "--quiet",
]


def _run(tmp_path: Path, name: str, *extra: str) -> Path:
    out = tmp_path / name
    result = CliRunner().invoke(main, ["run", *SMALL_ARGS, *extra, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", "--seed", "11")
    b = _run(tmp_path, "b", "--seed", "11")
    for table in (*TABLES, "scenario.yaml"):
        assert (a / table).read_bytes() == (b / table).read_bytes(), table
    ma = json.loads((a / "manifest.json").read_text())
    mb = json.loads((b / "manifest.json").read_text())
    assert ma["scenario_hash"] == mb["scenario_hash"]
    assert ma["seeds"] == mb["seeds"]


def test_other_seeds_differ(tmp_path: Path) -> None:
    a = pd.read_parquet(_run(tmp_path, "a", "--seed", "11") / "timeseries.parquet")
    b = pd.read_parquet(_run(tmp_path, "b", "--seed", "12") / "timeseries.parquet")
    assert not a["returns"].equals(b["returns"])
    # replicates within a run differ too
    assert (
        not a[a.replicate == 0]["returns"]
        .reset_index(drop=True)
        .equals(a[a.replicate == 1]["returns"].reset_index(drop=True))
    )


def test_fixed_seed_regression_baseline() -> None:
    """Pinned figures. If a change is meant to alter results, run `make regression-update`
    and commit the new baseline with a message that says why."""
    stored = json.loads(
        (Path(__file__).parent / "regression" / "baseline_summary.json").read_text()
    )
    assert regression_summary() == stored


@pytest.mark.parametrize(
    "intervention",
    [
        "visas.h1b_approval_rate",
        "china.sectors.technology.pay_growth",
        "careers.bamboo_penalty_management",
        "macro.tension",
    ],
)
def test_common_random_numbers_before_an_intervention(intervention: str) -> None:
    """Two scenarios that differ only from 2016 on agree exactly before 2016."""
    base = small_scenario(None, ["replicates=1"])
    changed = small_scenario(
        None,
        ["replicates=1", f"timeline=[{{param: {intervention}, from: 2016, scale: 0.5}}]"],
    )
    a, b = run_scenario(base), run_scenario(changed)
    before_a = a.timeseries[a.timeseries["time"] < 2016]
    before_b = b.timeseries[b.timeseries["time"] < 2016]
    pd.testing.assert_frame_equal(before_a, before_b, check_exact=True)
    survey_a = a.survey[a.survey["year"] < 2016].reset_index(drop=True)
    survey_b = b.survey[b.survey["year"] < 2016].reset_index(drop=True)
    pd.testing.assert_frame_equal(survey_a, survey_b, check_exact=True)
    after_a = a.timeseries[a.timeseries["time"] >= 2017]["returns"].to_numpy()
    after_b = b.timeseries[b.timeseries["time"] >= 2017]["returns"].to_numpy()
    assert not np.array_equal(after_a, after_b)


def test_a_no_op_intervention_changes_nothing() -> None:
    base = small_scenario(None, ["replicates=1"])
    noop = small_scenario(
        None, ["replicates=1", "timeline=[{param: macro.tension, from: 2012, scale: 1.0}]"]
    )
    assert noop.timeline[:-1] == base.timeline  # --set timeline=[...] appends
    a, b = run_scenario(base), run_scenario(noop)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(a.survey, b.survey, check_exact=True)


def test_results_do_not_depend_on_the_blas_thread_count(tmp_path: Path) -> None:
    """A process whose BLAS runs threads (OPENBLAS_NUM_THREADS set by the user, or numpy
    imported before talentsim) gets the same survey: the model makes no BLAS call, whose
    sums are split across threads (np.dot did, in the survey's population shares)."""
    tables = []
    for threads in (1, 2):
        out = tmp_path / f"threads{threads}"
        env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads)}
        command = [sys.executable, "-m", "talentsim", "run", "--quiet", "--out", str(out)]
        command += ["--set", "population.agents=8000", "--set", "time.end=2015"]
        command += ["--set", "survey.years=[2015]"]
        subprocess.run(command, env=env, check=True, capture_output=True)
        tables.append((out / "survey.parquet").read_bytes())
    assert tables[0] == tables[1]
