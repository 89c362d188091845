"""`talentsim discover` and `talentsim.ema`: scenario discovery with the EMA Workbench.

A real sweep (a Latin hypercube over the H-1B approval rate and Chinese tech pay growth, small
pool) is searched for the conditions of a large return wave; PRIM must find the lever the
sweep was built around. The EMA model runs under EMA's own perform_experiments.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from talentsim.cli.main import main
from talentsim.discovery.condition import ConditionError, parse_condition

REPO = Path(__file__).resolve().parents[1]
SWEEP = """name: discovery_test
extends: {baseline}
population: {{agents: 300}}
time: {{end: 2020}}
sweep:
  design: lhs
  points: 24
  replicates: 2
  common_random_numbers: true
  parameters:
    visas.h1b_approval_rate: {{range: [0.5, 0.95]}}
    china.sectors.technology.pay_growth: {{range: [0.02, 0.2]}}
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("discovery")
    path = folder / "sweep.yaml"
    path.write_text(SWEEP.format(baseline=REPO / "scenarios" / "baseline.yaml"), encoding="utf-8")
    out = folder / "sweep"
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def _median(sweep: Path, outcome: str) -> float:
    return float(pd.read_parquet(sweep / "runs.parquet")[outcome].median())


def _discover(sweep: Path, out: Path, *args: str):
    return CliRunner().invoke(main, ["discover", str(sweep), "--out", str(out), *args])


def test_prim_finds_the_lever_behind_a_large_return_wave(sweep: Path, tmp_path: Path) -> None:
    where = f"returns_total > {_median(sweep, 'returns_total'):.0f}"
    out = tmp_path / "prim"
    result = _discover(sweep, out, "--where", where)
    assert result.exit_code == 0, result.output
    limits = pd.read_csv(out / "limits.csv").set_index("parameter")
    # fewer approvals send more people home: the box bounds the approval rate from above
    assert "visas.h1b_approval_rate" in limits.index
    assert limits.loc["visas.h1b_approval_rate", "high"] < 0.9
    assert limits.loc["visas.h1b_approval_rate", "qp_high"] < 0.05
    boxes = pd.read_csv(out / "boxes.csv")
    assert {"coverage", "density", "mass", "res_dim"} <= set(boxes)
    assert boxes["density"].iloc[-1] > boxes["density"].iloc[0]  # peeling concentrates cases
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 24 and points["share"].between(0, 1).all()
    assert set(points["share"].unique()) <= {0.0, 0.5, 1.0}  # two replicates a point
    scores = pd.read_csv(out / "feature_scores.csv").set_index("parameter")
    returns = scores["returns_total"]
    assert returns["visas.h1b_approval_rate"] > returns["china.sectors.technology.pay_growth"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "discovery" and manifest["by"] == "probability"
    assert {"report.md", "tradeoff.png", "box.png", "points.png"} <= set(manifest["files"])
    report = (out / "report.md").read_text()
    assert "50% of its 2 replicates" in report and "visas.h1b_approval_rate" in report
    assert "visas.h1b_approval_rate" in result.output


def test_cart_and_the_mean_rule_are_the_alternatives(sweep: Path, tmp_path: Path) -> None:
    where = f"returns_total > {_median(sweep, 'returns_total'):.0f}"
    result = _discover(sweep, tmp_path / "cart", "--where", where, "--method", "cart")
    assert result.exit_code == 0, result.output
    leaves = pd.read_csv(tmp_path / "cart" / "boxes.csv")
    assert len(leaves) >= 2 and leaves["mass"].sum() == pytest.approx(1.0)
    again = _discover(sweep, tmp_path / "again", "--where", where, "--method", "cart")
    assert again.exit_code == 0, again.output  # the same discovery again: the same files
    for name in ("boxes.csv", "limits.csv", "feature_scores.csv", "points.csv"):
        assert (tmp_path / "again" / name).read_text() == (tmp_path / "cart" / name).read_text()
    mean = _discover(sweep, tmp_path / "mean", "--where", where, "--by", "mean")
    assert mean.exit_code == 0, mean.output
    assert "mean outcomes over its 2 replicates" in (tmp_path / "mean" / "report.md").read_text()


def test_conditions_compare_outcomes_and_refuse_anything_else() -> None:
    rows = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0], "c": [0.0, np.nan, 5.0]})
    names = list(rows)
    assert parse_condition("a > b", names).evaluate(rows).tolist() == [False, False, True]
    both = parse_condition("a >= 2 and not (b < 1.5) or c > 4", names)
    # a row lacking an outcome the condition reads (c, in row 1) does not meet it
    assert both.evaluate(rows).tolist() == [False, False, True]
    assert parse_condition("2 * a - b > 0", names).evaluate(rows).tolist() == [False, True, True]
    assert parse_condition("c >= 0", names).evaluate(rows).tolist() == [True, False, True]
    for bad in (
        "a",
        "a + b",
        "__import__('os').system('x') > 0",
        "a.real > 0",
        "a[0] > 1",
        "a > 'x'",
        "a > True",
        "lambda: 1 > 0",
        "(a := 1) > 0",
        "a >",
    ):
        with pytest.raises(ConditionError):
            parse_condition(bad, names)
    with pytest.raises(ConditionError, match="did you mean 'b'"):
        parse_condition("bb > 1", names)


def _refused(args: list[str], out: Path) -> str:
    result = CliRunner().invoke(main, ["discover", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists(), "nothing is written on bad input"
    return result.output


def test_bad_input_exits_2_and_writes_nothing(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    text = _refused([str(sweep), "--where", "returns_totl > 1"], out)
    assert "unknown outcome 'returns_totl'" in text and "did you mean 'returns_total'" in text
    assert "is not a comparison" in _refused([str(sweep), "--where", "returns_total"], out)
    text = _refused([str(sweep), "--where", "open('/etc/passwd') > 0"], out)
    assert "not a comparison" in text
    text = _refused([str(sweep), "--where", "returns_total > 1e12"], out)
    assert "holds at no point" in text
    assert "not a sweep" in _refused([str(tmp_path), "--where", "returns_total > 1"], out)
    gap = tmp_path / "gap"
    shutil.copytree(sweep, gap)
    (gap / "runs.parquet").unlink()
    for name in sorted((gap / "runs").glob("p*.parquet"))[:3]:
        name.unlink()
    text = _refused([str(gap), "--where", "returns_total > 1"], out)
    assert "lacks 3 of its 48 runs" in text and "--allow-missing" in text
    where = f"returns_total > {_median(sweep, 'returns_total'):.0f}"
    allowed = _discover(gap, out, "--where", where, "--allow-missing")
    assert allowed.exit_code == 0, allowed.output
    assert "3 of 48 missing or failed" in (out / "report.md").read_text()


def test_a_scenario_is_an_ema_workbench_model(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import SequentialEvaluator, perform_experiments
        from ema_workbench.analysis import feature_scoring

    import talentsim

    model = talentsim.ema(
        "baseline",
        {"population.agents": 300, "time.end": 2020},
        uncertainties={"china.sectors.technology.pay_growth": (0.04, 0.16)},
        levers=["visas.h1b_approval_rate"],
        outcomes=["returns_total", "in_us_end", "survey_2017_technology"],
        replications=2,
    )
    assert [p.name for p in model.levers] == ["visas__h1b_approval_rate"]  # an identifier
    assert model.levers[0].lower_bound == 0.0 and model.levers[0].upper_bound == 1.0  # schema
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(
            model, scenarios=3, policies=2, evaluator=evaluator
        )
    assert len(experiments) == 6 and outcomes["returns_total"].shape == (6, 2)
    assert np.isfinite(outcomes["returns_total"]).all()
    # common random numbers: replicate r of every experiment shares its seed, so the same
    # values give the same run, and a function call reproduces EMA's result exactly
    row = experiments.iloc[0]
    values = {
        k: row[k] for k in ("china__sectors__technology__pay_growth", "visas__h1b_approval_rate")
    }
    again = model.function(replicate=1, **values)
    assert again["returns_total"] == outcomes["returns_total"][0, 1]
    scores = feature_scoring.get_feature_scores_all(
        experiments[list(values)], {"returns_total": outcomes["returns_total"].mean(axis=1)}
    )
    assert set(scores.index) == set(values)
