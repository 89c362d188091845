"""`talentsim score`: every kind of target scored from a real run folder, bad rows refused.

The simulated values are recomputed here by hand from the folder's own Parquet tables
(annual, survey, cohorts), so a wrong rule in talentsim.evidence shows as a mismatch.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from talentsim.cli import main
from talentsim.evidence.targets import builtin_targets_path, last_year, load_targets
from talentsim.render.score_figure import scaled

HEADER = "id,kind,year,end_year,after_years,measure,category,value,n,tolerance,split\n"
GOOD = {
    "A": "share,2015,,,employment sector of returnees,technology,0.10,913,,calibration",
    "B": "rank,2015,,,largest employment sector of returnees,finance,1,913,,calibration",
    "C": "rank,2015,,,largest employment sector of returnees,finance>technology,1,,,validation",
    "D": "flow,2014,,,returns,,30000,,0.25,validation",
    "E": "stock,2015,,,in_us_phd,,100000,,0.25,validation",
    "F": "growth,2012,2015,,returns,,0.05,,0.03,validation",
    "G": "ratio,2014,,,returns_master+returns_phd / returns,,0.5,,0.1,validation",
    "H": "retention,2011,,3,retention,phd,0.9,200,,validation",
    "I": "retention,2010,,4,retention,sv_tech,0.8,,0.05,validation",
}


def targets_file(folder: Path, rows: dict[str, str]) -> Path:
    path = folder / "targets.csv"
    path.write_text(HEADER + "".join(f"{k},{v}\n" for k, v in rows.items()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("score") / "run"
    args = ["run", "--set", "population.agents=1500", "--set", "time.end=2016"]
    result = CliRunner().invoke(main, [*args, "--replicates", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def score(run_folder: Path, targets: Path, out: Path) -> pd.DataFrame:
    result = CliRunner().invoke(
        main, ["score", str(run_folder), "--targets", str(targets), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "within" in result.output
    return pd.read_csv(out / "score.csv", keep_default_na=False, na_values=[""])


def test_every_kind_is_scored_as_recomputed_by_hand(run_folder: Path, tmp_path: Path) -> None:
    table = score(run_folder, targets_file(tmp_path, GOOD), tmp_path / "out").set_index("id")
    annual = pd.read_parquet(run_folder / "annual.parquet").set_index(["replicate", "year"])
    survey = pd.read_parquet(run_folder / "survey.parquet")
    cohorts = pd.read_parquet(run_folder / "cohorts.parquet")
    reps = range(3)

    def col(name: str, year: int) -> np.ndarray:
        return np.array([annual.loc[(r, year), name] for r in reps])

    expected = {
        "D": np.median(col("returns", 2014)),
        "E": np.median(col("in_us_phd", 2015)),
        "F": np.median((col("returns", 2015) / col("returns", 2012)) ** (1 / 3) - 1),
        "G": np.median(
            (col("returns_master", 2014) + col("returns_phd", 2014)) / col("returns", 2014)
        ),
    }
    for group, cohort, after, key in (("phd", 2011, 3, "H"), ("sv_tech", 2010, 4, "I")):
        rows = cohorts[
            (cohorts["group"] == group)
            & (cohorts["cohort"] == cohort)
            & (cohorts["years_after"] == after)
        ]
        assert len(rows) == 3
        expected[key] = np.median(rows["in_us"] / rows["entered"])
    tech = survey[(survey["year"] == 2015) & (survey["category"] == "technology")]
    expected["A"] = np.median(tech[tech["measure"] == "employment sector of returnees"]["share"])
    for key, value in expected.items():
        assert table.loc[key, "median"] == pytest.approx(value, rel=1e-9), key
        assert table.loc[key, "runs"] == 3
    sectors = survey[
        (survey["year"] == 2015) & (survey["measure"] == "employment sector of returnees")
    ]
    finance_first = sectors[sectors["category"] == "finance"]["rank"].eq(1).mean()
    assert table.loc["B", "median"] == pytest.approx(finance_first)
    # errors in their units, and within as stated
    assert table.loc["D", "error"] == pytest.approx(expected["D"] / 30000 - 1)
    assert bool(table.loc["D", "within"]) == (abs(expected["D"] / 30000 - 1) <= 0.25)
    se = np.sqrt(0.9 * 0.1 / 200)
    assert table.loc["H", "error"] == pytest.approx((expected["H"] - 0.9) / se)
    assert table.loc["F", "error"] == pytest.approx(expected["F"] - 0.05)
    assert (tmp_path / "out" / "score.md").read_text().count("|") > 20
    # the figure's scale: a target is within exactly when its median is inside [-1, 1]
    points = scaled(table.reset_index()).set_index("id")
    assert (points["median"].abs() <= 1 + 1e-12).eq(points["within"].astype(bool)).all()
    assert points.loc["H", "median"] == pytest.approx((expected["H"] - 0.9) / (2 * se))
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {"score.png", "score.svg"} <= set(manifest["files"])
    assert (tmp_path / "out" / "score.png").stat().st_size > 10_000


def test_cohort_table_is_consistent(run_folder: Path) -> None:
    cohorts = pd.read_parquet(run_folder / "cohorts.parquet")
    assert (cohorts["years_after"] == cohorts["year"] - cohorts["cohort"]).all()
    assert (cohorts["in_us"] + cohorts["in_china"] <= cohorts["entered"] + 1e-6).all()
    entered = cohorts.groupby(["replicate", "cohort", "group"])["entered"].nunique()
    assert (entered == 1).all()  # a cohort's size never changes
    by_degree = cohorts[cohorts["group"].isin(["bachelor", "master", "phd"])]
    total = by_degree.groupby(["replicate", "year", "cohort"])["entered"].sum()
    everyone = cohorts[cohorts["group"] == "all"].set_index(["replicate", "year", "cohort"])
    assert np.allclose(total.sort_index(), everyone["entered"].sort_index())
    annual = pd.read_parquet(run_folder / "annual.parquet")
    degrees = annual[["in_us_bachelor", "in_us_master", "in_us_phd"]].sum(axis=1)
    assert np.allclose(degrees, annual["in_us"])
    returns = annual[["returns_bachelor", "returns_master", "returns_phd"]].sum(axis=1)
    assert np.allclose(returns, annual["returns"])


BAD = {
    "kind": ("A,bogus,2015,,,returns,,1,,0.1,", "kind"),
    "year": ("A,flow,20x5,,,returns,,1,,0.1,", "year"),
    "n": ("A,share,2015,,,employment sector of returnees,technology,0.1,,,", "n"),
    "tolerance": ("A,flow,2015,,,returns,,1000,,,", "tolerance"),
    "measure": ("A,flow,2015,,,no_such_column,,1000,,0.1,", "annual table"),
    "end_year": ("A,growth,2015,2012,,returns,,0.1,,0.1,", "end_year"),
    "group": ("A,retention,2011,,3,retention,robots,0.9,,0.1,", "group of the cohort table"),
    "after_years": ("A,retention,2011,,,retention,phd,0.9,,0.1,", "after_years"),
    "split": ("A,flow,2015,,,returns,,1000,,0.1,later", "split"),
    "share": ("A,ratio,2015,,,returns_phd / returns,,1.5,,0.1,", "[0, 1]"),
    "order": ("A,rank,2015,,,largest employment sector of returnees,finance>robots,1,,,", "'>'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_row_exits_2_naming_row_and_column(
    case: str, run_folder: Path, tmp_path: Path
) -> None:
    row, word = BAD[case]
    path = tmp_path / "targets.csv"
    path.write_text(HEADER + GOOD["D"].join(["D,", "\n"]) + row + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["score", str(run_folder), "--targets", str(path), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "row 3" in result.output and word in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_packaged_evidence_split_follows_its_rules() -> None:
    targets = load_targets(builtin_targets_path("evidence"))
    for row in targets.itertuples():
        assert row.split in ("calibration", "validation")
        if last_year(row) > 2017:  # rule 1: every figure after 2017 is validation
            assert row.split == "validation", row.id
        if row.kind == "retention":  # rule 2: the cohort level is held out
            assert row.split == "validation", row.id
    calibration = load_targets(builtin_targets_path("evidence"), split="calibration")
    assert set(calibration["split"]) == {"calibration"}
    assert len(calibration) < len(targets)


def test_every_mapped_evidence_row_names_a_target_of_its_split() -> None:
    targets = load_targets(builtin_targets_path("evidence")).set_index("id")
    path = builtin_targets_path("evidence").with_name("evidence.csv")
    with path.open(encoding="utf-8") as handle:
        evidence = list(csv.DictReader(handle))
    mapped = [row for row in evidence if not row["maps_to"].startswith("not mapped")]
    assert mapped
    for row in mapped:
        splits = {targets.loc[t, "split"] for t in row["maps_to"].split()}
        for target in row["maps_to"].split():
            assert row["id"] in targets.loc[target, "evidence"]
        # a validation figure never enters a calibration target (a calibration figure may
        # be the base of a validation growth rate, as 2017 is for 2017-2019)
        assert row["split"] == ("calibration" if "calibration" in splits else "validation")
