"""Scenario files: defaults, extends, overrides, resolution and the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import SCENARIOS
from talentsim.scenario.files import builtin_names
from talentsim.scenario.loader import load_scenario, resolved_dict, resolved_yaml, scenario_hash
from talentsim.scenario.schema import Scenario
from talentsim.scenario.timeline import Timeline

pytestmark = pytest.mark.core  # also run under Python 3.13 with the core alone


def test_baseline_file_states_every_default() -> None:
    loaded = load_scenario(SCENARIOS / "baseline.yaml").scenario
    defaults = Scenario(name=loaded.name, description=loaded.description, timeline=loaded.timeline)
    assert resolved_dict(loaded) == resolved_dict(defaults)
    text = (SCENARIOS / "baseline.yaml").read_text()
    # every leaf parameter appears in the file itself, with a comment
    for section in ("population", "careers", "visas", "decisions", "survey"):
        assert f"\n{section}:" in text


def test_builtin_scenarios_all_validate_and_ask_a_question() -> None:
    names = builtin_names()
    assert {
        "baseline",
        "h1b_tightening",
        "china_tech_salary_boom",
        "weaker_bamboo_ceiling",
        "us_china_decoupling",
        "talent_programme_expansion",
    } <= set(names)
    for name in names:
        loaded = load_scenario(name)
        assert loaded.scenario.name == name
        first = (SCENARIOS / f"{name}.yaml").read_text().splitlines()[0]
        assert first.startswith("# What")
        if name != "baseline":
            assert "?" in (SCENARIOS / f"{name}.yaml").read_text().split("\nname:")[0]
            assert len(loaded.scenario.timeline) > 1  # the baseline's entry plus its own


def test_none_means_builtin_baseline() -> None:
    assert load_scenario(None).scenario.name == "baseline"
    assert load_scenario("baseline").hash == load_scenario(SCENARIOS / "baseline.yaml").hash


def test_extends_merges_sections_and_appends_timeline(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        "name: base\nextends: none\npopulation:\n  agents: 1234\n  people: 2468\n"
        "timeline:\n  - {param: macro.tension, from: 2012, set: 0.3}\n"
    )
    child = tmp_path / "sub" / "child.yaml"
    child.parent.mkdir()
    child.write_text(
        "extends: ../base.yaml\nname: child\npopulation:\n  people: 6170\n"
        "timeline:\n  - {param: macro.tension, from: 2015, add: 0.1}\n"
    )
    scenario = load_scenario(child).scenario
    assert scenario.name == "child"
    assert scenario.population.agents == 1234  # from the base
    assert scenario.population.people == 6170  # overridden
    assert scenario.population.weight == 5
    assert [i.from_ for i in scenario.timeline] == [2012, 2015]
    assert Timeline(scenario).values_at(2016)["macro.tension"] == pytest.approx(0.4)


def test_extends_builtin_by_prefix(tmp_path: Path) -> None:
    child = tmp_path / "mine.yaml"
    child.write_text("extends: talentsim:baseline\nname: mine\nreplicates: 2\n")
    scenario = load_scenario(child).scenario
    assert scenario.replicates == 2
    assert scenario.timeline == load_scenario(None).scenario.timeline


def test_set_overrides_any_key_and_are_validated() -> None:
    scenario = load_scenario(
        None, ["population.agents=1500", "visas.h1b_approval_rate=0.5", "survey.years=[2015,2017]"]
    ).scenario
    assert scenario.population.agents == 1500
    assert scenario.population.people == 500_000  # the pool keeps its people
    assert scenario.visas.h1b_approval_rate == 0.5
    assert scenario.survey.years == [2015, 2017]
    override = load_scenario(None, ["timeline.0.set=0.01"]).scenario
    assert override.timeline[0].set == 0.01


def test_resolved_yaml_round_trips(tmp_path: Path) -> None:
    loaded = load_scenario(SCENARIOS / "h1b_tightening.yaml", ["seed=7"])
    path = tmp_path / "resolved.yaml"
    path.write_text(resolved_yaml(loaded.scenario))
    again = load_scenario(path)
    assert again.hash == loaded.hash
    assert yaml.safe_load(path.read_text())["extends"] == "none"  # complete in itself


def test_hash_changes_with_content() -> None:
    a = load_scenario(None).scenario
    b = load_scenario(None, ["macro.tension=0.2"]).scenario
    assert scenario_hash(a) != scenario_hash(b)
    assert scenario_hash(a) == scenario_hash(load_scenario(None).scenario)


def test_json_schema_describes_parameters() -> None:
    schema = Scenario.model_json_schema(by_alias=True)
    json.dumps(schema)
    visas = schema["$defs"]["VisasConfig"]["properties"]["h1b_approval_rate"]
    assert visas["maximum"] == 1.0 and visas["minimum"] == 0.0
    assert visas["source"] and visas["unit"] == "share"
    assert schema["additionalProperties"] is False
    intervention = schema["$defs"]["Intervention"]["properties"]
    assert "from" in intervention


def test_set_timeline_appends_as_a_files_timeline_does() -> None:
    base = load_scenario(None).scenario
    added = load_scenario(None, ["timeline=[{param: macro.tension, from: 2020, set: 0.5}]"])
    assert added.scenario.timeline[: len(base.timeline)] == base.timeline
    assert [i.param for i in added.scenario.timeline[len(base.timeline) :]] == ["macro.tension"]


def test_a_shortened_run_names_the_interventions_it_leaves_out(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "extends: talentsim:baseline\n"
        "timeline:\n  - {param: macro.tension, from: 2016, set: 0.4}\n"
        "  - {param: macro.tension, from: 2025, set: 0.9}\n"
    )
    loaded = load_scenario(mine, ["time.end=2020"])
    assert [i.from_ for i in loaded.scenario.timeline] == [2018, 2018, 2016]
    (note,) = loaded.notes
    assert "left out" in note and "macro.tension from 2025 (mine.yaml, line 4)" in note
    assert "china.sectors.technology.demand_growth from 2018 (baseline.yaml" not in note
    assert load_scenario(mine).notes == []  # nothing left out, nothing said


def test_agents_set_the_precision_not_the_population() -> None:
    """More agents for the same pool: the same people, each agent standing for fewer."""
    from talentsim.runs.runner import run_scenario

    people = {}
    for agents in (400, 1600):
        scenario = load_scenario(
            None, [f"population.agents={agents}", "replicates=1", "time.end=2010"]
        ).scenario
        assert scenario.population.people == 500_000
        result = run_scenario(scenario)
        people[agents] = result.annual["in_us"].iloc[0] + result.annual["returned"].iloc[0]
    assert people[1600] == pytest.approx(people[400], rel=0.05)  # not four times as many
