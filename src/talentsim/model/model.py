"""TalentModel: the Mesa model of the returnee wave.

Worker state lives in arrays (:mod:`talentsim.model.people`); a step is an explicit list of timed
stages, each one vectorised pass over the workers (see docs/ODD.md, "Process overview"):

1. macro        - pay and demand indices, prices, tension, talent programmes
2. demography   - graduates enter; some retire or leave
3. careers      - promotions with the bamboo ceiling (pay follows level and indices)
4. visas        - OPT, H-1B lottery, green cards; loss of status forces a move
5. belonging    - belonging to each country, family events, peers
6. offers       - offers from Chinese firms by sector and from US firms
7. decisions    - stay, switch or return (multinomial logit)
8. remigration  - returnees may move back to the US
9. observe      - counts, flows and the virtual survey
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import mesa
import numpy as np

from talentsim.model.agents import Firm, Worker
from talentsim.model.capacity import check_memory, scenario_slots
from talentsim.model.firms import FirmSampler, build_firms
from talentsim.model.ledger import Ledger
from talentsim.model.people import People
from talentsim.model.stages import (
    belonging,
    careers,
    decisions,
    demography,
    observe,
    offers,
    survey,
)
from talentsim.model.stages.macro import MacroState, update_macro
from talentsim.model.stages.remigration import remigrate
from talentsim.model.stages.visas import update_visas
from talentsim.model.state import CarriedState, StepState
from talentsim.model.streams import Draw, Streams, run_seed_sequence
from talentsim.scenario.schema import Scenario
from talentsim.scenario.timeline import Timeline
from talentsim.taxonomy import Country

T = TypeVar("T")


def _report(column: str, model: TalentModel) -> float:
    return model.last_record[column]


class StepRecorder(mesa.DataCollector):
    """Mesa's DataCollector with one model reporter per column of the step's record.

    The record holds plain floats, so it is appended as it is (Mesa's generic collect
    deep-copies every value, which costs more than the numbers themselves).
    """

    def collect(self, model: TalentModel) -> None:
        """Append the step's record."""
        for name, values in self.model_vars.items():
            values.append(model.last_record[name])


class TalentModel(mesa.Model):
    """The US-based Chinese talent pool and its decisions to return, step by step.

    Attributes:
        config: The resolved scenario (base values, before the timeline).
        p: Parameters in force this step (the timeline applied).
        people: Worker state arrays.
        firms: Firm state arrays; `firm_agents` holds their Mesa agents.
        t: Decimal year at the start of the current step; `year` its calendar year.
        stage_times: Seconds spent in each stage so far.
        survey_rows: Rows of the virtual survey, one per measure and category.
        cohort_rows: The cohort table's rows, as one block of columns per year's end.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        replicate: int = 0,
        seed: int | None = None,
        audit: bool = False,
        seed_sequence: np.random.SeedSequence | None = None,
    ) -> None:
        """Create the firms and the starting population.

        Args:
            scenario: Resolved scenario; None loads the built-in baseline.
            replicate: Replicate number (keys the random streams with the seed).
            seed: Overrides `scenario.seed`.
            audit: Recount every worker at each recorded step and check the running totals
                (:mod:`talentsim.model.ledger`) against the count; slow, for tests.
            seed_sequence: The run's seed sequence, instead of one made from the seed and
                the replicate (sweeps key it by the scenario's hash, point and replicate).
        """
        if scenario is None:
            from talentsim.scenario.loader import load_scenario

            scenario = load_scenario(None).scenario
        self.seed = scenario.seed if seed is None else int(seed)
        self.replicate = int(replicate)
        sequence = seed_sequence or run_seed_sequence(self.seed, self.replicate)
        self.seed_sequence = sequence
        super().__init__(rng=np.random.default_rng(sequence))
        self.config = scenario
        self.streams = Streams(sequence)
        self.timeline = Timeline(scenario)
        self.dt = 1.0 / scenario.time.steps_per_year
        self.n_steps = scenario.time.n_steps
        self.burn_in_steps = scenario.time.burn_in_years * scenario.time.steps_per_year
        self.tick = 0  # steps taken, burn-in included; keys the random streams
        self.step_index = -self.burn_in_steps  # steps since `start` (negative in burn-in)
        # The pool is created when the burn-in begins, with the parameters of `start`.
        self.t = scenario.time.start + self.step_index * self.dt
        self.p = self.timeline.params_at(scenario.time.start)
        self.survey_years = set(
            survey.survey_years(scenario.survey, scenario.time.start, scenario.time.end)
        )

        self.macro = MacroState()
        update_macro(self)
        self.firms = build_firms(
            scenario.firms, scenario.pay, self.streams.generator(Draw.FIRMS, 0)
        )
        self.firm_agents = [Firm(self, i) for i in range(len(self.firms))]
        self.us_firm_sampler = FirmSampler(
            self.firms, Country.US, self.firms.size * self.firms.recruiting
        )
        self.cn_firm_sampler = FirmSampler(
            self.firms, Country.CHINA, self.firms.size * self.firms.recruiting
        )
        self._workers: dict[int, Worker] = {}

        check_memory(scenario)  # before the arrays are allocated
        self.people = People(self._expected_slots())
        self.carried = CarriedState()
        self._derived: dict[Callable, object] = {}
        self._derived_for: Scenario | None = None
        self.audit = audit
        self.ledger = Ledger()
        self.ledger_stale = False  # set when a Worker attribute is written directly
        self.step_state = StepState.new(self.people.n)
        demography.initialise(self)
        self._grow_scratch()
        self._refresh_masks()
        self.initial_in_us = float("nan")  # people in the US when recording starts
        if self.step_index == 0:  # no burn-in
            self._start_recording()

        self.stages: list[tuple[str, Callable[[TalentModel], None]]] = [
            ("macro", update_macro),
            ("demography", TalentModel._demography),
            ("careers", careers.promote),
            ("visas", update_visas),
            ("belonging", belonging.update_belonging),
            ("offers", TalentModel._offers),
            ("decisions", TalentModel._decisions),
            ("remigration", remigrate),
            ("observe", TalentModel._observe),
        ]
        self.stage_times = {name: 0.0 for name, _ in self.stages}
        self.agent_steps = 0  # active workers summed over steps, burn-in included
        self.survey_rows: list[dict[str, object]] = []
        self.cohort_rows: list[dict[str, np.ndarray]] = []
        self.last_record: dict[str, float] = {}
        self.datacollector = StepRecorder(
            model_reporters={c: partial(_report, c) for c in observe.timeseries_columns()}
        )

    def _expected_slots(self) -> int:
        """Starting pool plus the graduates the base entry schedule brings, plus 5 %."""
        return scenario_slots(self.config)

    # ------------------------------------------------------------------ stepping

    @property
    def year(self) -> int:
        """Calendar year of the current step."""
        return self.config.time.start + self.step_index // self.config.time.steps_per_year

    @property
    def recording(self) -> bool:
        """Whether the current step is after the burn-in (and so recorded)."""
        return self.step_index >= 0

    def derived(self, function: Callable[[Scenario], T]) -> T:
        """`function(self.p)`, computed once for each set of parameters in force.

        For tables derived from the parameters (hazards, premia, offer fit): the timeline
        hands out the same parameter object until a value changes, so they are computed
        once per change rather than once per step.
        """
        if self._derived_for is not self.p:
            self._derived.clear()
            self._derived_for = self.p
        try:
            return self._derived[function]
        except KeyError:
            value = self._derived[function] = function(self.p)
            return value

    def step(self) -> None:
        """Run the stages of one step, timing each."""
        start_year = self.config.time.start
        self.t = start_year + self.step_index * self.dt
        self.p = self.timeline.params_at(max(self.t, start_year))
        if self.ledger_stale:  # a Worker attribute was written between steps
            self.ledger.rebuild(self.people)
            self.ledger_stale = False
        self._reset_step_state()
        self.agent_steps += self.ledger.agents
        for name, stage in self.stages:
            if name == "observe" and not self.recording:
                continue
            start = time.perf_counter()
            stage(self)
            self.stage_times[name] += time.perf_counter() - start
        self.tick += 1
        self.step_index += 1
        if self.step_index == 0:
            self._start_recording()
        if self.step_index >= self.n_steps:
            self.running = False

    def _start_recording(self) -> None:
        """Weigh a spun-up pool and note the people in the US, as the burn-in ends."""
        demography.set_weights(self)
        people = self.people
        in_us = people.view("active") & (people.view("country") == Country.US.value)
        self.initial_in_us = float(people.view("weight")[in_us].sum())

    def run(self) -> None:
        """Step until the end of the scenario's last year."""
        while self.running:
            self.step()

    def _reset_step_state(self) -> None:
        masks = self.step_state
        self.step_state = StepState.new(self.people.n)
        self.step_state.active, self.step_state.in_us, self.step_state.in_cn = (
            masks.active,
            masks.in_us,
            masks.in_cn,
        )

    def _demography(self) -> None:
        demography.entry(self)
        self._grow_scratch()
        demography.exit_pool(self)
        self._refresh_masks()

    def _grow_scratch(self) -> None:
        """Extend the per-slot arrays of the step's and the carried state to new slots."""
        self.step_state.grow(self.people.n)
        self.carried.grow(self.people.n)

    def _refresh_masks(self) -> None:
        """Who is active, in the US, in China (fixed for the rest of the step)."""
        people = self.people
        state = self.step_state
        state.active = people.view("active").copy()
        # Compared with .value, a plain int: an IntEnum member would make numpy cast the int8
        # codes to int64 first (the same in every module).
        state.in_us = state.active & (people.view("country") == Country.US.value)
        state.in_cn = state.active ^ state.in_us  # every active worker is in one of the two

    def _offers(self) -> None:
        self.step_state.prospects = self.derived(careers.promotion_prospects)
        self.step_state.offers = offers.draw_offers(self)

    def _decisions(self) -> None:
        decisions.decide(self, self.step_state.offers)

    def _observe(self) -> None:
        if self.ledger_stale:
            self.ledger.rebuild(self.people)
            self.ledger_stale = False
        self.last_record = observe.record(self)
        self.datacollector.collect(self)
        if survey.is_survey_step(self):
            self.survey_rows.extend(survey.field_survey(self))
        if (self.step_index + 1) % self.config.time.steps_per_year == 0:  # the year's end
            self.cohort_rows.append(observe.cohort_rows(self))

    # ------------------------------------------------------------------ agents

    def worker(self, slot: int) -> Worker:
        """The Worker agent of a slot, created on first use."""
        slot = int(slot)
        if not 0 <= slot < self.people.n:
            raise IndexError(f"no worker in slot {slot} (slots 0..{self.people.n - 1})")
        agent = self._workers.get(slot)
        if agent is None:
            agent = self._workers[slot] = Worker(self, slot)
        return agent

    def worker_agents(self, slots: np.ndarray | None = None) -> mesa.agent.AgentSet:
        """An AgentSet of Worker agents (all active workers by default)."""
        if slots is None:
            slots = np.flatnonzero(self.people.view("active"))
        return mesa.agent.AgentSet([self.worker(s) for s in slots], random=self.random)
