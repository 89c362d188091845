"""The command line: run writes a complete result folder; validate, schema, scenarios."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml
from click.testing import CliRunner

from conftest import SCENARIOS
from talentsim import __version__
from talentsim.cli import main
from talentsim.model.stages.survey import LEVEL, SECTOR
from talentsim.scenario.loader import load_scenario

SMALL = [
    "--set", "population.agents=1200", "--set", "time.burn_in_years=2",
    "--set", "time.end=2018", "--replicates", "2",
]  # fmt: skip


def test_run_writes_every_output(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["run", str(SCENARIOS / "h1b_tightening.yaml"), *SMALL, "--seed", "5", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "annual.parquet",
        "cohorts.parquet",
        "manifest.json",
        "scenario.yaml",
        "survey.parquet",
        "timeseries.parquet",
    ]
    ts = pd.read_parquet(out / "timeseries.parquet")
    for column in (
        "replicate",
        "time",
        "year",
        "in_us",
        "returned",
        "returns",
        "entrants",
        "exits",
    ):
        assert column in ts
    assert len(ts) == 2 * 9 * 4  # replicates x years x quarters
    annual = pd.read_parquet(out / "annual.parquet")
    assert {"returns_to_technology", "returns_to_finance", "returns_to_other"} <= set(annual)
    assert len(annual) == 2 * 9
    survey = pd.read_parquet(out / "survey.parquet")
    assert list(survey.columns[:6]) == ["replicate", "year", "measure", "category", "share", "n"]
    assert {"technology", "finance", "education", "manufacturing", "other"} <= set(
        survey[survey["measure"] == SECTOR]["category"]
    )
    assert {"staff", "junior manager", "middle manager", "senior manager"} == set(
        survey[survey["measure"] == LEVEL]["category"]
    )
    assert pq.read_metadata(out / "survey.parquet").num_rows == len(survey)

    resolved = load_scenario(out / "scenario.yaml")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario_hash"] == resolved.hash
    assert manifest["seed"] == 5 and manifest["replicates"] == 2
    assert [s["replicate"] for s in manifest["seeds"]] == [0, 1]
    assert manifest["versions"]["talentsim"] == __version__
    assert manifest["versions"]["mesa"].startswith("3.5")
    assert {"click", "rich", "scipy", "pyabc", "dask"} <= set(manifest["versions"])
    assert "git_commit" in manifest and manifest["wall_seconds"] > 0
    assert manifest["scenario_files"][0].endswith("h1b_tightening.yaml")
    assert yaml.safe_load((out / "scenario.yaml").read_text())["name"] == "h1b_tightening"


def test_run_prints_a_summary_beside_the_targets(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "returns in the year" in text and "in the US" in text
    assert "10.0% ± 1.9%" in text and "15.5% ± 1.7%" in text  # the survey targets
    survey = pd.read_parquet(out / "survey.parquet")  # and what this run simulated beside them
    for year in (2015, 2017):
        shares = survey.query(
            "year == @year and measure == 'employment sector of returnees' and "
            "category == 'technology'"
        )["share"]
        low, high = np.percentile(shares, [5, 95])
        assert f"{shares.median():.1%} ({low:.1%}-{high:.1%})" in text, (year, text)
    annual = pd.read_parquet(out / "annual.parquet").query("year == 2015")["returns"]
    low, high = np.percentile(annual, [5, 95]) / 1000  # thousands of people
    assert f"{annual.median() / 1000:,.1f} ({low:,.1f}-{high:,.1f})" in text, text
    tables = text.split("Results written")[0]
    assert max(len(line) for line in tables.splitlines()) <= 80  # no table wider than 80
    assert "technology" in text and "finance" in text
    assert f"Results written to {out}" in text


def test_overwrite_replaces_a_run_folder_atomically(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = CliRunner().invoke(main, ["run", *SMALL, "--seed", "1", "--out", str(out), "--quiet"])
    assert first.exit_code == 0, first.output
    report = CliRunner().invoke(main, ["report", str(out), "--format", "md"])  # out/report/
    assert report.exit_code == 0, report.output
    old = json.loads((out / "manifest.json").read_text())
    result = CliRunner().invoke(main, ["run", *SMALL, "--out", str(out), "--overwrite", "--quiet"])
    assert result.exit_code == 0, result.output
    new = json.loads((out / "manifest.json").read_text())
    assert old["seed"] == 1 and new["seed"] != 1  # the new run replaced the old one
    assert not (out / "report").exists()  # talentsim's report of the old run went with it
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folders left


def test_default_output_folder_is_under_results_runs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", *SMALL, "--quiet"])
    assert result.exit_code == 0, result.output
    folders = list((tmp_path / "results" / "runs").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("baseline-")


def test_validate_schema_and_scenarios(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["validate", *map(str, sorted(SCENARIOS.glob("*.yaml")))])
    assert result.exit_code == 0 and result.output.count("ok  ") == 6
    schema_file = tmp_path / "schema.json"
    assert runner.invoke(main, ["schema", "--out", str(schema_file)]).exit_code == 0
    schema = json.loads(schema_file.read_text())
    assert schema["title"] == "Scenario" and "population" in schema["properties"]
    printed = runner.invoke(main, ["schema"])
    assert json.loads(printed.output) == schema
    listing = runner.invoke(main, ["scenarios"]).output
    assert "h1b_tightening" in listing and "What if H-1B approvals tighten" in listing
    assert runner.invoke(main, ["--version"]).output.strip().endswith(__version__)


def test_run_as_a_real_process_outside_the_repository(tmp_path: Path) -> None:
    """The installed console script runs the packaged baseline from any folder."""
    cli = Path(sys.executable).with_name("talentsim")
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.run(
        [str(cli), "run", *SMALL, "--replicates", "1", "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Results written to out" in proc.stdout
    assert (tmp_path / "out" / "survey.parquet").exists()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["scenario_files"][0].endswith("baseline.yaml")
