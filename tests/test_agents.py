"""Worker and Firm Mesa agents are views onto the arrays; Mesa's tools work on them."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from conftest import small_scenario
from talentsim.model.agents import Firm, Worker
from talentsim.model.model import TalentModel
from talentsim.taxonomy import SEGMENTS, Country

pytestmark = pytest.mark.core  # also run under Python 3.13 with the core alone


@pytest.fixture
def model() -> TalentModel:
    m = TalentModel(small_scenario(None, ["population.agents=500"]))
    for _ in range(12):
        m.step()
    return m


def test_firms_are_mesa_agents(model: TalentModel) -> None:
    firms = model.agents_by_type[Firm]
    assert len(firms) == len(model.firms) > 100
    kinds = {f.kind for f in firms}
    assert {"us_tech_giant", "cn_tech_startup", "cn_finance"} <= kinds
    assert {f.country for f in firms} == {"US", "CHINA"}
    total = sum(f.employees for f in firms)
    active = model.people.view("active")
    assert total == pytest.approx(model.people.view("weight")[active].sum())


def test_worker_reads_and_writes_through(model: TalentModel) -> None:
    worker = model.worker(3)
    assert isinstance(worker, Worker) and worker is model.worker(3)
    assert worker.segment in SEGMENTS
    assert worker.age == pytest.approx(model.t - model.people.birth[3])
    assert worker.salary > 0 and worker.equity >= 0
    assert worker.employer is model.firm_agents[model.people.employer[3]]
    worker.belong_us = 0.123
    assert model.people.belong_us[3] == pytest.approx(0.123)
    model.people.level[3] = 2
    assert worker.level == 2 and worker.level_name == "manager"
    with pytest.raises(IndexError):
        model.worker(10**9)


def test_agentset_and_datacollector_work_on_workers(model: TalentModel) -> None:
    workers = model.worker_agents()
    assert len(workers) == int(model.people.view("active").sum())
    in_china = workers.select(lambda w: w.country == "CHINA")
    assert len(in_china) == int(
        (model.people.view("active") & (model.people.view("country") == Country.CHINA)).sum()
    )
    ages = np.array(workers.get("age"))
    assert ages.min() > 18 and ages.max() < 66
    collector = mesa.DataCollector(agenttype_reporters={Worker: {"belong_us": "belong_us"}})
    collector.collect(model)
    frame = collector.get_agenttype_vars_dataframe(Worker)
    assert len(frame) == len(workers)
    assert frame["belong_us"].between(0, 1).all()


def test_creating_worker_agents_does_not_change_results() -> None:
    scenario = small_scenario(None, ["population.agents=500"])
    plain, viewed = TalentModel(scenario), TalentModel(scenario)
    for _ in range(10):
        plain.step()
        viewed.step()
        viewed.worker_agents()
    plain.run()
    viewed.run()
    a = plain.datacollector.get_model_vars_dataframe()
    b = viewed.datacollector.get_model_vars_dataframe()
    assert a.equals(b)


def test_writes_through_agents_keep_the_totals_right() -> None:
    """Writing a Worker's attributes marks the running totals stale; they are recounted."""
    model = TalentModel(small_scenario(None, ["population.agents=300"]), audit=True)
    while not model.recording:
        model.step()
    in_us = np.flatnonzero(model.people.view("active") & (model.people.view("country") == 0))
    worker = model.worker(in_us[0])
    worker.level = 3
    worker.country_code = int(Country.CHINA)
    worker.return_time = model.t
    model.people.return_pay_ppp[worker.slot] = 30_000.0
    for _ in range(6):
        model.step()  # audit mode: raises if the totals and a full count disagree
