"""talentsim sensitivity: SALib samples run through the sweep machinery, on tiny real runs.

The tiny scenario switches talent programmes off (`macro.talent_programme: 0`), so that
`macro.programme_pay_bonus`, one of its three parameters, has no effect at all; with common
random numbers its runs are identical to those it is compared with, and a correct analysis
must give it indices of exactly zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from SALib.sample import sobol

from faults import FAIL_RUNS
from talentsim.cli import main
from talentsim.scenario.loader import load_scenario
from talentsim.sensitivity.plan import parameter_problem

REPO = Path(__file__).resolve().parents[1]
STRONG, PAY, INERT = (
    "visas.h1b_approval_rate",
    "china.sectors.technology.pay_growth",
    "macro.programme_pay_bonus",
)
OUTCOMES = ["returns_per_year", "tech_share", "in_us_end"]
TINY = f"""
name: tiny_sensitivity
extends: {REPO / "scenarios" / "baseline.yaml"}
population: {{agents: 200}}
time: {{end: 2018, burn_in_years: 1}}
macro: {{talent_programme: 0.0}}  # programme_pay_bonus multiplies zero: it does nothing
sweep:
  design: lhs
  points: 4
  replicates: 2
  common_random_numbers: true
  parameters:
    {STRONG}: {{range: [0.5, 0.95]}}
    {PAY}: {{range: [0.04, 0.16]}}
    {INERT}: {{range: [0.0, 1.0]}}
"""
N = 8  # 8 x (3 + 2) = 40 points, 80 runs


def _sensitivity(scenario: Path, out: Path, *args: str):
    return CliRunner().invoke(
        main, ["sensitivity", str(scenario), "--out", str(out), "--workers", "1", "--quiet", *args]
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sensitivity") / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def sobol_run(tiny: Path) -> Path:
    out = tiny.parent / "sobol"
    result = _sensitivity(tiny, out, "--n", str(N))
    assert result.exit_code == 0, result.output
    assert f"{N * 5 * 2} runs done now, 0 already stored" in result.output
    return out


def _indices(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "indices.parquet").set_index(["outcome", "parameter"])


def test_sobol_writes_its_files_with_the_expected_columns(sobol_run: Path) -> None:
    for name in (
        "indices.parquet",
        "indices.csv",
        "convergence.csv",
        "replicate_noise.csv",
        "points.parquet",
        "sensitivity.md",
        "sensitivity.json",
        f"salib-sobol-n{N}-seed0.csv",
        "runs.parquet",
        "manifest.json",
    ):
        assert (sobol_run / name).is_file(), name
    indices = pd.read_csv(sobol_run / "indices.csv")
    assert list(indices.columns) == ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(indices) == 9 and set(indices["outcome"]) == set(OUTCOMES)
    assert np.isfinite(indices[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy()).all()
    runs = pd.read_parquet(sobol_run / "runs.parquet")
    assert len(runs) == 80 and (runs["status"] == "ok").all()
    for suffix in ("png", "svg"):
        assert (sobol_run / f"sensitivity.{suffix}").stat().st_size > 10_000
    text = (sobol_run / "sensitivity.md").read_text()
    assert "averaged before the analysis" in text and "N/2 = 4 against N = 8" in text


def test_the_design_is_the_saltelli_sample_and_its_first_half_the_sample_of_n_half(
    sobol_run: Path,
) -> None:
    design = pd.read_parquet(sobol_run / "design.parquet")
    problem = {
        "num_vars": 3,
        "names": [STRONG, PAY, INERT],
        "bounds": [[0.5, 0.95], [0.04, 0.16], [0.0, 1.0]],
    }
    full = sobol.sample(problem, N, calc_second_order=False, seed=0)
    np.testing.assert_allclose(design[[STRONG, PAY, INERT]].to_numpy(), full)
    half = sobol.sample(problem, N // 2, calc_second_order=False, seed=0)
    np.testing.assert_allclose(full[: len(half)], half)


def test_a_parameter_that_does_nothing_gets_zero_and_a_strong_lever_does_not(
    sobol_run: Path,
) -> None:
    indices = _indices(sobol_run)
    for outcome in OUTCOMES:
        assert indices.loc[(outcome, INERT), "ST"] == pytest.approx(0, abs=1e-12)
        assert indices.loc[(outcome, INERT), "S1"] == pytest.approx(0, abs=1e-12)
        assert indices.loc[(outcome, STRONG), "ST"] > 0.01
    # the H-1B approval rate drives who stays in the US: it is the top lever there
    in_us = indices.loc["in_us_end", "ST"]
    assert in_us.idxmax() == STRONG and in_us[STRONG] > 0.1


def test_convergence_and_replicate_noise_are_reported(sobol_run: Path) -> None:
    check = pd.read_csv(sobol_run / "convergence.csv")
    assert list(check["outcome"]) == OUTCOMES
    assert (check["n_half"] == N // 2).all() and (check["n"] == N).all()
    assert np.isfinite(check["ST_max_abs_change"]).all() and (check["ST_max_abs_change"] >= 0).all()
    assert set(check["ST_changed_most"]) <= {STRONG, PAY, INERT}
    noise = pd.read_csv(sobol_run / "replicate_noise.csv")
    assert list(noise["outcome"]) == OUTCOMES and (noise["replicates"] == 2).all()
    assert ((noise["between_replicates"] > 0) & (noise["between_replicates"] <= 1)).all()
    # the analysed outcomes are the means of the two replicates of each point
    runs = pd.read_parquet(sobol_run / "runs.parquet")
    points = pd.read_parquet(sobol_run / "points.parquet").set_index("point")
    mean = runs.groupby("point")["in_us_end"].mean()
    np.testing.assert_allclose(points["in_us_end"], mean)


def test_running_again_reruns_nothing(sobol_run: Path, tiny: Path) -> None:
    stamps = {f: f.stat().st_mtime_ns for f in (sobol_run / "runs").glob("*.parquet")}
    result = _sensitivity(tiny, sobol_run, "--n", str(N))
    assert result.exit_code == 0, result.output
    assert "0 runs done now, 80 already stored" in result.output
    assert {f: f.stat().st_mtime_ns for f in (sobol_run / "runs").glob("*.parquet")} == stamps


def test_morris_gives_mu_star_and_sigma_with_intervals(tiny: Path, faults) -> None:
    out = tiny.parent / "morris"
    args = ["--method", "morris", "--n", "4", "--replicates", "1"]
    failed = CliRunner().invoke(
        main,
        ["sensitivity", str(tiny), "--out", str(out), "--workers", "1", "--quiet", *args],
        env={FAIL_RUNS: "3:0"},
    )
    # a run that fails: exit 1, nothing analysed; running again retries only that run
    assert failed.exit_code == 1 and "1 of 16 runs failed: nothing analysed" in failed.output
    assert not (out / "indices.csv").exists()
    result = _sensitivity(tiny, out, *args)
    assert result.exit_code == 0, result.output
    assert "1 runs done now, 15 already stored" in result.output
    indices = _indices(out)
    assert list(indices.columns) == ["mu_star", "mu_star_conf", "sigma", "sigma_conf"]
    assert np.isfinite(indices.loc[[(o, STRONG) for o in OUTCOMES]].to_numpy()).all()
    for outcome in OUTCOMES:
        assert indices.loc[(outcome, INERT), "mu_star"] == 0
    assert indices.loc[("in_us_end", STRONG), "mu_star"] > 0
    check = pd.read_csv(out / "convergence.csv")
    assert "mu_star_max_abs_change" in check and (check["n_half"] == 2).all()
    assert len(pd.read_parquet(out / "design.parquet")) == 4 * 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n", "12"], "power of 2"),
        (["--n", "2"], "at least 4"),
        (["--method", "fast"], "Invalid value for '--method'"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(
    tiny: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = _sensitivity(tiny, tmp_path / "out", *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_a_scenario_without_parameters_exits_2(tmp_path: Path) -> None:
    result = _sensitivity(REPO / "scenarios" / "baseline.yaml", tmp_path / "out")
    assert result.exit_code == 2 and "no parameters to analyse" in result.output
    assert not (tmp_path / "out").exists()


def test_an_unknown_parameter_exits_2(tiny: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace(INERT, "macro.programme_pay_bonuses"))
    result = _sensitivity(bad, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "not a numeric parameter" in result.output and "programme_pay_bonus'" in result.output
    assert not (tmp_path / "out").exists()


def test_a_folder_of_another_sample_is_refused(sobol_run: Path, tiny: Path) -> None:
    before = sorted(p.name for p in sobol_run.iterdir())
    result = _sensitivity(tiny, sobol_run, "--n", "16")
    assert result.exit_code == 2 and "another sweep" in result.output, result.output
    assert sorted(p.name for p in sobol_run.iterdir()) == before


def test_parameters_come_from_the_calibration_block_without_a_sweep(tmp_path: Path) -> None:
    path = tmp_path / "calibrated.yaml"
    path.write_text(
        f"extends: {REPO / 'scenarios' / 'baseline.yaml'}\n"
        "calibration:\n"
        "  parameters:\n"
        f"    {STRONG}: {{low: 0.6, high: 0.9}}\n"
        f"    {PAY}: {{distribution: normal, mean: 0.1, sd: 0.01}}\n"
    )
    problem = parameter_problem(load_scenario(path).scenario)
    assert problem.source == "calibration" and problem.keys == (STRONG, PAY)
    assert problem.bounds[0] == (0.6, 0.9)
    low, high = problem.bounds[1]  # the 0.5 % and 99.5 % quantiles of the prior
    assert low == pytest.approx(0.1 - 2.5758 * 0.01, abs=1e-4)
    assert high == pytest.approx(0.1 + 2.5758 * 0.01, abs=1e-4)
