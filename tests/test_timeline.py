"""Interventions: set, scale, add, ramps, composition and their validation."""

from __future__ import annotations

import pytest

from talentsim.scenario.interventions import Intervention
from talentsim.scenario.keys import timeline_keys as numeric_paths
from talentsim.scenario.loader import ScenarioError, load_scenario
from talentsim.scenario.schema import Scenario
from talentsim.scenario.timeline import Timeline, check_timeline

pytestmark = pytest.mark.core  # also run under Python 3.13 with the core alone


def _scenario(*items: dict) -> Scenario:
    return Scenario(timeline=[Intervention.model_validate(i) for i in items])


def test_step_change_applies_from_its_date() -> None:
    timeline = Timeline(_scenario({"param": "macro.tension", "from": 2015, "set": 0.6}))
    assert timeline.values_at(2014.75)["macro.tension"] == pytest.approx(0.1)
    assert timeline.values_at(2015.0)["macro.tension"] == pytest.approx(0.6)
    assert timeline.params_at(2016).macro.tension == pytest.approx(0.6)
    assert timeline.params_at(2010).macro.tension == pytest.approx(0.1)


def test_linear_ramp_between_dates() -> None:
    timeline = Timeline(
        _scenario({"param": "visas.h1b_approval_rate", "from": 2017, "to": 2019, "set": 0.74})
    )
    values = [
        timeline.values_at(t)["visas.h1b_approval_rate"] for t in (2016, 2017, 2018, 2019, 2025)
    ]
    assert values == pytest.approx([0.94, 0.94, 0.84, 0.74, 0.74])


def test_scale_and_add_compose_in_order() -> None:
    timeline = Timeline(
        _scenario(
            {"param": "macro.tension", "from": 2012, "scale": 3},
            {"param": "macro.tension", "from": 2014, "add": 0.2},
        )
    )
    assert timeline.values_at(2013)["macro.tension"] == pytest.approx(0.3)
    assert timeline.values_at(2014)["macro.tension"] == pytest.approx(0.5)


def test_params_at_leaves_base_untouched() -> None:
    scenario = _scenario({"param": "macro.tension", "from": 2012, "set": 0.9})
    Timeline(scenario).params_at(2020)
    assert scenario.macro.tension == pytest.approx(0.1)


def test_only_numeric_runtime_parameters_are_allowed() -> None:
    paths = numeric_paths()
    assert "visas.h1b_approval_rate" in paths
    assert "decisions.weights.family" in paths
    assert "population.size" not in paths  # creation-time settings cannot change mid-run
    assert "time.start" not in paths


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ({"param": "macro.tension", "from": 2040, "set": 0.5}, "outside the run"),
        ({"param": "macro.tension", "from": 2009, "set": 0.5}, "outside the run"),
        ({"param": "macro.tensoin", "from": 2015, "set": 0.5}, "did you mean 'macro.tension'"),
        ({"param": "population.size", "from": 2015, "set": 5}, "not a parameter the timeline"),
        ({"param": "macro.tension", "from": 2015, "scale": 20}, "less than or equal to 1"),
        (
            {"param": "visas.h1b_approval_rate", "from": 2015, "add": -2},
            "greater than or equal to 0",
        ),
    ],
)
def test_bad_interventions_are_rejected(item: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        check_timeline(_scenario(item))


def test_intervention_needs_exactly_one_operation() -> None:
    with pytest.raises(ScenarioError, match="exactly one of set, scale or add"):
        load_scenario(None, ["timeline=[{param: macro.tension, from: 2015, set: 1, add: 1}]"])
    with pytest.raises(ScenarioError, match="must be after"):
        load_scenario(None, ["timeline=[{param: macro.tension, from: 2015, to: 2014, set: 1}]"])


def test_shortening_a_scenario_leaves_out_its_later_interventions(tmp_path) -> None:
    """`--set time.end=2017` on the baseline ends before its 2018 interventions, which are
    left out of the resolved scenario; a file that extends it and sets the end does the same."""
    full = load_scenario(None).scenario
    assert [item.from_ for item in full.timeline] == [2018, 2018]
    short = load_scenario(None, ["time.end=2017"]).scenario
    assert short.timeline == []
    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: talentsim:baseline\ntime: {end: 2017}\n"
        "timeline:\n  - {param: macro.tension, from: 2016, set: 0.5}\n"
    )
    kept = load_scenario(child).scenario.timeline
    assert [(item.param, item.from_) for item in kept] == [("macro.tension", 2016)]
