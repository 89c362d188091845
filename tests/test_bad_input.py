"""Every class of bad input: exit status 2, one clear message, no traceback, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from talentsim.cli import main

CASES = {
    "malformed": ("name: x\npopulation: [1,\n", ["malformed YAML", "line 3"]),
    "unknown_key": (
        "name: x\npopulation:\n  sise: 100\n",
        ["key 'population.sise'", "line 3", "did you mean 'size'"],
    ),
    "wrong_type": ("population:\n  size: many\n", ["key 'population.size'", "line 2", "integer"]),
    "probability_out_of_range": (
        "visas:\n  h1b_approval_rate: 1.5\n",
        ["key 'visas.h1b_approval_rate'", "line 2", "less than or equal to 1", "1.5"],
    ),
    "negative_population": (
        "population:\n  size: -4\n",
        ["key 'population.size'", "line 2", "greater than or equal to 1"],
    ),
    "mix_without_weight": (
        "population:\n  segment_mix:\n"
        "    {sv_tech: 0, finance: 0, academia: 0, business_other: 0}\n",
        ["population.segment_mix", "at least one category needs a positive weight"],
    ),
    "negative_weight": (
        "population:\n  segment_mix:\n    sv_tech: -0.2\n",
        ["population.segment_mix.sv_tech", "line 3", "greater than or equal to 0"],
    ),
    "missing_extends": ("extends: nowhere.yaml\n", ["key 'extends'", "line 1", "does not exist"]),
    "intervention_outside_run": (
        "extends: talentsim:baseline\n"
        "timeline:\n  - {param: macro.tension, from: 2045, set: 0.5}\n",
        ["timeline[0]", "line 3", "outside the run"],
    ),
    "intervention_after_last_step": (
        "extends: talentsim:baseline\n"
        "timeline:\n  - {param: macro.tension, from: 2030.9, set: 0.5}\n",
        ["timeline[0]", "line 3", "outside the run", "2030.75"],
    ),
    "bad_value_in_extending_file": (
        "extends: talentsim:baseline\ntimeline:\n"
        "  - {param: macro.tension, from: 2019, set: 0.5}\n"
        "  - {param: macro.tension, from: 2020, set: high}\n",
        ["key 'timeline[1].set'", "line 4", "valid number"],
    ),
    "neither_list_nor_all": (
        "survey:\n  years: abc\n",
        ["key 'survey.years'", "line 2", "valid list or 'all'", "(got 'abc')"],
    ),
    "number_for_a_section": (
        "population: 5\n",
        ["key 'population'", "line 1", "expected a section", "(got 5)"],
    ),
    "not_a_mapping": ("- just\n- a list\n", ["expected a mapping"]),
    "duplicate_key": ("seed: 1\nseed: 2\n", ["duplicate key", "line 2", "key 'seed'"]),
}


def _check_failure(result, out: Path, fragments: list[str]) -> None:
    assert result.exit_code == 2, result.output
    message = result.output
    assert "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert not out.exists()


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_file(tmp_path: Path, case: str) -> None:
    text, fragments = CASES[case]
    file = tmp_path / f"{case}.yaml"
    file.write_text(text)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(file), "--out", str(out)])
    _check_failure(result, out, [file.name, *fragments])
    assert len(result.output.strip().splitlines()) <= 3  # one paragraph


def test_cyclic_extends(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "a.yaml"), "--out", str(out)])
    _check_failure(result, out, ["cycle", "a.yaml -> ", "key 'extends'", "line 1"])


def test_folder_instead_of_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(tmp_path), "--out", str(out)])
    _check_failure(result, out, [tmp_path.name, "is a folder, not a scenario file"])


def test_missing_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope.yaml"), "--out", str(out)])
    _check_failure(result, out, ["nope.yaml", "file not found"])


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        ("population.size=-3", ["--set", "population.size", "greater than or equal to 1"]),
        ("populaton.size=3", ["--set", "did you mean 'population'"]),
        ("visas.h1b_approval_rate=high", ["--set", "valid number"]),
        ("justakey", ["--set", "KEY=VALUE"]),
        ("population.size.x=3", ["--set", "not a section"]),
        ("firms.cn_finance.recruiting=0", ["--set", "key 'firms'", "recruiting is 0"]),
    ],
)
def test_bad_set(tmp_path: Path, override: str, fragments: list[str]) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--set", override, "--out", str(out)])
    _check_failure(result, out, fragments)


def test_a_run_started_after_an_intervention_names_the_set(tmp_path: Path) -> None:
    """The baseline's 2018 interventions start before a run moved to 2019: the message says why."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--set", "time.start=2019", "--out", str(out)])
    _check_failure(result, out, ["baseline.yaml", "timeline[0]", "--set time.start=2019"])


def test_own_intervention_after_a_shortened_end_is_an_error(tmp_path: Path) -> None:
    """Whoever sets the window and an intervention outside it, in one file, gets an error."""
    file = tmp_path / "short.yaml"
    file.write_text(
        "extends: talentsim:baseline\ntime: {end: 2016}\n"
        "timeline:\n  - {param: macro.tension, from: 2017, set: 0.5}\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(file), "--out", str(out)])
    _check_failure(result, out, ["short.yaml", "line 4", "timeline[0]", "outside the run"])


def test_existing_output_folder_is_not_touched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    result = CliRunner().invoke(main, ["run", "--set", "population.size=50", "--out", str(out)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert (out / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_validate_reports_each_bad_file(tmp_path: Path) -> None:
    good = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("visas:\n  h1b_approval_rate: 2\n")
    result = CliRunner().invoke(main, ["validate", str(good), str(bad)])
    assert result.exit_code == 2
    assert "ok  " in result.output and "bad.yaml, line 2" in result.output


def test_bad_input_from_a_real_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("population:\n  size: -1\n")
    out = tmp_path / "out"
    cli = Path(sys.executable).with_name("talentsim")
    proc = subprocess.run(
        [str(cli), "run", str(bad), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.yaml, line 2, key 'population.size'" in proc.stderr
    assert proc.stdout == ""
    assert not out.exists()
