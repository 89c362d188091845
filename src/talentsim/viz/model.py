"""VizModel: the model the browser page steps, one calendar year per step.

It wraps a :class:`talentsim.model.model.TalentModel` (the simulation itself, unchanged) and adds
what the page needs: levers as keyword arguments with defaults (SolaraViz re-creates the
model from the sliders on Reset), a continuous space with the firms and a sample of the
workers for Mesa's space renderer, and the simulation's records by calendar year.
"""

from __future__ import annotations

import os

import mesa
import numpy as np
import pandas as pd
from mesa.space import ContinuousSpace

from talentsim.model.agents import Worker
from talentsim.runs.replicate import build_model, tables
from talentsim.scenario.loader import LoadedScenario, load_scenario
from talentsim.scenario.schema import Scenario
from talentsim.viz import series
from talentsim.viz.layout import HEIGHT, WIDTH, MapLayout, sample_keys, worker_positions
from talentsim.viz.levers import (
    LEVER_NAMES,
    default_population,
    lever_overrides,
    parse_seed,
    population_overrides,
)

#: Environment variable naming the scenario file the page shows (`talentsim viz` sets it).
SCENARIO_ENV = "TALENTSIM_VIZ_SCENARIO"
#: Workers drawn on the map, about (a fixed random sample of the agents beyond that).
MAX_POINTS = 400


def scenario_source(scenario_file: str | None = None) -> str | None:
    """The scenario to show: the argument, else $TALENTSIM_VIZ_SCENARIO, else the baseline."""
    return scenario_file or os.environ.get(SCENARIO_ENV) or None


def load_with_levers(
    source: str | None, levers: dict[str, float | None], population: int | None
) -> tuple[Scenario, LoadedScenario]:
    """The scenario as written, and with the levers and the population applied.

    Raises:
        ScenarioError: If the file or a lever's value does not validate.
    """
    base = load_scenario(source).scenario
    agents = int(population) if population is not None else default_population(base)
    overrides = lever_overrides(levers) + population_overrides(base, agents)
    return base, load_scenario(source, overrides)


class VizModel(mesa.Model):
    """A scenario as the page shows it: levers applied, one step per calendar year.

    Attributes:
        base: The scenario file as written (the sliders start from its values).
        loaded: The scenario with the page's levers and population applied.
        sim: The simulation (burn-in done: it starts on 1 January of the first year).
        space: Firms and sampled workers at their places on the map.
        layout: Where each firm is drawn.
        drawn_share: Share of the active agents drawn on the map (about `max_points`).
        notice: What the page should tell the user about the inputs (None if nothing).
    """

    def __init__(
        self,
        weight_salary: float | None = None,
        weight_growth: float | None = None,
        weight_promotion: float | None = None,
        weight_belonging: float | None = None,
        weight_opportunity: float | None = None,
        weight_family: float | None = None,
        weight_visa_risk: float | None = None,
        weight_tension: float | None = None,
        weight_peers: float | None = None,
        bamboo_penalty: float | None = None,
        china_tech_pay_growth: float | None = None,
        h1b_approval_rate: float | None = None,
        tension: float | None = None,
        talent_programme: float | None = None,
        population: int | None = None,
        seed: int | str | None = None,
        scenario_file: str | None = None,
        max_points: int = MAX_POINTS,
    ) -> None:
        """Load the scenario with the levers, create the simulation and run its burn-in.

        Args:
            weight_salary: Decision weights (``decisions.weights.*``); None keeps the
                scenario's value, as for every lever below.
            weight_growth: See weight_salary.
            weight_promotion: See weight_salary.
            weight_belonging: See weight_salary.
            weight_opportunity: See weight_salary.
            weight_family: See weight_salary.
            weight_visa_risk: See weight_salary.
            weight_tension: See weight_salary.
            weight_peers: See weight_salary.
            bamboo_penalty: ``careers.bamboo_penalty_management``.
            china_tech_pay_growth: ``china.sectors.technology.pay_growth``.
            h1b_approval_rate: ``visas.h1b_approval_rate``.
            tension: ``macro.tension``.
            talent_programme: ``macro.talent_programme``.
            population: Agents (each standing for more people when fewer); None: the
                scenario's size, at most :data:`levers.DEFAULT_POPULATION`.
            seed: Seed of the run (a whole number, or its text); None: the scenario's.
            scenario_file: Scenario file or built-in name; None: see :func:`scenario_source`.
            max_points: Workers drawn on the map, about.

        Raises:
            ScenarioError: If the scenario file or a lever's value does not validate.
        """
        given = locals()
        levers = {name: given[name] for name in LEVER_NAMES}
        self.base, self.loaded = load_with_levers(
            scenario_source(scenario_file), levers, population
        )
        run_seed, self.notice = parse_seed(seed, self.base.seed)
        super().__init__(rng=run_seed)
        self.sim = build_model(self.loaded.scenario, seed=run_seed)
        while not self.sim.recording:  # the burn-in: nothing is recorded before `start`
            self.sim.step()
        self._annual: tuple[int, pd.DataFrame] | None = None
        self._build_map(max_points)

    def _build_map(self, max_points: int) -> None:
        """Place the firms in the space and draw the first sample of workers."""
        self.layout = MapLayout.build(self.sim.firms)
        self.space = ContinuousSpace(WIDTH, HEIGHT, torus=False)
        for firm in self.sim.firm_agents:
            self.space.place_agent(firm, tuple(self.layout.firm_xy[firm.slot]))
        self.max_points = int(max_points)
        self.drawn_share = 1.0
        self._shown: dict[int, Worker] = {}
        self._place_workers()

    # ------------------------------------------------------------------ stepping

    def step(self) -> None:
        """Simulate one calendar year (every step of it) and move the drawn workers."""
        for _ in range(self.sim.config.time.steps_per_year):
            if not self.sim.running:
                break
            self.sim.step()
        self._place_workers()
        self.running = self.sim.running

    def _place_workers(self) -> None:
        """Draw about `max_points` active workers, each at their employer's place.

        A worker is drawn while their fixed key (:func:`layout.sample_keys`) is below the
        share drawn, so the same workers stay drawn from step to step.
        """
        people = self.sim.people
        active = np.flatnonzero(people.view("active"))
        self.drawn_share = min(1.0, self.max_points / max(1, len(active)))
        slots = active[sample_keys(active) < self.drawn_share]
        kept = set(slots.tolist())
        for slot in [s for s in self._shown if s not in kept]:
            self.space.remove_agent(self._shown.pop(slot))
        places = worker_positions(self.layout, slots, people.employer[slots])
        for slot, (x, y) in zip(slots.tolist(), places.tolist(), strict=True):
            agent = self._shown.get(slot)
            if agent is None:
                agent = self._shown[slot] = self.sim.worker(slot)
                self.space.place_agent(agent, (x, y))
            else:
                self.space.move_agent(agent, (x, y))

    # ------------------------------------------------------------------ what the page shows

    @property
    def scenario_name(self) -> str:
        """Name of the scenario shown."""
        return self.loaded.scenario.name

    @property
    def year(self) -> int:
        """Calendar year the simulation is at (1 January): one more than the last simulated."""
        return int(self.sim.year)

    @property
    def years(self) -> tuple[int, int]:
        """First and last simulated calendar years."""
        time = self.loaded.scenario.time
        return time.start, time.end

    @property
    def agent_count(self) -> int:
        """Agents in the pool now."""
        return int(self.sim.ledger.agents)

    @property
    def people_per_agent(self) -> float:
        """People each agent stands for (set when recording starts, for a spun-up pool)."""
        return float(self.sim.carried.weight)

    @property
    def shown_workers(self) -> list[Worker]:
        """The workers drawn on the map."""
        return list(self._shown.values())

    def annual(self) -> pd.DataFrame:
        """The simulation's records by calendar year (computed once per step)."""
        if self._annual is None or self._annual[0] != self.sim.tick:
            records, _ = tables(self.sim)
            self._annual = (self.sim.tick, series.annual(records))
        return self._annual[1]

    def sector_shares(self) -> tuple[pd.DataFrame, str]:
        """Returnees' shares by sector and year, and what they are shares of."""
        return series.sector_shares(tables(self.sim)[1], self.annual())
