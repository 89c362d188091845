"""`talentsim report`: figures, tables and reports of real run and sweep folders; bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib import image as mpimg

from faults import FAIL_RUNS
from talentsim.cli import main

REPO = Path(__file__).resolve().parents[1]
SMALL_RUN = [
    "--replicates",
    "2",
    "--set",
    "population.agents=500",
    "--set",
    "time.end=2018",
    "--set",
    "time.burn_in_years=2",
    "--quiet",
]
TINY_SWEEP = f"""
name: tiny_sweep
extends: {REPO / "scenarios" / "baseline.yaml"}
population: {{agents: 300}}
time: {{end: 2018, burn_in_years: 2}}
sweep:
  design: grid
  replicates: 2
  parameters:
    visas.h1b_approval_rate: {{values: [0.7, 0.94]}}
    china.sectors.technology.pay_growth: {{values: [0.05, 0.15]}}
"""


def _invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def _image(path: Path) -> np.ndarray:
    """A PNG as an array, checked to be a real picture (not blank)."""
    pixels = mpimg.imread(path)
    assert pixels.ndim == 3 and pixels.shape[2] in (3, 4), pixels.shape
    rgb = pixels[..., :3]
    drawn = (rgb < 0.95).any(axis=2).mean()  # share of pixels that are not white
    assert drawn > 0.02, f"{path.name} is almost blank ({drawn:.1%} drawn)"
    return pixels


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    made = {}
    for name, scenario in (("baseline", "baseline"), ("h1b", "h1b_tightening")):
        result = _invoke("run", scenario, *SMALL_RUN, "--out", root / name)
        assert result.exit_code == 0, result.output
        made[name] = root / name
    return made


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    (root / "tiny.yaml").write_text(TINY_SWEEP)
    result = _invoke(
        "sweep", root / "tiny.yaml", "--workers", "1", "--out", root / "out", "--quiet"
    )
    assert result.exit_code == 0, result.output
    return root / "out"


def test_run_report_html_is_self_contained_with_figures_and_numbers(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = _invoke("report", runs["baseline"], "--out", out)
    assert result.exit_code == 0, result.output
    assert "Report written to" in result.output
    for stem, (height, width) in {"timeseries": (450, 1500), "sector_shares": (450, 850)}.items():
        assert _image(out / f"{stem}.png").shape[:2] == (height, width), stem
        assert (out / f"{stem}.svg").read_text().lstrip().startswith("<?xml")
    page = (out / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 2
    assert 'src="timeseries' not in page  # nothing linked: the page stands alone
    assert "10.0% ± 1.9%" in page and "15.5% ± 1.7%" in page  # the survey targets
    # the headline numbers are the replicates' medians and 5th-95th percentiles
    annual = pd.read_parquet(runs["baseline"] / "annual.parquet")
    headline = pd.read_csv(out / "headline.csv")
    row = headline.query("year == 2015 and outcome == 'returns'").iloc[0]
    values = annual.loc[annual["year"] == 2015, "returns"]
    assert row["median"] == pytest.approx(values.median())
    assert row["q05"] == pytest.approx(np.percentile(values, 5))
    assert row["replicates"] == 2
    assert f"{values.median():,.0f}" in page


def test_two_runs_side_by_side_in_markdown(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "md"
    result = _invoke("report", runs["baseline"], runs["h1b"], "--out", out, "--format", "md")
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text()
    assert "](timeseries.png)" in text and "](sector_shares.png)" in text
    assert "baseline" in text and "h1b_tightening" in text
    assert _image(out / "sector_shares.png").shape[:2] == (2 * 420 + 30, 850)  # two, stacked
    survey = pd.read_csv(out / "survey.csv")
    assert set(survey["scenario"]) == {"baseline", "h1b_tightening"}
    assert set(survey["year"]) == {2015, 2017}


def test_sweep_report_has_outcome_plots_heatmaps_and_a_table(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep_report"
    result = _invoke("report", sweep, "--out", out)
    assert result.exit_code == 0, result.output
    sizes = {
        "sweep_outcomes": (1280, 1150),  # 4 outcomes x 2 parameters
        "heatmap_h1b_approval_rate_technology_pay_growth": (420, 1840),  # 4 outcomes
        "timeseries": (450, 1500),
        "sector_shares": (480, 1150),
    }
    for stem, shape in sizes.items():
        assert _image(out / f"{stem}.png").shape[:2] == shape, stem
        assert (out / f"{stem}.svg").stat().st_size > 10_000
    headline = pd.read_csv(out / "headline.csv")
    assert sorted(headline["point"].unique()) == [0, 1, 2, 3]
    runs = pd.read_parquet(sweep / "runs.parquet")
    expected = runs.loc[runs["point"] == 3, "returns_total"].median()
    got = headline.query("point == 3 and outcome == 'returns_total'")["median"].iloc[0]
    assert got == pytest.approx(expected)
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4 and "Missing" not in page
    # the effect of a parameter over its range: replicate-by-replicate differences
    effects = pd.read_csv(out / "effects.csv")
    row = effects.query(
        "parameter == 'visas.h1b_approval_rate' and outcome == 'returns_total' "
        "and `china.sectors.technology.pay_growth` == 0.05"
    ).iloc[0]
    at = runs[runs["china.sectors.technology.pay_growth"] == 0.05].set_index("replicate")
    diff = (
        at.loc[at["visas.h1b_approval_rate"] == 0.94, "returns_total"]
        - at.loc[at["visas.h1b_approval_rate"] == 0.7, "returns_total"]
    )
    assert row["median"] == pytest.approx(diff.median()) and row["pairs"] == 2


def test_sweep_with_a_failed_run_reports_what_is_missing(tmp_path: Path, faults) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY_SWEEP)
    folder = tmp_path / "failing"
    ran = _invoke(
        "sweep",
        tmp_path / "tiny.yaml",
        "--workers",
        "1",
        "--out",
        folder,
        "--quiet",
        env={FAIL_RUNS: "1:0"},
    )
    assert ran.exit_code == 1
    (folder / "runs" / "p000002-r0001.parquet").unlink()  # and one run lost
    result = _invoke("report", folder, "--out", tmp_path / "r", "--format", "md")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r" / "report.md").read_text()
    assert "1 of 8 runs failed" in text and "point 1 replicate 0" in text
    assert "1 of 8 runs have no result stored" in text
    assert "Warning: 1 of 8 runs failed" in result.output
    headline = pd.read_csv(tmp_path / "r" / "headline.csv")
    used = headline.groupby("point")["replicates"].first()
    assert used.to_dict() == {0: 2, 1: 1, 2: 1, 3: 2}


def test_a_sweep_whose_runs_all_failed_exits_2(tmp_path: Path, faults) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY_SWEEP)
    every = ",".join(f"{p}:{r}" for p in range(4) for r in range(2))
    ran = _invoke(
        "sweep", tmp_path / "tiny.yaml", "--workers", "1", "--out", tmp_path / "s", "--quiet",
        env={FAIL_RUNS: every},
    )  # fmt: skip
    assert ran.exit_code == 1
    result = _invoke("report", tmp_path / "s", "--out", tmp_path / "r")
    assert result.exit_code == 2
    assert "none of the sweep's 8 runs succeeded" in result.output
    assert "8 of 8 runs failed" in result.output
    assert not (tmp_path / "r" / "report.html").exists()


def test_bad_folders_exit_2_with_one_paragraph(
    runs: dict[str, Path], sweep: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("not a result")
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"kind": "benchmark"}))
    broken = tmp_path / "broken"
    shutil.copytree(runs["baseline"], broken)
    (broken / "annual.parquet").unlink()
    cases = {
        (empty,): "is empty",
        (stray,): "not a talentsim result folder (it has no manifest.json)",
        (other,): "does not name a kind of talentsim result",
        (broken,): "annual.parquet is missing",
        (tmp_path / "nowhere",): "does not exist",
        (runs["baseline"], sweep): "cannot put different kinds of result in one report",
    }
    for folders, message in cases.items():
        result = _invoke("report", *folders, "--out", tmp_path / "out")
        assert result.exit_code == 2, (folders, result.output)
        assert message in result.output, result.output
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert not (tmp_path / "out" / "report.html").exists()
