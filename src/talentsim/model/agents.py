"""Mesa agents: Worker and Firm, thin views onto the model's arrays.

The model keeps worker and firm state in numpy arrays (struct of arrays) and updates them in
vectorised passes. A :class:`Worker` is a Mesa agent bound to one slot of those arrays; its
attributes read and write through, so Mesa's AgentSet, DataCollector agent reporters and
visualisation work on them. Firms are few and always exist as agents; workers are created on
demand (``model.worker(slot)`` or ``model.worker_agents()``), because a million Python objects
would cost more than the whole simulation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from talentsim.model.stages.careers import salaries
from talentsim.taxonomy import (
    CN_SECTORS,
    EDUCATION,
    FIRM_KINDS,
    LEVELS,
    SEGMENTS,
    SKILLS,
    US_SECTORS,
    Country,
    Visa,
)

if TYPE_CHECKING:
    from talentsim.model.state import Model


class ArrayAttribute:
    """Descriptor reading and writing one element of a model array."""

    def __init__(self, store: str, field: str | None = None) -> None:
        self.store = store
        self.field = field

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = self.field or name

    def _array(self, agent: Any) -> np.ndarray:
        return getattr(getattr(agent.model, self.store), self.field)

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return self._array(agent)[agent.slot].item()

    def __set__(self, agent: Any, value: Any) -> None:
        self._array(agent)[agent.slot] = value
        if self.store == "people":  # the running totals no longer hold: recount when recording
            agent.model.ledger_stale = True


class Worker(mesa.Agent):
    """A Chinese-born graduate or professional of the US-based talent pool (one slot)."""

    active = ArrayAttribute("people")
    country_code = ArrayAttribute("people", "country")
    weight = ArrayAttribute("people")
    birth = ArrayAttribute("people")
    education_code = ArrayAttribute("people", "education")
    segment_code = ArrayAttribute("people", "segment")
    skill_code = ArrayAttribute("people", "skill")
    visa_code = ArrayAttribute("people", "visa")
    visa_since = ArrayAttribute("people")
    employer_id = ArrayAttribute("people", "employer")
    level = ArrayAttribute("people")
    pay_mult = ArrayAttribute("people")
    us_pay_mult = ArrayAttribute("people")
    only_child = ArrayAttribute("people")
    parent_birth = ArrayAttribute("people")
    family_event_time = ArrayAttribute("people")
    belong_us = ArrayAttribute("people")
    belong_cn = ArrayAttribute("people")
    returns = ArrayAttribute("people")
    return_time = ArrayAttribute("people")
    founder = ArrayAttribute("people")

    def __init__(self, model: Model, slot: int) -> None:
        """Bind a new agent to `slot` of the model's worker arrays."""
        self.slot = int(slot)
        super().__init__(model)

    @property
    def country(self) -> str:
        """'US' or 'CHINA'."""
        return Country(self.country_code).name

    @property
    def age(self) -> float:
        """Age in years at the current step."""
        return self.model.t - self.birth

    @property
    def parent_age(self) -> float:
        """Parents' age in years."""
        return self.model.t - self.parent_birth

    @property
    def years_us(self) -> float:
        """Years lived in the US so far."""
        p, s = self.model.people, self.slot
        years = float(p.us_years_banked[s])
        if p.country[s] == Country.US:
            years += self.model.t - float(p.us_since[s])
        return years

    @property
    def visa_clock(self) -> float:
        """Years in the current visa status."""
        return self.model.t - self.visa_since

    @property
    def salary(self) -> float:
        """Annual salary in the local currency (USD in the US, CNY in China)."""
        return float(salaries(self.model, np.array([self.slot]))[0][0])

    @property
    def equity(self) -> float:
        """Annual equity vesting in the local currency."""
        return float(salaries(self.model, np.array([self.slot]))[1][0])

    @property
    def segment(self) -> str:
        """Talent-pool segment name."""
        return SEGMENTS[self.segment_code]

    @property
    def skill(self) -> str:
        """Skill name (sv_tech only; 'none' otherwise)."""
        return SKILLS[self.skill_code]

    @property
    def education(self) -> str:
        """Highest degree."""
        return EDUCATION[self.education_code]

    @property
    def visa(self) -> str:
        """US immigration status."""
        return Visa(self.visa_code).name

    @property
    def level_name(self) -> str:
        """Career level name."""
        return LEVELS[self.level]

    @property
    def employer(self) -> Firm | None:
        """The Firm agent the worker works for."""
        fid = self.employer_id
        return self.model.firm_agents[fid] if fid >= 0 else None

    @property
    def return_sector(self) -> str | None:
        """Sector joined at the latest return to China, if any."""
        code = int(self.model.people.return_sector[self.slot])
        return CN_SECTORS[code] if code >= 0 else None

    @property
    def peers(self) -> list[int]:
        """Slots of the worker's peers: the other active members of their circle."""
        p = self.model.people
        members = np.flatnonzero(p.view("active") & (p.view("circle") == p.circle[self.slot]))
        return [int(m) for m in members if m != self.slot]

    def __repr__(self) -> str:
        return f"Worker(slot={self.slot}, {self.segment}, {self.country}, level {self.level})"


class Firm(mesa.Agent):
    """An employer in the US or in China (one entry of the firm table)."""

    kind_code = ArrayAttribute("firms", "kind")
    country_code = ArrayAttribute("firms", "country")
    sector_code = ArrayAttribute("firms", "sector")
    startup = ArrayAttribute("firms")
    size = ArrayAttribute("firms")
    wage_mult = ArrayAttribute("firms")
    equity_rate = ArrayAttribute("firms")
    recruiting = ArrayAttribute("firms")

    def __init__(self, model: Model, slot: int) -> None:
        """Bind a new agent to firm id `slot`."""
        self.slot = int(slot)
        super().__init__(model)

    @property
    def kind(self) -> str:
        """Firm kind (e.g. cn_tech_startup)."""
        return FIRM_KINDS[self.kind_code][0]

    @property
    def country(self) -> str:
        """'US' or 'CHINA'."""
        return Country(self.country_code).name

    @property
    def sector(self) -> str:
        """Sector name in the firm's country."""
        names = US_SECTORS if self.country_code == Country.US else CN_SECTORS
        return names[self.sector_code]

    @property
    def employees(self) -> float:
        """People (weighted) currently working here."""
        p = self.model.people
        mask = p.view("active") & (p.view("employer") == self.slot)
        return float(p.view("weight")[mask].sum())

    def __repr__(self) -> str:
        return f"Firm({self.slot}, {self.kind})"
