"""Calibration: targets, priors, the distance, parameter recovery, resume, outputs, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib import image as mpimg

from talentsim.calibration.abc import (
    Simulator,
    TargetDistance,
    prepare,
    random_variable,
    summary_statistics,
)
from talentsim.cli import main
from talentsim.evidence.targets import TargetsError, load_targets
from talentsim.model.stages.survey import LEVEL, SECTOR
from talentsim.scenario.calibration_block import Prior
from talentsim.scenario.loader import load_scenario

TRUE = {"china.sectors.technology.demand_growth": 0.35, "careers.returnee_step_up": 0.6}
SMALL = """
extends: talentsim:baseline
name: recovery
seed: 7
# The drawn pool (5 years of burn-in, not the baseline's 30-year spin-up): the recovery tests
# the inference, not the pool, and each simulation costs less.
population: {initial: drawn}
time: {burn_in_years: 5}
entry: {rate: 0.08}
calibration:
  targets: targets.csv
  population: 1500
  parameters:
    china.sectors.technology.demand_growth: {distribution: uniform, low: 0.0, high: 0.7}
    careers.returnee_step_up: {distribution: uniform, low: 0.0, high: 0.9}
  abc: {population_size: 40, generations: GENERATIONS, min_epsilon: 0.3, seed: 11}
"""


def test_the_packaged_targets_and_their_standard_errors() -> None:
    targets = load_targets()
    tech = targets[(targets["category"] == "technology") & (targets["kind"] == "share")]
    assert tech.set_index("year")["value"].to_dict() == {2015: 0.10, 2017: 0.155}
    se_2017 = tech.set_index("year")["se"][2017]
    assert se_2017 == pytest.approx(math.sqrt(0.155 * 0.845 / 1821))
    assert 0.0084 < se_2017 < 0.0086  # "about 0.85 points" (DESIGN.md)
    alt = load_targets(Path(__file__).parents[1] / "src/talentsim/data/survey_targets_alt_2015.csv")
    assert alt[(alt["category"] == "technology") & (alt["year"] == 2015)]["value"].iloc[0] == 0.145


def test_distance_counts_misses_in_standard_errors_and_penalises_ranks() -> None:
    distance = TargetDistance(
        se={"a": 0.01, "b": 0.05}, weight={"a": 1.0, "b": 1.0}, ranks=["r"], rank_penalty=2.0
    )
    observed = {"a": 0.10, "b": 0.50, "r": 1.0}
    one_se_a = {"a": 0.11, "b": 0.50, "r": 1.0}
    one_se_b = {"a": 0.10, "b": 0.55, "r": 1.0}
    assert distance(one_se_a, observed) == pytest.approx(distance(one_se_b, observed))
    assert distance(one_se_a, observed) == pytest.approx(math.sqrt(0.5))
    assert distance(observed, observed) == 0.0
    wrong_rank = {"a": 0.10, "b": 0.50, "r": 0.0}
    assert distance(wrong_rank, observed) == pytest.approx(2.0)
    assert distance({"a": float("nan"), "b": 0.5, "r": 1.0}, observed) == math.inf
    weighted = TargetDistance(
        se={"a": 0.01, "b": 0.05}, weight={"a": 3.0, "b": 1.0}, ranks=[], rank_penalty=0
    )
    assert weighted(one_se_a, observed) > weighted(one_se_b, observed)


def test_priors_respect_their_bounds() -> None:
    np.random.seed(1)  # noqa: NPY002 (pyabc's random variables draw from the global one)
    normal = random_variable(Prior(distribution="normal", mean=0.3, sd=0.2, low=0.0, high=0.5))
    lognormal = random_variable(Prior(distribution="lognormal", median=1.0, sd=1.0, high=2.0))
    draws = np.array([normal.rvs() for _ in range(500)])
    assert draws.min() >= 0.0 and draws.max() <= 0.5
    logs = np.array([lognormal.rvs() for _ in range(500)])
    assert logs.min() > 0 and logs.max() <= 2.0
    assert normal.pdf(0.6) == 0 and lognormal.pdf(3.0) == 0


def test_summary_statistics_from_a_survey() -> None:
    survey = pd.DataFrame(
        [
            {"year": 2015, "measure": SECTOR, "category": "technology", "share": 0.1, "rank": 2},
            {"year": 2015, "measure": SECTOR, "category": "finance", "share": 0.2, "rank": 1},
            {"year": 2017, "measure": LEVEL, "category": "staff", "share": 0.6, "rank": 1},
        ]
    )
    keys = [
        f"share|2015|{SECTOR}|technology",
        f"rank|2015|{SECTOR}|finance",
        f"rank|2015|{SECTOR}|technology",
        f"share|2017|{LEVEL}|staff",
        f"share|2016|{SECTOR}|technology",
    ]
    stats = summary_statistics(survey, keys)
    assert stats[keys[0]] == 0.1 and stats[keys[1]] == 1.0 and stats[keys[2]] == 0.0
    assert stats[keys[3]] == 0.6 and math.isnan(stats[keys[4]])


def test_share_statistic_population_reads_the_returnees_share() -> None:
    """'population' compares the share among the returnees the survey samples from (no
    sampling noise), 'sample' the respondents' share; rankings are unaffected."""
    survey = _sector_survey({"technology": 0.15, "finance": 0.12, "other": 0.73})
    survey["share"] = [0.14, 0.13, 0.73]  # a survey's sample drawn from those returnees
    share, rank = f"share|2017|{SECTOR}|technology", f"rank|2017|{SECTOR}|technology"
    survey.loc[0, "rank"] = 1
    sample = summary_statistics(survey, [share, rank])
    population = summary_statistics(survey, [share, rank], share_statistic="population")
    assert sample[share] == 0.14 and population[share] == 0.15
    assert sample[rank] == population[rank] == 1.0
    # the 'probability' ranking reads the population shares whatever the share statistic
    chance = [
        summary_statistics(survey, [rank], "probability", statistic)[rank]
        for statistic in ("sample", "population")
    ]
    assert chance[0] == chance[1] and 0.9 < chance[0] < 1.0
    with pytest.raises(ValueError, match="share_statistic must be"):
        summary_statistics(survey, [share], share_statistic="populace")


def test_share_statistic_reaches_the_simulation(tmp_path: Path) -> None:
    """`abc.share_statistic` is checked, and a simulation run with 'population' returns the
    simulated returnees' share where 'sample' returns its survey's (same run, same seed)."""
    (tmp_path / "targets.csv").write_text(
        "kind,year,n,measure,category,value\n"
        "share,2015,913,employment sector of returnees,technology,0.1\n"
    )
    text = SMALL.replace("GENERATIONS", "2").replace("seed: 11}", "seed: 11, share_statistic: S}")
    path = tmp_path / "c.yaml"
    path.write_text(text.replace("S}", "populace}"))
    result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "share_statistic" in result.output, result.output
    assert "'sample' or 'population'" in result.output and "Traceback" not in result.output
    path.write_text(text.replace("S}", "population}"))
    setup = prepare(load_scenario(path))
    key = f"share|2015|{SECTOR}|technology"
    values = {"p0": 0.2, "p1": 0.3}
    stats = {}
    for statistic in ("population", "sample"):
        simulator = Simulator(setup.simulator.base, setup.names, [key], "sample", statistic)
        np.random.seed(5)  # noqa: NPY002  (the simulator seeds its run from numpy's generator)
        stats[statistic] = simulator(values)[key]
    np.random.seed(5)  # noqa: NPY002
    assert setup.simulator(values)[key] == stats["population"]
    assert (
        stats["population"] != stats["sample"] and abs(stats["population"] - stats["sample"]) < 0.1
    )


def _sector_survey(shares: dict[str, float], n: int = 1821) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "year": 2017,
                "measure": SECTOR,
                "category": c,
                "share": v,
                "rank": 0,
                "n": n,
                "population_share": v,
            }
            for c, v in shares.items()
        ]
    )


def test_rank_probability_rewards_a_clear_lead() -> None:
    """The 'probability' statistic is the chance of ranking first in a survey of n: near 1
    for a clear lead, near one half for a tie, in between for a lead of one standard error;
    the residual 'other' is drawn but never ranked."""
    key = f"rank|2017|{SECTOR}|technology"

    def p(tech: float, fin: float) -> float:
        rest = 1 - tech - fin - 0.2
        shares = {"technology": tech, "finance": fin, "education": 0.1, "manufacturing": 0.1}
        survey = _sector_survey({**shares, "other": rest})
        return summary_statistics(survey, [key], rank_statistic="probability")[key]

    clear, tie, close = p(0.20, 0.12), p(0.15, 0.15), p(0.155, 0.145)
    assert clear > 0.99 and 0.4 < tie < 0.6 and tie < close < clear
    assert p(0.155, 0.145) == close  # deterministic
    sample = summary_statistics(_sector_survey({"technology": 0.2, "other": 0.8}), [key])
    assert sample[key] == 0.0  # the 'sample' statistic reads the rank column (0 here)
    distance = TargetDistance(se={}, weight={}, ranks=[key], rank_penalty=4.0)
    assert distance({key: 0.75}, {key: 1.0}) == pytest.approx(1.0)
    assert distance({key: float("nan")}, {key: 1.0}) == pytest.approx(4.0)


def _synthetic_targets(folder: Path) -> None:
    """Targets simulated from TRUE (means of ten runs), with the real surveys' sizes."""
    (folder / "targets.csv").write_text(  # a placeholder that surveys 2015 and 2017
        "kind,year,n,measure,category,value\n"
        "share,2015,913,employment sector of returnees,technology,0.1\n"
        "share,2017,1821,employment sector of returnees,technology,0.1\n"
    )
    loaded = load_scenario(_scenario(folder, 3))
    setup = prepare(loaded)
    keys = [
        f"share|2015|{SECTOR}|technology",
        f"share|2017|{SECTOR}|technology",
        f"share|2017|{LEVEL}|staff",
        f"share|2017|{LEVEL}|junior manager",
    ]
    names = dict(zip(("a", "b"), TRUE, strict=True))
    simulator = Simulator(setup.simulator.base, names, keys)
    np.random.seed(3)  # noqa: NPY002
    truth = {name: TRUE[key] for name, key in names.items()}
    runs = pd.DataFrame([simulator(truth) for _ in range(10)]).mean()
    rows = ["kind,year,n,measure,category,value"]
    for key in keys:
        _, year, measure, category = key.split("|")
        rows.append(
            f"share,{year},{1821 if year == '2017' else 913},{measure},{category},{runs[key]:.4f}"
        )
    (folder / "targets.csv").write_text("\n".join(rows) + "\n")


def _scenario(folder: Path, generations: int) -> Path:
    path = folder / "recovery.yaml"
    path.write_text(SMALL.replace("GENERATIONS", str(generations)))
    return path


@pytest.fixture(scope="module")
def recovered(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("recovery")
    _synthetic_targets(folder)
    out = folder / "out"
    result = CliRunner().invoke(
        main,
        ["calibrate", str(_scenario(folder, 2)), "--out", str(out), "--workers", "1", "--quiet"],
    )
    assert result.exit_code == 0, result.output
    resumed = CliRunner().invoke(
        main,
        [
            "calibrate",
            str(_scenario(folder, 4)),
            "--out",
            str(out),
            "--workers",
            "1",
            "--resume",
            "--quiet",
        ],
    )
    assert resumed.exit_code == 0, resumed.output
    return out


def test_parameter_recovery(recovered: Path) -> None:
    summary = pd.read_parquet(recovered / "posterior_summary.parquet").set_index("parameter")
    for key, value in TRUE.items():
        assert summary.loc[key, "q05"] <= value <= summary.loc[key, "q95"], (key, summary)
    width = summary["q95"] - summary["q05"]
    # the targets identify the tech demand growth well (the run gives 0.12 of a prior 0.7
    # wide) and the step-up of returnees loosely, through two position levels (0.36 of 0.9)
    assert width["china.sectors.technology.demand_growth"] < 0.25
    assert width["careers.returnee_step_up"] < 0.6


def test_resume_continues_the_same_history(recovered: Path) -> None:
    import pyabc

    history = pyabc.History(f"sqlite:///{recovered / 'history.db'}", _id=1)
    assert history.max_t == 3  # two generations, then two more on resume
    assert len(history.all_runs()) == 1
    populations = history.get_all_populations()
    assert list(populations[populations["t"] >= 0]["t"]) == [0, 1, 2, 3]
    assert populations["epsilon"].is_monotonic_decreasing


def test_outputs(recovered: Path) -> None:
    for name in (
        "posterior.parquet",
        "manifest.json",
        "calibrated.yaml",
        "posterior_sample.csv",
        "posterior_sample.yaml",
        "predictive.parquet",
        "fit.parquet",
        "report.md",
        "posterior_marginals.png",
        "posterior_pairs.svg",
        "fit.png",
    ):
        assert (recovered / name).is_file(), name
    for name in ("posterior.parquet", "predictive.parquet", "fit.parquet"):
        assert len(pd.read_parquet(recovered / name)) > 0, name
    assert mpimg.imread(recovered / "posterior_marginals.png").shape[1] > 400
    assert mpimg.imread(recovered / "fit.png").shape[1] > 400
    assert "<svg" in (recovered / "posterior_pairs.svg").read_text()
    report = (recovered / "report.md").read_text()
    assert "careers.returnee_step_up" in report and "![" in report
    posterior = pd.read_parquet(recovered / "posterior.parquet")
    assert posterior["weight"].sum() == pytest.approx(1.0) and len(posterior) == 40
    calibrated = load_scenario(recovered / "calibrated.yaml").scenario
    summary = pd.read_parquet(recovered / "posterior_summary.parquet").set_index("parameter")
    mean = float(np.average(posterior["careers.returnee_step_up"], weights=posterior["weight"]))
    assert summary.loc["careers.returnee_step_up", "mean"] == pytest.approx(mean)
    assert calibrated.careers.returnee_step_up == pytest.approx(mean, rel=1e-5)
    ensemble = CliRunner().invoke(
        main, ["sweep", str(recovered / "posterior_sample.yaml"), "--dry-run"]
    )
    assert ensemble.exit_code == 0 and "50 runs" in ensemble.output
    manifest = json.loads((recovered / "manifest.json").read_text())
    assert manifest["kind"] == "calibration" and manifest["generations"] == 4
    assert manifest["abc_seed"] == 11 and len(manifest["targets_sha256"]) == 64
    assert 0 < manifest["simulations"] < manifest["simulations_total"]  # the resumed part only
    # the whole history (both invocations) took longer than the resumed part alone
    assert manifest["history_seconds"] > manifest["abc_seconds"] > 0
    report = (recovered / "report.md").read_text()
    assert (
        "| parameter | mean (calibrated.yaml) | median | 5 % | 95 % |" in report
        and "error (SE)" in report
    )
    from PIL import Image

    with Image.open(recovered / "fit.png") as image:
        assert image.size[0] > 500 and image.size[1] > 200


BAD_TARGETS = {
    "share above one": (
        "share,2017,1821,employment sector of returnees,technology,1.5",
        "must lie in [0, 1]",
    ),
    "unknown category": (
        "share,2017,1821,employment sector of returnees,retail,0.1",
        "the category is not one the model produces",
    ),
    "unknown measure": (
        "share,2017,1821,salary of returnees,technology,0.1",
        "the measure is not one the model produces",
    ),
    "missing sample size": (
        "share,2017,,employment sector of returnees,technology,0.1",
        "the n is missing or not a whole number",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TARGETS))
def test_bad_targets(tmp_path: Path, case: str) -> None:
    row, fragment = BAD_TARGETS[case]
    (tmp_path / "targets.csv").write_text("kind,year,n,measure,category,value\n" + row + "\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["calibrate", str(_scenario(tmp_path, 2)), "--out", str(out)])
    assert result.exit_code == 2 and fragment in result.output, result.output
    assert "targets.csv, row 2" in result.output and not out.exists()


def test_empty_targets_file(tmp_path: Path) -> None:
    (tmp_path / "targets.csv").write_text("")
    result = CliRunner().invoke(
        main, ["calibrate", str(_scenario(tmp_path, 2)), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2 and "cannot be read" in result.output
    with pytest.raises(TargetsError, match="no rows"):
        (tmp_path / "header.csv").write_text("kind,year,n,measure,category,value\n")
        load_targets(tmp_path / "header.csv")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "    careers.returnee_step_up: {distribution: uniform, low: 0.9, high: 0.2}\n",
            "lower bound (0.9) must be below the upper bound (0.2)",
        ),
        (
            "    careers.returnee_stepup: {distribution: uniform, low: 0, high: 1}\n",
            "did you mean 'careers.returnee_step_up'",
        ),
        ("    careers.returnee_step_up: {distribution: normal, mean: 0.2}\n", "needs sd"),
        (
            "    visas.h1b_approval_rate: {distribution: uniform, low: 0.5, high: 1.5}\n",
            "less than or equal to 1",
        ),
    ],
)
def test_bad_priors(tmp_path: Path, text: str, fragment: str) -> None:
    (tmp_path / "targets.csv").write_text(
        "kind,year,n,measure,category,value\nshare,2015,913,employment sector of returnees,"
        "technology,0.1\n"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(
        "extends: talentsim:baseline\ncalibration:\n  targets: targets.csv\n  parameters:\n" + text
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(out)])
    assert result.exit_code == 2 and fragment in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()


def test_no_calibration_block_and_resume_without_history(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["calibrate", "baseline", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no `calibration:` block" in result.output
    (tmp_path / "targets.csv").write_text(
        "kind,year,n,measure,category,value\nshare,2015,913,employment sector of returnees,"
        "technology,0.1\n"
    )
    resume = CliRunner().invoke(
        main,
        ["calibrate", str(_scenario(tmp_path, 2)), "--out", str(tmp_path / "none"), "--resume"],
    )
    assert resume.exit_code == 2 and "no calibration to resume" in resume.output


def test_a_low_acceptance_rate_stops_the_calibration(tmp_path: Path) -> None:
    """`abc.min_acceptance_rate` ends the run after the first generation that falls below it."""

    from talentsim.calibration.abc import make_sampler, run_abc

    path = tmp_path / "stop.yaml"
    path.write_text(
        "extends: talentsim:baseline\n"
        "calibration:\n"
        "  population: 300\n"
        "  parameters:\n"
        "    china.sectors.technology.demand_growth: {distribution: uniform, low: 0, high: 0.7}\n"
        "  abc: {population_size: 8, generations: 6, min_epsilon: 0, "
        "min_acceptance_rate: 0.95, seed: 3}\n"
    )
    setup = prepare(load_scenario(path))
    history = run_abc(setup, tmp_path, make_sampler(setup.config.abc.seed))
    populations = history.get_all_populations()
    accepted = populations[populations["t"] >= 0]
    assert history.max_t < 5  # stopped before the sixth generation
    last = accepted.iloc[-1]
    assert setup.config.abc.population_size / last["samples"] < 0.95


def test_calibration_uses_its_split_and_every_kind(tmp_path: Path) -> None:
    """Validation rows never reach the distance; flows and cohorts do, in their tolerance."""
    (tmp_path / "targets.csv").write_text(
        "id,kind,year,end_year,after_years,measure,category,value,n,tolerance,split\n"
        "a,share,2012,,,employment sector of returnees,technology,0.1,913,,calibration\n"
        "b,growth,2011,2013,,returns,,0.05,,0.04,calibration\n"
        "c,retention,2011,,2,retention,phd,0.9,,0.05,calibration\n"
        "d,flow,2013,,,returns,,30000,,0.2,validation\n",
        encoding="utf-8",
    )
    path = tmp_path / "cal.yaml"
    path.write_text(SMALL.replace("GENERATIONS", "2").replace("1500", "600"), encoding="utf-8")
    setup = prepare(load_scenario(path))
    assert list(setup.targets["id"]) == ["a", "b", "c"]  # d is validation
    assert set(setup.distance.se) == {row.key for row in setup.targets.itertuples()}
    growth = setup.targets.set_index("id").loc["b"]
    assert setup.distance.se[growth.key] == pytest.approx(0.04)  # its tolerance, absolute
    assert setup.simulator.base.time.end == 2013  # the last year a target needs
    statistics = setup.simulator({name: 0.3 for name in setup.names})
    assert set(statistics) == set(setup.observed)
    assert all(math.isfinite(v) for v in statistics.values()), statistics
    assert math.isfinite(setup.distance(statistics, setup.observed))
