"""Calibration by neural posterior estimation: recovery, outputs, resume, reuse, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib import image as mpimg

from talentsim.calibration.abc import Simulator, prepare
from talentsim.calibration.coverage import per_parameter, ranks, tarp
from talentsim.calibration.npe import NpeError
from talentsim.calibration.npe_run import conditioned_targets
from talentsim.cli import main
from talentsim.model.stages.survey import LEVEL, SECTOR
from talentsim.runs.sweep_store import COHORTS, RUNS, SURVEY, TIMESERIES
from talentsim.scenario.loader import load_scenario

TRUE = {"china.sectors.technology.demand_growth": 0.35, "careers.returnee_step_up": 0.6}
PRIORS = """
    china.sectors.technology.demand_growth: {distribution: uniform, low: 0.0, high: 0.7}
    careers.returnee_step_up: {distribution: uniform, low: 0.0, high: 0.9}
"""
SMALL = f"""
extends: talentsim:baseline
name: npe_recovery
seed: 7
# The drawn pool (5 years of burn-in, not the baseline's 30-year spin-up): the recovery tests
# the inference, not the pool, and each simulation costs less.
population: {{initial: drawn}}
time: {{burn_in_years: 5}}
entry: {{rate: 0.08}}
calibration:
  method: npe
  targets: TARGETS
  population: 1500
  parameters:{PRIORS}
  npe: {{simulations: SIMS, held_out: 40, ensemble: 2, samples: 1000, seed: 3}}
"""
KEYS = [
    f"share|2015|{SECTOR}|technology",
    f"share|2017|{SECTOR}|technology",
    f"share|2017|{LEVEL}|staff",
    f"share|2017|{LEVEL}|junior manager",
]


def _scenario(folder: Path, targets: str = "targets.csv", sims: int = 150) -> Path:
    path = folder / f"npe-{Path(targets).stem}-{sims}.yaml"
    path.write_text(SMALL.replace("TARGETS", targets).replace("SIMS", str(sims)))
    return path


def _write_targets(folder: Path, name: str, values: dict[str, float]) -> None:
    rows = ["kind,year,n,measure,category,value"]
    for key, value in values.items():
        _, year, measure, category = key.split("|")
        rows.append(f"share,{year},{1821 if year == '2017' else 913},{measure},{category},{value}")
    (folder / name).write_text("\n".join(rows) + "\n")


def _synthetic_targets(folder: Path) -> dict[str, float]:
    """The means of six runs at TRUE, with the real surveys' sizes."""
    _write_targets(folder, "targets.csv", dict.fromkeys(KEYS, 0.2))
    setup = prepare(load_scenario(_scenario(folder)))
    names = dict(zip(("a", "b"), TRUE, strict=True))
    simulator = Simulator(setup.simulator.base, names, KEYS)
    np.random.seed(5)  # noqa: NPY002
    runs = pd.DataFrame([simulator({n: TRUE[k] for n, k in names.items()}) for _ in range(6)])
    values = {key: round(float(runs[key].mean()), 4) for key in KEYS}
    _write_targets(folder, "targets.csv", values)
    return values


def _calibrate(*args: str) -> object:
    return CliRunner().invoke(main, ["calibrate", *args, "--quiet"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("npe")
    _synthetic_targets(folder)
    out = folder / "out"
    result = _calibrate(str(_scenario(folder)), "--out", str(out), "--workers", "2")
    assert result.exit_code == 0, result.output
    return out


def test_npe_recovers_the_parameters(trained: Path) -> None:
    posterior = pd.read_parquet(trained / "posterior.parquet")
    for key, value in TRUE.items():
        low, high = np.quantile(posterior[key], [0.01, 0.99])
        assert low <= value <= high, (key, low, high)
    prior_width = {"china.sectors.technology.demand_growth": 0.7}
    for key, width in prior_width.items():  # the survey shares identify the growth well
        low, high = np.quantile(posterior[key], [0.05, 0.95])
        assert high - low < width / 3, (key, low, high)


def test_npe_writes_what_abc_writes_and_its_own(trained: Path) -> None:
    for name in (
        "posterior.parquet",
        "posterior_summary.parquet",
        "calibrated.yaml",
        "posterior_sample.csv",
        "posterior_sample.yaml",
        "predictive.parquet",
        "fit.parquet",
        "report.md",
        "posterior_marginals.png",
        "fit.png",
        "coverage.png",
        "estimator.json",
        "estimator_0.pt",
        "estimator_1.pt",
    ):
        assert (trained / name).is_file(), name
    posterior = pd.read_parquet(trained / "posterior.parquet")
    assert len(posterior) == 1000 and posterior["weight"].sum() == pytest.approx(1.0)
    assert mpimg.imread(trained / "coverage.png").shape[1] > 600
    manifest = json.loads((trained / "manifest.json").read_text())
    assert manifest["method"] == "npe" and manifest["kind"] == "calibration"
    first, second = manifest["rounds"]  # half from the priors, half from the truncated prior
    assert (first["run"], second["run"]) == (75, 115)
    assert (first["training_simulations"], second["training_simulations"]) == (75, 150)
    assert 0 < manifest["region_prior_mass"] < 1
    assert manifest["coverage"]["held_out"] == 40
    assert manifest["coverage"]["verdict"] in {"overconfident", "underconfident", "calibrated"}
    report = (trained / "report.md").read_text()
    assert "## Coverage" in report and "![coverage](coverage.png)" in report
    for name, runs in (("simulations", 75), ("simulations_round2", 115)):
        sweep = json.loads((trained / name / "manifest.json").read_text())
        assert sweep["kind"] == "sweep" and sweep["runs"] == runs  # the sweep engine ran them
    assert not (trained.parent / "sbi-logs").exists() and not Path("sbi-logs").exists()


def _statistics(sweep: Path) -> pd.DataFrame:
    """The statistics the workers stored in the runs' rows, by point."""
    runs = pd.read_parquet(sweep / "runs.parquet").set_index("point")
    return runs[[c for c in runs.columns if c.startswith("statistic:")]]


def test_resume_runs_only_what_a_kill_lost(trained: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(trained, copy)
    simulations = copy / "simulations"
    stats = _statistics(simulations)
    assert stats.shape == (75, len(KEYS)) and stats.notna().all().all()
    lost = sorted(simulations.joinpath(RUNS).glob("p*.parquet"))[-7:]
    for file in lost:  # as if killed before these runs were stored
        for sub in (RUNS, TIMESERIES, SURVEY, COHORTS):
            (simulations / sub / file.name).unlink(missing_ok=True)
    scenario = next(trained.parent.glob("npe-targets-150.yaml"))
    result = _calibrate(str(scenario), "--out", str(copy), "--resume", "--workers", "1")
    assert result.exit_code == 0, result.output
    manifest = json.loads((copy / "manifest.json").read_text())
    first, second = manifest["rounds"]
    assert (first["run"], first["stored_before"]) == (7, 68)
    assert (second["run"], second["stored_before"]) == (0, 115)  # its stored design is kept
    again = _statistics(simulations)
    # the runs done again, on one worker instead of two, give the same statistics
    pd.testing.assert_frame_equal(again, stats)
    first = pd.read_parquet(trained / "posterior_summary.parquet")
    second = pd.read_parquet(copy / "posterior_summary.parquet")
    pd.testing.assert_frame_equal(first, second)  # same simulations and seeds: same posterior


def test_reuse_conditions_the_trained_estimator_on_other_targets(
    trained: Path, tmp_path: Path
) -> None:
    folder = trained.parent
    values = json.loads(json.dumps(_read_targets(folder / "targets.csv")))
    values[KEYS[1]] = round(values[KEYS[1]] + 0.06, 4)  # a larger 2017 technology share
    _write_targets(folder, "higher.csv", values)
    out = tmp_path / "refit"
    result = _calibrate(
        str(_scenario(folder)),
        "--targets",
        str(folder / "higher.csv"),
        "--reuse",
        str(trained),
        "--out",
        str(out),
        "--workers",
        "2",
    )
    assert result.exit_code == 0, result.output
    assert not (out / "simulations").exists() and not (out / "estimator_0.pt").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["reused"] == str(trained)
    assert 0 <= manifest["inside_trained_region"] <= 1
    assert "inside the region the last round was trained on" in (out / "report.md").read_text()
    key = "china.sectors.technology.demand_growth"
    before = pd.read_parquet(trained / "posterior_summary.parquet").set_index("parameter")
    after = pd.read_parquet(out / "posterior_summary.parquet").set_index("parameter")
    assert after.loc[key, "median"] > before.loc[key, "median"]  # faster growth fits it


def _read_targets(path: Path) -> dict[str, float]:
    frame = pd.read_csv(path)
    return {f"share|{r.year}|{r.measure}|{r.category}": float(r.value) for r in frame.itertuples()}


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("no estimator", "holds no trained estimator"),
        ("other parameters", "other parameters"),
        ("other statistics", "other statistics"),
        ("abc", "only a calibration with `calibration.method: npe`"),
        ("other prior", "were run from another scenario, priors"),
        ("other order", "or in another order"),
        ("corrupt weights", "is not the weights of this estimator"),
        ("corrupt design", "design.parquet is unreadable"),
        ("corrupt run", "is not a readable Parquet table of a training simulation"),
        ("no observed", "lacks `observed`"),
    ],
)
def test_bad_reuse(trained: Path, tmp_path: Path, case: str, fragment: str) -> None:
    folder = trained.parent
    scenario = _scenario(folder)
    reuse = trained
    targets: list[str] = []
    if case == "no estimator":
        reuse = tmp_path / "empty"
        reuse.mkdir()
    elif case == "other parameters":
        text = scenario.read_text().replace("    careers.returnee_step_up", "    #")
        scenario = tmp_path / "one.yaml"
        scenario.write_text(text.replace("targets.csv", str(folder / "targets.csv")))
    elif case == "other statistics":
        values = _read_targets(folder / "targets.csv")
        values.pop(KEYS[3])
        _write_targets(tmp_path, "fewer.csv", values)
        targets = ["--targets", str(tmp_path / "fewer.csv")]
    elif case == "other prior":
        text = scenario.read_text().replace("low: 0.0, high: 0.7", "low: 0.0, high: 0.6")
        scenario = tmp_path / "prior.yaml"
        scenario.write_text(text.replace("targets.csv", str(folder / "targets.csv")))
    elif case == "other order":
        values = _read_targets(folder / "targets.csv")
        _write_targets(tmp_path, "swapped.csv", dict(reversed(list(values.items()))))
        targets = ["--targets", str(tmp_path / "swapped.csv")]
    elif case == "abc":
        text = scenario.read_text().replace("method: npe", "method: abc")
        scenario = tmp_path / "abc.yaml"
        scenario.write_text(text.replace("targets.csv", str(folder / "targets.csv")))
    else:  # a damaged copy of the trained folder
        reuse = tmp_path / "copy"
        shutil.copytree(trained, reuse)
        _damage(reuse, case)
    out = tmp_path / "out"
    result = _calibrate(str(scenario), *targets, "--reuse", str(reuse), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert "Invalid scenario" not in result.output  # an option, not a scenario key
    assert "SECRET" not in result.output  # a damaged file's content is not shown
    assert not out.exists()  # nothing written


def _damage(folder: Path, case: str) -> None:
    if case == "corrupt weights":
        (folder / "estimator_0.pt").write_text("SECRET not torch weights")
    elif case == "corrupt design":
        (folder / "simulations" / "design.parquet").write_text("SECRET")
    elif case == "corrupt run":  # no statistics in the rows, nor cached: read from the tables
        (folder / "simulations" / "runs.parquet").write_text("SECRET")
        (folder / "simulations" / "statistics.parquet").unlink(missing_ok=True)
        next((folder / "simulations" / SURVEY).iterdir()).write_text("SECRET")
    else:
        description = json.loads((folder / "estimator.json").read_text())
        del description["observed"]
        (folder / "estimator.json").write_text(json.dumps(description))


def test_reuse_reads_and_never_writes_the_reused_folder(trained: Path, tmp_path: Path) -> None:
    reuse = tmp_path / "copy"
    shutil.copytree(trained, reuse)
    # the rows' statistics and the cache unreadable: recomputed from the tables, not written
    (reuse / "simulations" / "runs.parquet").write_text("not parquet")
    (reuse / "simulations" / "statistics.parquet").write_text("not parquet")
    before = {p: p.read_bytes() for p in reuse.rglob("*") if p.is_file()}
    out = tmp_path / "refit"
    result = _calibrate(str(_scenario(trained.parent)), "--reuse", str(reuse), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert {p: p.read_bytes() for p in reuse.rglob("*") if p.is_file()} == before
    before_fit = pd.read_parquet(trained / "posterior_summary.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior_summary.parquet"), before_fit)


@pytest.mark.parametrize(
    ("replace", "fragment"),
    [
        (("method: npe", "method: nle"), "calibration.method"),
        (("simulations: 150", "simulations: 30"), "too few for 2 free parameters"),
        (("seed: 3}", "seed: 3, leave_out: [salary]}"), "calibration.npe.leave_out"),
        (("seed: 3}", "seed: 3, refine: {simulations: 10}}"), "fewer than 4 weighted draws"),
    ],
)
def test_bad_npe_settings(tmp_path: Path, replace: tuple[str, str], fragment: str) -> None:
    _write_targets(tmp_path, "targets.csv", dict.fromkeys(KEYS, 0.2))
    scenario = _scenario(tmp_path)
    scenario.write_text(scenario.read_text().replace(*replace))
    out = tmp_path / "out"
    result = _calibrate(str(scenario), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_coverage_of_an_exact_posterior_is_the_diagonal() -> None:
    """Draws from the true posterior of a conjugate normal model cover as they claim."""
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(400, 2))
    observed = truth + rng.normal(size=truth.shape)  # x = theta + noise, prior N(0, 1)
    draws = observed / 2 + rng.normal(size=(300, *truth.shape)) * np.sqrt(0.5)
    table = per_parameter(ranks(draws, truth), ["a", "b"])
    at90 = table[table["level"] == 0.9]["coverage"]
    assert ((at90 > 0.84) & (at90 < 0.96)).all()
    narrow = observed / 2 + rng.normal(size=draws.shape) * 0.2  # too narrow: overconfident
    assert (
        per_parameter(ranks(narrow, truth), ["a", "b"]).query("level == 0.9")["coverage"] < 0.6
    ).all()
    alpha, ecp = tarp(draws, truth, seed=1)
    assert np.abs(ecp - alpha).max() < 0.1
    _, narrow_ecp = tarp(narrow, truth, seed=1)
    assert (narrow_ecp - alpha)[len(alpha) // 2 :].mean() < -0.1


def test_a_later_round_is_another_sweep_for_other_observed_values(tmp_path: Path) -> None:
    """Round 2 is drawn around the targets: other values, other runs (round 1 is shared)."""
    from talentsim.calibration.training import prior_draws, training_plan

    _write_targets(tmp_path, "targets.csv", dict.fromkeys(KEYS, 0.2))
    loaded = load_scenario(_scenario(tmp_path))
    setup = prepare(loaded)
    table = prior_draws(setup.config.parameters, 4, 0)

    def name(stage: int, observed: list[float]) -> str:
        plan = training_plan(loaded, setup, tmp_path, stage, table, KEYS, observed)
        return plan.scenario.sweep.table

    assert name(1, [0.2] * 4) == name(1, [0.3] * 4)
    assert name(2, [0.2] * 4) != name(2, [0.3] * 4)
    assert name(2, [0.2] * 4) == name(2, [0.2] * 4)


def test_refinement_keeps_the_closest_weighted_by_prior_over_proposal(
    trained: Path, tmp_path: Path
) -> None:
    """A re-fit with refinement runs its own simulations and keeps the closest, weighted."""
    scenario = _scenario(trained.parent)
    out = tmp_path / "refined"
    refine = ["--set", "calibration.npe.refine.simulations=60"]
    refine += ["--set", "calibration.npe.refine.keep=0.25"]
    args = [str(scenario), *refine, "--reuse", str(trained), "--out", str(out)]
    result = _calibrate(*args, "--workers", "2")
    assert result.exit_code == 0, result.output
    assert _statistics(out / "simulations_refine").shape == (60, len(KEYS))
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert len(posterior) == 15 and posterior["weight"].sum() == pytest.approx(1.0)
    assert posterior["weight"].nunique() > 1  # prior over proposal: not equal weights
    info = json.loads((out / "manifest.json").read_text())["refine"]
    assert info["kept"] == 15 and info["distance_threshold"] <= info["distance_median_all"]
    assert "## Refinement" in (out / "report.md").read_text()


def test_refinement_keeps_ties_and_skips_missing_statistics() -> None:
    from talentsim.calibration.refine import select

    distances = np.array([3.0, 1.0, np.inf, 2.0, 1.0, 5.0])
    kept, threshold = select(distances, np.zeros(6), keep=0.3)  # 0.3 x 5 finite: 2 rows
    assert threshold == 1.0 and kept.tolist() == [False, True, False, False, True, False]
    kept, _ = select(distances, np.array([0, 0, 0, -np.inf, 0, 0.0]), keep=0.75)
    assert kept.tolist() == [True, True, False, False, True, False]  # 2.0's weight is 0


def test_coverage_checks_round_trip_through_their_file(tmp_path) -> None:
    import numpy as np
    import pandas as pd

    from talentsim.calibration.coverage import Coverage

    table = pd.DataFrame(
        {"parameter": ["a", "a"], "level": [0.5, 0.9], "coverage": [0.4, 0.95], "se": [0.03, 0.02]}
    )
    checks = Coverage(table, np.linspace(0, 1, 5), np.linspace(0, 0.9, 5), 0.013, 0.4, 200)
    assert Coverage.load(tmp_path) is None
    checks.save(tmp_path)
    again = Coverage.load(tmp_path)
    pd.testing.assert_frame_equal(again.per_parameter, table)
    assert (again.tarp_ecp == checks.tarp_ecp).all() and again.summary() == checks.summary()
    (tmp_path / "coverage.json").write_text("[1, 2]")
    assert Coverage.load(tmp_path) is None  # not the checks: computed again


def test_leave_out_names_a_measure_or_one_of_its_categories(tmp_path: Path) -> None:
    _write_targets(tmp_path, "targets.csv", dict.fromkeys(KEYS, 0.2))
    scenario = _scenario(tmp_path)
    text = scenario.read_text()

    def kept(leave_out: str) -> list[str]:
        scenario.write_text(text.replace("seed: 3}", f"seed: 3, leave_out: [{leave_out}]}}"))
        return list(conditioned_targets(prepare(load_scenario(scenario)))["key"])

    assert kept(f"'{LEVEL}'") == KEYS[:2]
    assert kept(f"'{LEVEL}|staff'") == [*KEYS[:2], KEYS[3]]
    assert kept(f"'{SECTOR}|technology', '{LEVEL}|junior manager'") == [KEYS[2]]
    with pytest.raises(NpeError, match="measure\\|category"):
        kept(f"'{LEVEL}|director'")
