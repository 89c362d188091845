"""The scenario schema: every setting and parameter of a run, validated.

A scenario file (YAML) is validated against :class:`Scenario`, which gathers the blocks
defined in the sibling modules (the pool, the economy, behaviour, the survey, the timeline,
the sweep and calibration blocks). Each parameter carries its unit and source, so the
parameter table in docs/ODD.md is generated from the schema. Unknown keys are errors
everywhere.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from talentsim.scenario.behaviour import DecisionsConfig, RemigrationConfig
from talentsim.scenario.calibration_block import CalibrationConfig
from talentsim.scenario.economy import (
    CareersConfig,
    ChinaConfig,
    FirmsConfig,
    MacroConfig,
    OffersConfig,
    PayConfig,
    UnitedStatesConfig,
    VisasConfig,
)
from talentsim.scenario.fields import RUN_SETTING, SAFE_NAME, Section, param
from talentsim.scenario.interventions import Intervention
from talentsim.scenario.observation import SurveyConfig
from talentsim.scenario.pool import (
    BelongingConfig,
    EntryConfig,
    ExitConfig,
    FamilyConfig,
    PopulationConfig,
    TimeConfig,
)
from talentsim.scenario.sweep_block import SweepConfig


class Scenario(Section):
    """A complete scenario: run settings, parameters, timeline and survey."""

    name: str = Field(
        "baseline",
        description="Short name, used in result folder names: letters, digits, '.', '-' and "
        "'_', starting with a letter or digit (at most 128 characters).",
    )
    description: str = Field("", description="What the scenario asks.")
    extends: str | None = Field(
        None, description="Path of a scenario this one extends (relative to this file)."
    )
    seed: int = param(
        20180501,
        "Seed of the run (replicate r uses the seed and r).",
        unit="integer",
        source=RUN_SETTING,
        ge=0,
    )
    replicates: int = param(
        5, "Replicates per run.", unit="runs", source=RUN_SETTING, ge=1, le=10_000
    )
    time: TimeConfig = Field(default_factory=TimeConfig)
    population: PopulationConfig = Field(default_factory=PopulationConfig)
    entry: EntryConfig = Field(default_factory=EntryConfig)
    exit: ExitConfig = Field(default_factory=ExitConfig)
    careers: CareersConfig = Field(default_factory=CareersConfig)
    us: UnitedStatesConfig = Field(default_factory=UnitedStatesConfig)
    china: ChinaConfig = Field(default_factory=ChinaConfig)
    pay: PayConfig = Field(default_factory=PayConfig)
    firms: FirmsConfig = Field(default_factory=FirmsConfig)
    visas: VisasConfig = Field(default_factory=VisasConfig)
    family: FamilyConfig = Field(default_factory=FamilyConfig)
    belonging: BelongingConfig = Field(default_factory=BelongingConfig)
    offers: OffersConfig = Field(default_factory=OffersConfig)
    macro: MacroConfig = Field(default_factory=MacroConfig)
    decisions: DecisionsConfig = Field(default_factory=DecisionsConfig)
    remigration: RemigrationConfig = Field(default_factory=RemigrationConfig)
    survey: SurveyConfig = Field(default_factory=SurveyConfig)
    timeline: list[Intervention] = Field(
        default_factory=list, description="Interventions, applied in order."
    )
    sweep: SweepConfig | None = Field(
        None, description="Variants of this scenario for `talentsim sweep` (ignored by run)."
    )
    calibration: CalibrationConfig | None = Field(
        None, description="Free parameters and targets for `talentsim calibrate`."
    )

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not SAFE_NAME.fullmatch(value) or ".." in value:
            raise ValueError(
                "a scenario's name is used in result folder names: give letters, digits, "
                "'.', '-' and '_' only, starting with a letter or digit, at most 128 "
                "characters, with no '..'"
            )
        return value


#: Sections whose numeric parameters the timeline may change.
TIMELINE_SECTIONS: frozenset[str] = frozenset(
    {
        "entry",
        "exit",
        "careers",
        "us",
        "china",
        "pay",
        "visas",
        "family",
        "belonging",
        "offers",
        "macro",
        "decisions",
        "remigration",
    }
)
