"""The documents generated from the schema are current, and every source is real."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import talentsim.scenario.docgen as docgen
from talentsim.calibration.abc import prior_bounds
from talentsim.scenario.calibrated import CALIBRATED
from talentsim.scenario.fields import ASSUMED, RUN_SETTING, STRUCTURAL
from talentsim.scenario.loader import load_scenario
from talentsim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[1]
EVIDENCE = REPO / "src" / "talentsim" / "data" / "parameter_evidence.csv"


def test_odd_parameter_table_is_current() -> None:
    text = (REPO / "docs" / "ODD.md").read_text()
    table = text.split(docgen.TABLE_BEGIN, 1)[1].split(docgen.TABLE_END, 1)[0].strip()
    assert table == docgen.parameter_table(), "run: python -m talentsim.scenario.docgen ."


def test_baseline_yaml_generated_block_is_current() -> None:
    text = (REPO / "scenarios" / "baseline.yaml").read_text()
    block = text.split(docgen.BASELINE_MARK, 1)[1].lstrip("\n")
    assert block == docgen.baseline_yaml(), "run: python -m talentsim.scenario.docgen ."


def test_every_parameter_has_a_real_source() -> None:
    ids = {row["id"] for row in csv.DictReader(EVIDENCE.open())}
    for path, _value, info, parent in docgen.iter_parameters(Scenario()):
        extra = dict(info.json_schema_extra or {})
        parent_extra = dict((parent.json_schema_extra if parent else None) or {})
        source = extra.get("source") or parent_extra.get("source")
        assert source, f"{path} has no source"
        cited = set(re.findall(r"\b[EX]\d\d\b", source))
        assert cited <= ids, f"{path} cites unknown evidence {cited - ids}"
        assert cited or any(
            word in source for word in (ASSUMED, STRUCTURAL, RUN_SETTING, "assumed", "survey")
        ), f"{path}: source '{source}' is neither evidence nor 'assumed'"


def test_evidence_file_keeps_the_shared_rows() -> None:
    shared = REPO.parent / "shared" / "data" / "parameter_evidence.csv"
    ours = list(csv.DictReader(EVIDENCE.open()))
    assert all(row["source"] for row in ours)
    if shared.exists():  # beside the project on the developers' machines and in CI
        theirs = list(csv.DictReader(shared.open()))
        figures = {(r["figure"], r["value"]) for r in ours}
        assert all((r["figure"], r["value"]) in figures for r in theirs)


def test_readme_quick_start_is_two_commands() -> None:
    text = (REPO / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make run", "make test"]
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_readme_scenario_table_matches_the_library() -> None:
    text = (REPO / "README.md").read_text()
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        assert f"| `{path.stem}` |" in text


def test_calibrated_defaults_are_the_baseline_calibrations_free_parameters() -> None:
    """Every free parameter of the baseline calibration has its calibrated default, inside
    its prior's bounds, and is used as the scenario's default."""
    config = load_scenario(REPO / "experiments" / "calibration" / "baseline_calibration.yaml")
    priors = config.scenario.calibration.parameters
    assert set(CALIBRATED) == set(priors)
    defaults = {path: value for path, value, _, _ in docgen.iter_parameters(Scenario())}
    for key, value in CALIBRATED.items():
        assert defaults[key] == value, key
        low, high = prior_bounds(priors[key])
        assert low <= value <= high, (key, value, low, high)


def test_the_shipped_json_schema_is_current() -> None:
    shipped = (REPO / "src" / "talentsim" / "data" / "scenario.schema.json").read_text()
    assert shipped == docgen.json_schema(), "run: python -m talentsim.scenario.docgen ."


def _readme_python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    return [block.split("```", 1)[0] for block in text.split("```python\n")[1:]]


def test_the_readmes_python_is_lint_clean(tmp_path: Path) -> None:
    blocks = _readme_python_blocks()
    assert len(blocks) >= 3
    for i, block in enumerate(blocks):
        (tmp_path / f"block{i}.py").write_text(block)
    ruff = Path(sys.executable).with_name("ruff")
    checked = subprocess.run(
        [str(ruff), "check", "--isolated", "--select", "E,F,W,B,UP", "--line-length", "100", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout


def test_the_readmes_python_api_example_runs(tmp_path: Path, monkeypatch) -> None:
    block = next(b for b in _readme_python_blocks() if "talentsim.run(" in b)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "results" / "runs" / "mine" / "manifest.json").is_file()
    assert namespace["returns"].index.min() == 2010 and len(namespace["tech"]) > 0
