"""`talentsim effects`: paired policy effects over posterior draws, and their variance split.

The study runs for real (small pool, three draws of the packaged posterior, two
replicates): pairing gives exactly zero for a copy of the baseline and before a late
policy starts; the results are the same on two workers, on Dask and after kill -9 and a
resume; bad input exits 2 with one paragraph and writes nothing.
"""

from __future__ import annotations

import json
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

from talentsim.cli.main import main
from talentsim.effects.analysis import variance_split

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("talentsim"))
BASELINE = str(REPO / "scenarios" / "baseline.yaml")
SIZE = ["--set", "population.agents=300", "--set", "time.end=2027"]
STUDY = ["--draws", "3", "--replicates", "2", "--quiet", *SIZE]


def _write(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nextends: {BASELINE}\n{body}", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> list[str]:
    """A copy of the baseline under another name, and a policy that starts in 2025."""
    folder = tmp_path_factory.mktemp("policies")
    copy = _write(folder, "baseline_copy", "")
    late = _write(
        folder,
        "late_tightening",
        "timeline:\n  - param: visas.h1b_approval_rate\n    from: 2025\n    set: 0.5\n",
    )
    return [str(copy), str(late)]


def _effects(out: Path, policies: list[str], *args: str):
    return CliRunner().invoke(
        main, ["effects", BASELINE, *policies, "--out", str(out), *STUDY, *args]
    )


def _table(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "effects.parquet")


@pytest.fixture(scope="module")
def reference(tmp_path_factory, policies: list[str]) -> Path:
    out = tmp_path_factory.mktemp("effects") / "one"
    result = _effects(out, policies, "--workers", "1")
    assert result.exit_code == 0, result.output
    return out


def test_a_copy_of_the_baseline_has_exactly_zero_effect(reference: Path) -> None:
    table = _table(reference)
    copy = table[table["scenario"] == "baseline_copy"]
    assert len(copy) > 100
    stats = ["median", "low", "high", "mean", "var_parameters", "var_chance"]
    assert (copy[stats].to_numpy() == 0.0).all()


def test_a_policy_from_2025_has_zero_effect_before_2025_only(reference: Path) -> None:
    table = _table(reference)
    late = table[table["scenario"] == "late_tightening"]
    before, after = late[late["year"] < 2025], late[late["year"] >= 2025]
    assert (before[["median", "low", "high", "var_chance"]].to_numpy() == 0.0).all()
    # denied lottery winners stay on OPT until it runs out, then leave: fewer in the US from
    # 2026, in every pair
    in_us = after[after["outcome"] == "in_us"].set_index("year").loc[[2026, 2027]]
    assert (in_us["high"] < 0).all() and (in_us["p_direction"] == 1.0).all()
    cumulated = after[after["outcome"] == "returns_cumulated"].set_index("year")
    assert cumulated.loc[2027, "median"] > cumulated.loc[2025, "median"] > 0


def test_the_study_records_what_produced_it(reference: Path) -> None:
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["kind"] == "effects" and manifest["draws"] == 3
    assert manifest["replicates"] == 2 and manifest["runs"] == 18
    assert manifest["seeds"]["spawn_key"].startswith("(draw, replicate)")
    assert {"report.md", "effects.csv", "effects.png", "fan-late_tightening.png"} <= set(
        manifest["files"]
    )
    draws = pd.read_csv(reference / "draws.csv")
    assert len(draws) == 3 and "offers.founder_rate" in draws
    runs = pd.read_parquet(reference / "runs" / "late_tightening" / "runs.parquet")
    assert sorted(runs["offers.founder_rate"].unique()) == sorted(draws["offers.founder_rate"])
    base = pd.read_parquet(reference / "runs" / "baseline" / "runs.parquet")
    assert (runs["seed_spawn_key"].to_numpy() == base["seed_spawn_key"].to_numpy()).all()
    assert runs["seed_entropy"].nunique() == 1
    assert runs["seed_entropy"].iloc[0] == base["seed_entropy"].iloc[0]
    report = (reference / "report.md").read_text()
    assert "late_tightening" in report and "effects.png" in report


def test_identical_on_two_workers_on_dask_and_after_kill_9(
    reference: Path, policies: list[str], tmp_path: Path
) -> None:
    expected = _table(reference)
    two = _effects(tmp_path / "two", policies, "--workers", "2")
    assert two.exit_code == 0, two.output
    pd.testing.assert_frame_equal(_table(tmp_path / "two"), expected, check_exact=True)
    dask = _effects(tmp_path / "dask", policies, "--dask-local", "2")
    assert dask.exit_code == 0, dask.output
    pd.testing.assert_frame_equal(_table(tmp_path / "dask"), expected, check_exact=True)

    out = tmp_path / "killed"
    command = [CLI, "effects", BASELINE, *policies, "--out", str(out), *STUDY, "--workers", "2"]
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("runs/*/runs/p*.parquet"))) < 5:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the study and its worker processes
    proc.wait()
    assert 5 <= len(list(out.glob("runs/*/runs/p*.parquet"))) < 18
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    pd.testing.assert_frame_equal(_table(out), expected, check_exact=True)
    assert not list(out.rglob(".*.tmp*"))


def test_the_variance_split_recovers_known_components() -> None:
    rng = np.random.default_rng(5)
    draws, replicates = 400, 4
    values = rng.normal(0, 2.0, (draws, 1)) + rng.normal(0, 1.0, (draws, replicates))
    parameters, chance = variance_split(values)
    assert parameters == pytest.approx(4.0, rel=0.2) and chance == pytest.approx(1.0, rel=0.1)
    one_draw = variance_split(values[:1])
    assert one_draw[0] == 0.0 and one_draw[1] > 0
    one_replicate = variance_split(values[:, :1])
    assert np.isnan(one_replicate[0]) and np.isnan(one_replicate[1])


def _refused(args: list[str], out: Path) -> str:
    result = CliRunner().invoke(main, ["effects", "--out", str(out), *STUDY, *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists(), "nothing is written on bad input"
    return result.output


def test_bad_input_exits_2_and_writes_nothing(
    policies: list[str], reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    text = _refused([BASELINE, policies[1], "--posterior", str(reference)], out)
    assert "not a calibration output" in text and "effects" in text
    secret = tmp_path / "cal"
    secret.mkdir()
    (secret / "manifest.json").write_text('{"kind": "calibration"}')
    (secret / "posterior_sample.csv").write_text("password,hunter2\nx,y\n")
    text = _refused([BASELINE, policies[1], "--posterior", str(secret)], out)
    assert "cannot be read as a posterior sample" in text and "hunter2" not in text
    sample = pd.read_csv(REPO / "src" / "talentsim" / "data" / "posterior" / "posterior_sample.csv")
    bad_samples = {
        "timed": sample.assign(**{"time.end": 2022}),
        "boolean": pd.DataFrame({"offers.founder_rate": [True, False]}),
        "infinite": sample.assign(**{"offers.founder_rate": np.inf}),
    }
    for number, (name, frame) in enumerate(bad_samples.items()):
        folder = tmp_path / f"sample{number}"
        folder.mkdir()
        (folder / "manifest.json").write_text('{"kind": "calibration"}')
        frame.to_csv(folder / "posterior_sample.csv", index=False)
        text = _refused([BASELINE, policies[1], "--posterior", str(folder), "--draws", "2"], out)
        assert "inf" not in text.lower()  # the sample's values are not shown
        assert ("time.end" in text) if name == "timed" else ("cannot be read" in text)
    text = _refused([BASELINE, policies[1], policies[1]], out)
    assert "is given twice" in text
    text = _refused([BASELINE, policies[1], "--draws", "51"], out)
    assert "more than the 50 posterior draws" in text
    shorter = _write(tmp_path, "shorter", "time: {start: 2012}\n")
    text = _refused([BASELINE, str(shorter)], out)
    assert "run length differs" in text and "time.start" in text
    alone = tmp_path / "alone.yaml"
    alone.write_text("name: alone\nextends: none\n", encoding="utf-8")
    text = _refused([BASELINE, str(alone)], out)
    assert "does not extend the baseline" in text or "differs from the baseline" in text
    calibrated = _write(tmp_path, "refit", "offers: {founder_rate: 0.3}\n")
    text = _refused([BASELINE, str(calibrated)], out)
    assert "offers.founder_rate" in text and "timeline" in text


def test_labels_stay_distinct_when_a_name_looks_like_a_renamed_one() -> None:
    from types import SimpleNamespace

    from talentsim.effects.plan import unique_labels

    named = [SimpleNamespace(scenario=SimpleNamespace(name=n)) for n in ("a", "a", "a-2", "b")]
    labels = unique_labels(named)
    assert len(set(labels)) == 4 and labels[0] == "a" and labels[2] == "a-2"


def test_an_outcome_some_pairs_lack_gets_nan_statistics_not_a_wrong_direction() -> None:
    from talentsim.effects.analysis import summarise

    rows = pd.DataFrame(
        {"point": [0, 0, 1, 1], "replicate": [0, 1, 0, 1], "x@2020": [1.0, np.nan, 2.0, 3.0]}
    )
    table = summarise(rows, rows)
    assert table["missing"].iloc[0] == 1
    assert table[["median", "p_direction", "p_positive"]].isna().all(axis=None)
