"""`talentsim compare`: differences from a baseline with intervals, on real runs; bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib import image as mpimg
from scipy import stats

from talentsim.cli import main

REPO = Path(__file__).resolve().parents[1]
SMALL_RUN = [
    "--replicates",
    "3",
    "--set",
    "population.agents=500",
    "--set",
    "time.end=2018",
    "--set",
    "time.burn_in_years=2",
    "--quiet",
]


def _invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Baseline and H-1B tightening (same seed), the baseline on another seed, a shorter run."""
    root = tmp_path_factory.mktemp("compare_runs")
    specs = {
        "baseline": ("baseline",),
        "h1b": ("h1b_tightening",),
        "reseeded": ("baseline", "--seed", "99"),
        "short": ("baseline", "--set", "time.end=2017"),  # after SMALL_RUN's time.end
        "more_agents": ("baseline", "--set", "population.agents=600"),
    }
    for name, args in specs.items():
        result = _invoke("run", *SMALL_RUN, *args, "--out", root / name)  # args win
        assert result.exit_code == 0, result.output
    return {name: root / name for name in specs}


@pytest.fixture(scope="module")
def compared(runs: dict[str, Path], tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("compared") / "out"
    result = _invoke("compare", runs["baseline"], runs["h1b"], runs["reseeded"], "--out", out)
    assert result.exit_code == 0, result.output
    return out, result.output


def _replicates(folder: Path, year: int, column: str) -> pd.Series:
    annual = pd.read_parquet(folder / "annual.parquet")
    return annual[annual["year"] == year].set_index("replicate")[column].sort_index()


def test_compare_writes_table_markdown_and_figure(compared: tuple[Path, str]) -> None:
    out, printed = compared
    assert "<svg" in (out / "compare.svg").read_text()
    assert "| scenario |" in (out / "compare.md").read_text()
    pixels = mpimg.imread(out / "compare.png")
    assert pixels.shape[:2] == (1080, 1560)  # 8 outcomes in a 3 x 3 grid, 100 dpi
    assert (pixels[..., :3] < 0.95).any(axis=2).mean() > 0.02  # not blank
    table = pd.read_csv(out / "compare.csv")
    # two scenarios are named "baseline": the folders' names tell them apart
    assert set(table["scenario"]) == {"h1b", "reseeded"}
    assert set(table["baseline"]) == {"baseline"}
    assert set(table["year"]) == set(range(2010, 2019))
    assert {"returns", "in_us", "share_technology", "share_finance"} <= set(table["outcome"])
    text = (out / "compare.md").read_text()
    assert "](compare.png)" in text and "paired t" in text and "Welch t" in text
    assert "Difference from" in printed and "paired t (common random numbers)" in printed


def test_same_seed_pairs_replicates_and_agrees_before_the_policy(
    compared: tuple[Path, str], runs: dict[str, Path]
) -> None:
    table = pd.read_csv(compared[0] / "compare.csv")
    h1b = table[table["method"].str.startswith("paired")]
    assert h1b["scenario"].nunique() == 1
    before = h1b[h1b["year"] < 2017]  # H-1B approvals tighten from 2017
    assert (before["difference"] == 0).all() and (before["lo"] == 0).all()
    row = h1b.query("outcome == 'returns' and year == 2018").iloc[0]
    base = _replicates(runs["baseline"], 2018, "returns")
    other = _replicates(runs["h1b"], 2018, "returns")
    assert row["difference"] == pytest.approx(other.mean() - base.mean())
    expected = stats.ttest_rel(other, base).confidence_interval(0.95)
    assert np.isfinite(expected.low) and row["lo"] < row["difference"] < row["hi"]
    assert (row["lo"], row["hi"]) == pytest.approx((expected.low, expected.high))


def test_other_seed_uses_welch(compared: tuple[Path, str], runs: dict[str, Path]) -> None:
    table = pd.read_csv(compared[0] / "compare.csv")
    welch = table[table["method"].str.startswith("Welch")]
    row = welch.query("outcome == 'in_us' and year == 2015").iloc[0]
    base = _replicates(runs["baseline"], 2015, "in_us")
    other = _replicates(runs["reseeded"], 2015, "in_us")
    expected = stats.ttest_ind(other, base, equal_var=False).confidence_interval(0.95)
    assert row["difference"] == pytest.approx(other.mean() - base.mean())
    assert (row["lo"], row["hi"]) == pytest.approx((expected.low, expected.high))
    assert row["lo"] < row["difference"] < row["hi"]


def test_bad_input_exits_2(runs: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(runs["h1b"], broken)
    (broken / "survey.parquet").unlink()
    sweep_like = tmp_path / "sweep_like"
    sweep_like.mkdir()
    (sweep_like / "manifest.json").write_text('{"kind": "calibration"}')
    cases = {
        (runs["baseline"],): "at least two run folders",
        (runs["baseline"], runs["short"]): "different pools or periods (time.end differ)",
        (runs["baseline"], runs["more_agents"]): "(population.agents differ)",
        (runs["baseline"], broken): "survey.parquet is missing",
        (runs["baseline"], REPO / "scenarios" / "h1b_tightening.yaml"): "is a scenario file",
        (runs["baseline"], tmp_path / "empty_nonexistent"): "does not exist",
        (runs["baseline"], sweep_like): "compare takes run folders",
    }
    for folders, message in cases.items():
        result = _invoke("compare", *folders, "--out", tmp_path / "out")
        assert result.exit_code == 2, (folders, result.output)
        assert message in result.output, result.output
        assert result.output.startswith("Error: ")
    assert not (tmp_path / "out").exists()


def test_cells_never_print_negative_zero() -> None:
    """A difference that rounds to zero prints as +0.0, whatever its sign before rounding."""
    from talentsim.reports.compare import _cell

    share = pd.Series({"unit": "share", "difference": -0.0004, "lo": -0.03, "hi": 0.0002})
    assert _cell(share) == "+0.0 pp [-3.0, +0.0]"
    count = pd.Series({"unit": "people", "difference": -0.4, "lo": np.nan, "hi": np.nan})
    assert _cell(count) == "+0 [n/a]"
    big = pd.Series({"unit": "people", "difference": 1234.0, "lo": 800.0, "hi": 1700.0})
    assert _cell(big) == "+1,234 [+800, +1,700]"
