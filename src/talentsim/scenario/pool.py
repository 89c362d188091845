"""Schema blocks of the pool and its people.

The run's period, the population and its mix, entry and exit, family ties and belonging.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    Field,
    model_validator,
)

from talentsim.scenario.calibrated import calibrated
from talentsim.scenario.fields import (
    ASSUMED,
    RUN_SETTING,
    STRUCTURAL,
    Mix,
    Section,
    mix_weight,
    param,
    rate,
    share,
)


class TimeConfig(Section):
    """Simulated period and step length."""

    start: int = param(
        2010, "First simulated calendar year.", unit="year", source=RUN_SETTING, ge=1950, le=2100
    )
    end: int = param(
        2030,
        "Last simulated calendar year (included).",
        unit="year",
        source=RUN_SETTING,
        ge=1950,
        le=2100,
    )
    steps_per_year: int = param(
        4, "Steps per year (4 = quarterly).", unit="steps", source=STRUCTURAL, ge=1, le=52
    )
    burn_in_years: int = param(
        30,
        "Years simulated before `start`, with the parameters of `start` and nothing recorded. "
        "With population.initial 'spin_up' (the default) the pool starts empty and is made "
        "by the graduates of these years, so keep 30 or more (30: returns in 2010-2016 "
        "differ from those after 40 or 55 years by about 3 %); with 'drawn', 5 is enough.",
        unit="years",
        source=STRUCTURAL,
        ge=0,
        le=80,
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeConfig:
        if self.end < self.start:
            raise ValueError(f"time.end ({self.end}) is before time.start ({self.start})")
        return self

    @property
    def n_steps(self) -> int:
        """Number of steps from the start of `start` to the end of `end`."""
        return (self.end - self.start + 1) * self.steps_per_year


class SegmentShares(Mix):
    """Weights of the talent-pool segments (normalised: they read as shares)."""

    sv_tech: float = mix_weight(0.40, "Silicon Valley tech (software, AI/ML, hardware).")
    finance: float = mix_weight(0.18, "Finance.")
    academia: float = mix_weight(0.14, "Academia and research.")
    business_other: float = mix_weight(0.28, "Business and other fields.")


class EntrantSegmentShares(Mix):
    """Weights of the segments among new graduates entering the pool (normalised)."""

    sv_tech: float = mix_weight(
        calibrated("entry.segment_mix.sv_tech"),
        "Silicon Valley tech (software, AI/ML, hardware).",
        "assumed; informed by E17 (engineering majors were 13.1 % of returnees in 2015)",
    )
    finance: float = mix_weight(
        0.25, "Finance.", "assumed; informed by E15 (business majors 35.2 %)"
    )
    academia: float = mix_weight(0.10, "Academia and research.")
    business_other: float = mix_weight(
        0.45, "Business and other fields.", "assumed; informed by E15, E16 (social science 20.8 %)"
    )


class SkillShares(Mix):
    """Weights of skills inside the Silicon Valley tech segment (normalised)."""

    software: float = mix_weight(0.65, "Software engineering.")
    ai_ml: float = mix_weight(0.12, "AI and machine learning (heavy-tailed Chinese offers).")
    hardware: float = mix_weight(0.23, "Hardware and semiconductors.")


class EducationShares(Mix):
    """Weights of highest degrees (normalised)."""

    bachelor: float = mix_weight(0.2, "Bachelor's degree.")
    master: float = mix_weight(0.6, "Master's degree.")
    phd: float = mix_weight(0.2, "Doctorate.")


def _edu(bachelor: float, master: float, phd: float) -> Any:
    return Field(
        default_factory=lambda: EducationShares(bachelor=bachelor, master=master, phd=phd),
        description="Degree mix of the segment.",
        json_schema_extra={"unit": "shares", "source": ASSUMED},
    )


class EducationBySegment(Section):
    """Degree mix of each segment."""

    sv_tech: EducationShares = _edu(0.20, 0.55, 0.25)
    finance: EducationShares = _edu(0.15, 0.75, 0.10)
    academia: EducationShares = _edu(0.00, 0.25, 0.75)
    business_other: EducationShares = _edu(0.25, 0.70, 0.05)


class PopulationConfig(Section):
    """Size and make-up of the talent pool at the start."""

    initial: Literal["spin_up", "drawn"] = Field(
        "spin_up",
        description="How the pool is made: 'spin_up' (the calibrated baseline's), from an "
        "empty pool by the graduates who enter over the burn-in (its make-up is the model's "
        "own); 'drawn', drawn at the burn-in's start from years_since_graduation_mean and "
        "segment_mix (its recent cohorts and visa clocks leave a start-up artefact in the "
        "first recorded years: docs/ODD.md, Section 5.1).",
        json_schema_extra={"unit": "choice", "source": STRUCTURAL},
    )
    agents: int = param(
        20_000,
        "Agents that represent the pool at the start of the run (about as many in the US; "
        "exactly, with initial 'drawn'): more agents give more precise results for the same "
        "pool, at more cost.",
        unit="agents",
        source=RUN_SETTING,
        ge=1,
        le=50_000_000,
    )
    people: int = param(
        500_000,
        "People in the US-based pool at the start of the run; each agent stands for "
        "people / agents of them (with initial 'spin_up', people / the agents in the US when "
        "recording starts).",
        unit="people",
        source="assumed: the order of the US-based Chinese-born graduate pool around 2010 (X05)",
        ge=1,
        le=10_000_000_000,
    )
    segment_mix: SegmentShares = Field(default_factory=SegmentShares)
    skill_mix: SkillShares = Field(default_factory=SkillShares)
    education_mix: EducationBySegment = Field(default_factory=EducationBySegment)
    only_child_share: float = share(
        0.60,
        "Share of only children in the pool (the 2017 survey found 70.8 % among returnees, "
        "an upper bound since only children return more).",
        "E21 (upper bound); assumed",
    )
    peer_links: int = param(
        8,
        "Peers of each worker: the other members of a circle of peer_links + 1 workers of "
        "the same segment who graduated about the same time (the same year for graduates).",
        unit="peers",
        source=STRUCTURAL,
        ge=0,
        le=64,
    )
    years_since_graduation_mean: float = param(
        6.0,
        "Mean years since graduation of the pool at the start (exponential; initial 'drawn' only).",
        unit="years",
        gt=0.0,
    )

    @model_validator(mode="after")
    def _one_person_per_agent_at_least(self) -> PopulationConfig:
        if self.people < self.agents:
            raise ValueError(
                f"{self.agents:,} agents for {self.people:,} people: each agent stands for at "
                "least one person; lower population.agents or raise population.people"
            )
        return self

    @property
    def weight(self) -> float:
        """People each agent stands for."""
        return self.people / self.agents


class EntryConfig(Section):
    """New graduates entering the US pool."""

    rate: float = rate(
        0.15,
        "Graduates entering per year at `start`, per agent of population.agents. With "
        "initial 'spin_up' (the default) it sets only how many agents the pool holds (0.15 "
        "gives about population.agents in the US at the start): the agents' weight is set "
        "when recording starts, so the people entering are set by the pool's people and "
        "its make-up. With 'drawn' it is the inflow itself (0.08 was the drawn pool's).",
        "assumed; X05 gives the order of magnitude",
    )
    growth: float = param(
        0.06,
        "Annual growth of the graduate inflow.",
        unit="per year",
        source="X05 (Chinese students in the US grew about 10 % a year 2009-2019); assumed",
        ge=-0.5,
        le=0.5,
    )
    segment_mix: EntrantSegmentShares = Field(default_factory=EntrantSegmentShares)
    month: int = param(
        6,
        "Month in which the year's graduates enter the pool (US commencements are in May "
        "and June).",
        unit="month",
        source=STRUCTURAL,
        ge=1,
        le=12,
    )


class ExitConfig(Section):
    """Leaving the pool (retirement, moves to third countries, leaving the labour force)."""

    retirement_age: float = param(65.0, "Age at retirement.", unit="years", ge=40, le=90)
    attrition_rate: float = rate(0.01, "Annual hazard of leaving the pool for other reasons.")


class FamilyConfig(Section):
    """Family ties in China."""

    event_rate_at_70: float = rate(
        0.08, "Annual hazard of a family event (a parent's illness) when parents are 70."
    )
    event_age_scale: float = param(
        10.0,
        "Years of parents' age over which the event hazard grows e-fold.",
        unit="years",
        gt=0,
    )
    event_memory_years: float = param(
        2.0, "Mean time a family event keeps pulling.", unit="years", gt=0
    )
    only_child_pull: float = param(
        0.5, "Family pull of being an only child.", unit="pull", source="E21; assumed", ge=0
    )
    parent_age_pull: float = param(
        0.5, "Family pull once parents are 80 (linear from 60).", unit="pull", ge=0
    )


class BelongingConfig(Section):
    """Belonging to the US and to China (both in [0, 1])."""

    initial_us: float = share(0.15, "Belonging to the US on arrival.")
    initial_china: float = share(0.85, "Belonging to China on arrival.")
    us_gain_rate: float = rate(0.10, "Annual rate at which belonging to the US grows.")
    china_decay_rate: float = rate(0.03, "Annual rate at which belonging to China fades abroad.")
    china_gain_rate: float = rate(0.30, "Annual rate at which belonging to China grows back.")
    us_decay_rate: float = rate(0.10, "Annual rate at which belonging to the US fades in China.")
    tension_sensitivity: float = rate(
        0.30,
        "Annual erosion of belonging to the US per unit of US-China tension.",
        unit="per year per unit tension",
    )
    peer_effect: float = rate(
        0.10,
        "Annual pull towards China per share of peers who returned.",
        unit="per year per share",
    )
