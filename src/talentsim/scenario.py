"""The scenario schema: every setting and parameter of a run, validated.

A scenario file (YAML) is validated against :class:`Scenario`. Each parameter carries its
unit and source (a row id of ``data/parameter_evidence.csv`` such as ``E09``, or
``assumed``), so the parameter table in docs/ODD.md is generated from this module.
Unknown keys are errors everywhere.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from talentsim.calibrated import calibrated
from talentsim.taxonomy import FIRM_KINDS

ASSUMED = "assumed, to be calibrated"
STRUCTURAL = "structural choice (see docs/ODD.md)"
RUN_SETTING = "run setting"


#: What a scenario's name may look like: it becomes part of result folder names.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

#: Upper bounds of the parameters that state none, by unit: far above any plausible value,
#: they keep absurd input (a wage of 1e308 overflows the pay arithmetic) out of a run. A
#: unit starting with "utility" is bounded by 100, one starting with "per year" by 20.
UPPER_BOUNDS: dict[str, float] = {
    "integer": 2**63 - 1,
    "weight": 1_000.0,
    "years": 100.0,
    "USD per year": 1e8,
    "CNY per year": 1e9,
    "CNY per international dollar": 1_000.0,
    "CNY per USD": 1_000.0,
    "share": 10.0,
    "firms": 10_000,
    "ratio": 1_000.0,
    "exponent (dimensionless)": 100.0,
    "pull": 100.0,
    "ratio per level": 100.0,
    "ratio per share": 100.0,
    "log points": 10.0,
    "respondents": 10_000_000,
}


def upper_bound(unit: str) -> float:
    """The upper bound of a parameter of this unit that states none (see UPPER_BOUNDS)."""
    if unit.startswith("utility"):
        return 100.0
    if unit.startswith("per year"):
        return 20.0
    if unit not in UPPER_BOUNDS:
        raise TypeError(f"a parameter in {unit!r} needs an upper bound (le=...)")
    return UPPER_BOUNDS[unit]


def param(
    default: Any,
    description: str,
    *,
    unit: str = "",
    source: str = ASSUMED,
    **constraints: Any,
) -> Any:
    """A pydantic Field that records the parameter's unit and source for the docs.

    Args:
        default: Default value.
        description: One sentence saying what the parameter does.
        unit: Unit of the value ("" for dimensionless).
        source: Evidence row ids (see data/parameter_evidence.csv) or "assumed ...".
        **constraints: Bounds passed to pydantic (ge, gt, le, lt).

    Returns:
        A pydantic FieldInfo.
    """
    numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
    if numeric and "le" not in constraints and "lt" not in constraints:
        constraints["le"] = upper_bound(unit)
    return Field(
        default,
        description=description,
        json_schema_extra={"unit": unit, "source": source},
        **constraints,
    )


class Section(BaseModel):
    """Base of every scenario section.

    Unknown keys are errors; numbers must be finite; a boolean is not a number (YAML's
    `true` would otherwise pass as 1).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=False, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        annotation = cls.model_fields[info.field_name].annotation
        if annotation is bool:
            return value
        if isinstance(value, dict):  # a section validates itself; a plain mapping is checked
            items = list(value.values()) if get_origin(annotation) is dict else []
        else:
            items = list(value) if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(item, bool) for item in items):
            raise ValueError("expected a number or text, not a boolean (true/false)")
        return value


class Mix(Section):
    """Base of mixes: relative weights of categories, which the model divides by their sum.

    The defaults add up to one, so they read as shares; a calibration or a sweep can vary
    one weight and leave the others.
    """

    @model_validator(mode="after")
    def _some_weight(self) -> Mix:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one category needs a positive weight")
        return self


def mix_weight(default: float, description: str, source: str = ASSUMED) -> Any:
    """A non-negative weight of a category in a mix."""
    return param(default, description, unit="weight", source=source, ge=0.0, le=1_000.0)


def share(default: float, description: str, source: str = ASSUMED) -> Any:
    """A share parameter in [0, 1]."""
    return param(default, description, unit="share", source=source, ge=0.0, le=1.0)


def rate(default: float, description: str, source: str = ASSUMED, unit: str = "per year") -> Any:
    """A non-negative annual rate (hazard)."""
    return param(default, description, unit=unit, source=source, ge=0.0)


# --------------------------------------------------------------------------- run settings


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
        5,
        "Years simulated before `start`, with the parameters of `start` and nothing recorded, "
        "so that visa statuses, careers and the returnees in China settle.",
        unit="years",
        source=STRUCTURAL,
        ge=0,
        le=50,
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

    agents: int = param(
        20_000,
        "Agents that represent the pool at the start of the run: more agents give more "
        "precise results for the same pool, at more cost.",
        unit="agents",
        source=RUN_SETTING,
        ge=1,
        le=50_000_000,
    )
    people: int = param(
        500_000,
        "People in the US-based pool at the start of the run; each agent stands for "
        "people / agents of them.",
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
        "Mean years since graduation of the pool at the start (exponential).",
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


# --------------------------------------------------------------------------- processes


class EntryConfig(Section):
    """New graduates entering the US pool."""

    rate: float = rate(
        0.08,
        "Graduates entering per year, as a share of the starting pool.",
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


class PromotionRates(Section):
    """Base promotion hazards by step of the ladder (what non-Asian peers face)."""

    to_senior: float = rate(0.25, "Junior IC to senior IC.")
    to_manager: float = rate(0.10, "Senior IC to manager.")
    to_director: float = rate(0.06, "Manager to director.")
    to_executive: float = rate(0.03, "Director to executive.")


class CareersConfig(Section):
    """Promotions, the bamboo ceiling, pay by level."""

    promotion: PromotionRates = Field(default_factory=PromotionRates)
    bamboo_penalty_management: float = share(
        calibrated("careers.bamboo_penalty_management"),
        "Relative cut in the promotion hazard of Chinese workers in US firms at the management "
        "steps (to manager, to director): 1 - 0.19/0.27.",
        "E01, E02",
    )
    bamboo_penalty_executive: float = share(
        0.26,
        "Relative cut at the executive step: 1 - 0.14/0.19 (E04 gives a total ratio of 2).",
        "E02, E03, E04",
    )
    level_pay_premium: float = param(
        0.20, "Pay premium per career level.", unit="share per level", ge=0.0, le=2.0
    )
    china_promotion_multiplier: float = param(
        1.2,
        "Promotion hazards in Chinese firms relative to the base rates.",
        unit="ratio",
        ge=0.0,
        le=10.0,
    )
    returnee_step_up: float = share(
        0.25,
        "Probability that a returnee is hired one level above their US level.",
    )


class UsWages(Section):
    """US annual salaries in the reference year by segment and skill."""

    software: float = param(
        101_790,
        "Software engineers.",
        unit="USD per year",
        source="E09 (E08: 110,000 in 2018)",
        gt=0,
    )
    ai_ml: float = param(130_000, "AI/ML engineers.", unit="USD per year", gt=0)
    hardware: float = param(105_000, "Hardware engineers.", unit="USD per year", gt=0)
    finance: float = param(85_000, "Finance.", unit="USD per year", gt=0)
    academia: float = param(60_000, "Academia and research.", unit="USD per year", gt=0)
    business_other: float = param(70_000, "Business and other.", unit="USD per year", gt=0)


class UnitedStatesConfig(Section):
    """US labour market."""

    wage: UsWages = Field(default_factory=UsWages)
    pay_growth: float = param(
        0.03, "Annual nominal pay growth in US firms.", unit="per year", ge=-0.5, le=1.0
    )
    demand_growth: float = param(
        0.02, "Annual growth of US demand (opportunity).", unit="per year", ge=-0.5, le=1.0
    )


class ChinaSectorConfig(Section):
    """One sector of the Chinese economy."""

    wage: float = param(
        87_672, "Annual salary in the reference year.", unit="CNY per year", source="E10", gt=0
    )
    pay_growth: float = param(0.06, "Annual nominal pay growth.", unit="per year", ge=-0.5, le=1.0)
    demand_growth: float = param(
        0.05,
        "Annual growth of hiring demand for overseas talent.",
        unit="per year",
        ge=-0.5,
        le=1.0,
    )


def _sector(wage: float, pay_growth: float, demand_growth: float, source: str) -> Any:
    return Field(
        default_factory=lambda: ChinaSectorConfig(
            wage=wage, pay_growth=pay_growth, demand_growth=demand_growth
        ),
        description="Wage level, pay growth and demand growth of the sector.",
        json_schema_extra={"unit": "", "source": source},
    )


class ChinaSectors(Section):
    """The Chinese sectors returnees join."""

    technology: ChinaSectorConfig = _sector(
        180_000,
        0.08,
        calibrated("china.sectors.technology.demand_growth"),
        "wage: E12, E13 (70 % of AI staff above 120,000 a year); assumed",
    )
    finance: ChinaSectorConfig = _sector(
        130_000,
        0.05,
        calibrated("china.sectors.finance.demand_growth"),
        "assumed; E10, E11 for scale",
    )
    education: ChinaSectorConfig = _sector(80_000, 0.05, 0.02, "assumed; E10, E11 for scale")
    manufacturing: ChinaSectorConfig = _sector(85_000, 0.06, 0.02, "assumed; E11 for scale")
    other: ChinaSectorConfig = _sector(87_672, 0.06, 0.02, "E10 (wage); assumed (growth)")


class ChinaConfig(Section):
    """Chinese labour market and prices."""

    sectors: ChinaSectors = Field(default_factory=ChinaSectors)
    ppp_factor: float = param(
        4.0,
        "Purchasing-power parity conversion factor.",
        unit="CNY per international dollar",
        source="X06",
        gt=0,
    )
    exchange_rate: float = param(
        6.75,
        "Market exchange rate (for reporting pay in USD).",
        unit="CNY per USD",
        source="X07",
        gt=0,
    )


class PayConfig(Section):
    """Pay levels and their spread."""

    reference_year: int = param(
        2017,
        "Year in which the wage levels are given; the start is back-cast with the growth rates.",
        unit="year",
        source=STRUCTURAL,
        ge=1950,
        le=2100,
    )
    master_premium: float = param(0.10, "Pay premium of a master's degree.", unit="share", ge=0)
    phd_premium: float = param(0.25, "Pay premium of a doctorate.", unit="share", ge=0)
    individual_sd: float = param(
        0.20, "Spread of individual pay (sd of log pay).", unit="log points", ge=0, le=3
    )
    firm_sd: float = param(
        0.15, "Spread of firms' wage levels (sd of log).", unit="log points", ge=0, le=3
    )


class FirmKindConfig(Section):
    """Parameters of one kind of firm."""

    count: int = param(10, "Number of firms of this kind.", unit="firms", source=STRUCTURAL, ge=1)
    equity_rate: float = param(
        0.10, "Equity granted each year, as a share of salary.", unit="share", ge=0, le=5
    )
    recruiting: float = param(
        1.0,
        "How hard the firm recruits Chinese-born talent (relative): with size, it weights "
        "which firm of its sector an offer or a hire comes from.",
        unit="ratio",
        ge=0,
    )


def _kind(count: int, equity_rate: float, recruiting: float = 1.0) -> Any:
    return Field(
        default_factory=lambda: FirmKindConfig(
            count=count, equity_rate=equity_rate, recruiting=recruiting
        ),
        json_schema_extra={"unit": "", "source": ASSUMED},
    )


class FirmsConfig(Section):
    """Employers in the US and in China."""

    us_tech_giant: FirmKindConfig = _kind(8, 0.30)
    us_tech_startup: FirmKindConfig = _kind(40, 0.15)
    us_finance: FirmKindConfig = _kind(10, 0.15)
    us_academia: FirmKindConfig = _kind(12, 0.0)
    us_other: FirmKindConfig = _kind(20, 0.05)
    cn_tech_giant: FirmKindConfig = _kind(8, 0.20, 1.5)
    cn_tech_startup: FirmKindConfig = _kind(60, 0.25, 1.0)
    cn_finance: FirmKindConfig = _kind(15, 0.10, 1.0)
    cn_education: FirmKindConfig = _kind(12, 0.0, 1.0)
    cn_manufacturing: FirmKindConfig = _kind(15, 0.05, 0.8)
    cn_other: FirmKindConfig = _kind(20, 0.05, 0.8)
    size_alpha: float = param(
        1.2,
        "Pareto exponent of firm sizes (smaller = more concentrated).",
        unit="exponent (dimensionless)",
        gt=0.1,
    )
    startup_upside: float = param(
        0.5,
        "Extra opportunity value of a start-up's equity.",
        unit="utility per unit equity",
        ge=0,
    )

    @model_validator(mode="after")
    def _every_sector_hires(self) -> FirmsConfig:
        by_sector: dict[tuple[int, int], list[str]] = {}
        for key, country, sector, _ in FIRM_KINDS:
            by_sector.setdefault((int(country), sector), []).append(key)
        for kinds in by_sector.values():
            if all(getattr(self, k).recruiting == 0 for k in kinds):
                raise ValueError(
                    f"recruiting is 0 for every firm kind of a sector ({', '.join(kinds)}); "
                    "at least one must hire"
                )
        return self


class VisasConfig(Section):
    """US immigration: OPT, the H-1B lottery, green cards."""

    h1b_lottery_rate: float = share(
        0.40, "Chance of selection in the annual H-1B cap lottery (bachelor's).", "X01"
    )
    h1b_lottery_rate_advanced: float = share(
        0.50, "Chance of selection with a US master's degree or doctorate.", "X01; assumed"
    )
    h1b_approval_rate: float = share(
        0.94, "Chance that a selected or cap-exempt petition is approved.", "X02 (FY2015)"
    )
    opt_years_stem: float = param(
        3.0,
        "OPT length for STEM graduates (sv_tech, academia).",
        unit="years",
        source="X04",
        ge=0,
        le=10,
    )
    opt_years_other: float = param(
        1.0, "OPT length for other graduates.", unit="years", source="X04", ge=0, le=10
    )
    h1b_max_years: float = param(
        6.0,
        "Maximum H-1B stay without a pending green card.",
        unit="years",
        source="X03",
        gt=0,
        le=20,
    )
    green_card_sponsor_rate: float = rate(
        0.25, "Annual hazard that an H-1B holder's employer files for a green card."
    )
    green_card_wait_years: float = param(
        5.0,
        "Mean wait from filing to permanent residence for China-born applicants.",
        unit="years",
        gt=0,
    )
    lottery_month: int = param(
        4, "Month of the annual H-1B lottery.", unit="month", source=STRUCTURAL, ge=1, le=12
    )
    permanent_lapse_years: float = param(
        2.0,
        "Years abroad after which a permanent resident (not yet a citizen) loses the status "
        "(the longest re-entry permit).",
        unit="years",
        source="assumed (US re-entry permits last up to two years)",
        gt=0,
    )
    naturalisation_years: float = param(
        5.0,
        "Years of permanent residence after which a worker is taken to be a citizen.",
        unit="years",
        source="assumed (US naturalisation after five years of residence)",
        gt=0,
    )


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


def fit_weight(default: float, description: str) -> Any:
    """A non-negative relative weight of a sector in a segment's Chinese offers."""
    return mix_weight(default, description)


class OfferFit(Mix):
    """Relative weights of a segment's Chinese offers by sector, at the start of the run.

    The model divides them by their sum, so they need not add to one (the defaults do, and
    then they are shares); a calibration can vary one sector's weight alone.
    """

    technology: float = fit_weight(0.2, "Technology.")
    finance: float = fit_weight(0.2, "Finance.")
    education: float = fit_weight(0.2, "Education and research.")
    manufacturing: float = fit_weight(0.2, "Manufacturing.")
    other: float = fit_weight(0.2, "State-owned and other.")


def _fit(t: float, f: float, e: float, m: float, o: float) -> Any:
    return Field(
        default_factory=lambda: OfferFit(
            technology=t, finance=f, education=e, manufacturing=m, other=o
        ),
        json_schema_extra={"unit": "shares", "source": ASSUMED},
    )


class OfferFitBySegment(Section):
    """Where each segment's Chinese offers come from (before sector demand growth)."""

    sv_tech: OfferFit = _fit(
        calibrated("offers.fit.sv_tech.technology"),
        0.10,
        0.10,
        calibrated("offers.fit.sv_tech.manufacturing"),
        0.17,
    )
    finance: OfferFit = _fit(0.03, calibrated("offers.fit.finance.finance"), 0.05, 0.07, 0.35)
    academia: OfferFit = _fit(0.05, 0.03, calibrated("offers.fit.academia.education"), 0.07, 0.15)
    business_other: OfferFit = _fit(
        calibrated("offers.fit.business_other.technology"),
        0.15,
        calibrated("offers.fit.business_other.education"),
        calibrated("offers.fit.business_other.manufacturing"),
        0.50,
    )


class OffersConfig(Section):
    """Job offers from Chinese and US firms."""

    china_rate: float = rate(
        0.05, "Annual hazard of a Chinese offer for a master's-level junior IC, at 2010 demand."
    )
    us_rate: float = rate(0.20, "Annual hazard of an offer from another US firm.")
    fit: OfferFitBySegment = Field(default_factory=OfferFitBySegment)
    phd_multiplier: float = param(1.5, "Offer hazard of PhDs relative.", unit="ratio", ge=0)
    bachelor_multiplier: float = param(
        0.7, "Offer hazard of bachelor's holders relative.", unit="ratio", ge=0
    )
    level_multiplier: float = param(
        0.25, "Extra offer hazard per career level.", unit="ratio per level", ge=0
    )
    peer_reach: float = param(
        1.0, "Extra offer hazard per share of peers who returned.", unit="ratio per share", ge=0
    )
    offer_sd: float = param(0.25, "Spread of offered pay (sd of log).", unit="log points", ge=0)
    ai_tail_alpha: float = param(
        1.6,
        "Pareto exponent of AI/ML offers from Chinese tech firms, scaled to a median of 1 "
        "(heavier tail when smaller; above 1 for a finite mean).",
        unit="exponent (dimensionless)",
        source="E13, E14 (offers of 0.3-0.6 M CNY and a USD 30 M headline); assumed",
        gt=1.0,
    )
    us_switch_premium: float = param(
        0.08, "Mean pay rise of a US job switch.", unit="log points", ge=-1, le=2
    )
    founder_rate: float = share(
        calibrated("offers.founder_rate"),
        "Share of returnees joining start-ups or 'other' who found their own firm.",
    )


class MacroConfig(Section):
    """Macro drivers the timeline moves."""

    tension: float = param(
        0.1, "US-China tension (0 calm, 1 decoupling).", unit="index", ge=0, le=1
    )
    talent_programme: float = param(
        0.2,
        "Intensity of Chinese talent programmes (0 none; 1 doubles offers to eligible talent).",
        unit="index",
        ge=0,
        le=5,
    )
    programme_pay_bonus: float = param(
        0.3, "Pay bonus of a programme offer at intensity 1.", unit="share", ge=0
    )


class UtilityWeights(Section):
    """Weights of the random-utility decision (the Gumbel noise has scale 1)."""

    salary: float = param(
        1.0, "Per log point of PPP-adjusted pay and equity.", unit="utility per log point", ge=0
    )
    growth: float = param(
        1.0,
        "Per log point of expected pay growth over the horizon.",
        unit="utility per log point",
        ge=0,
    )
    promotion: float = param(
        2.0, "Per expected promotion over the horizon.", unit="utility per promotion", ge=0
    )
    belonging: float = param(
        2.0,
        "Per unit of belonging to the destination country.",
        unit="utility per unit (0-1 index)",
        ge=0,
    )
    opportunity: float = param(
        2.0,
        "Per unit of sector demand growth and start-up upside.",
        unit="utility per unit of growth rate",
        ge=0,
    )
    family: float = param(
        calibrated("decisions.weights.family"),
        "Per unit of family pull (China options only).",
        unit="utility per unit (0-1 index)",
        ge=0,
    )
    visa_risk: float = param(
        1.5,
        "Per unit probability of losing US status (US options).",
        unit="utility per unit probability",
        ge=0,
    )
    tension: float = param(
        1.0, "Per unit of US-China tension (US options).", unit="utility per unit (index)", ge=0
    )
    peers: float = param(
        0.5,
        "Per unit of how well returned peers fared (China options).",
        unit="utility per unit (0-1 index)",
        ge=0,
    )


class DecisionsConfig(Section):
    """The choice between staying, switching within the US and returning."""

    weights: UtilityWeights = Field(default_factory=UtilityWeights)
    moving_cost_return: float = param(2.0, "Utility cost of moving to China.", unit="utility", ge=0)
    moving_cost_switch: float = param(
        0.5, "Utility cost of changing US employer.", unit="utility", ge=0
    )
    moving_cost_remigrate: float = param(
        2.0, "Utility cost of moving back to the US.", unit="utility", ge=0
    )
    horizon_years: float = param(
        5.0, "Planning horizon for pay growth and promotions.", unit="years", gt=0, le=40
    )
    reason_threshold: float = param(
        0.25,
        "A factor is reported as a reason for return when it adds at least this much utility.",
        unit="utility",
        ge=0,
    )


class RemigrationConfig(Section):
    """Returnees moving to the US again (brain circulation)."""

    us_offer_rate: float = rate(0.05, "Annual hazard of a US offer to a returnee.")


class SurveyConfig(Section):
    """The virtual survey of returnees present in China."""

    years: list[int] | Literal["all"] = Field(
        "all",
        description="Survey years, or 'all' for every simulated year.",
        json_schema_extra={"unit": "years", "source": STRUCTURAL},
    )
    month: int = param(
        6, "Month in which the survey is fielded.", unit="month", ge=1, le=12, source=STRUCTURAL
    )
    sample_size: dict[int, int] = Field(
        default_factory=lambda: {2015: 913, 2017: 1821},
        description="Sample size by survey year (the real surveys' numbers of responses).",
        json_schema_extra={"unit": "respondents", "source": "survey_targets.csv"},
    )
    default_sample_size: int = param(
        1821,
        "Sample size in years not listed in sample_size.",
        unit="respondents",
        ge=1,
        source="survey_targets.csv",
    )
    recency_years: float = param(
        calibrated("survey.recency_years"),
        "Decay scale of the sampling weight exp(-years since return / recency_years).",
        unit="years",
        gt=0,
    )

    @field_validator("sample_size")
    @classmethod
    def _positive(cls, value: dict[int, int]) -> dict[int, int]:
        for year, n in value.items():
            if n < 1:
                raise ValueError(f"sample size for {year} must be at least 1, got {n}")
        return value


# --------------------------------------------------------------------------- timeline


class Intervention(Section):
    """A change to one parameter from a date, optionally ramped linearly until `to`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    param: str = Field(
        description="Dotted path of a numeric parameter, e.g. visas.h1b_approval_rate."
    )
    from_: float = Field(alias="from", description="Decimal year from which the change applies.")
    to: float | None = Field(
        None, description="End of a linear ramp (decimal year); omitted for a step change."
    )
    set: float | None = Field(None, description="New value.")
    scale: float | None = Field(None, description="Multiply the value by this.")
    add: float | None = Field(None, description="Add this to the value.")
    note: str | None = Field(None, description="Why (free text).")

    @model_validator(mode="after")
    def _one_operation(self) -> Intervention:
        given = [op for op in ("set", "scale", "add") if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of set, scale or add (got {', '.join(given) or 'none'})"
            )
        if self.to is not None and self.to <= self.from_:
            raise ValueError(f"'to' ({self.to}) must be after 'from' ({self.from_})")
        return self

    @property
    def operation(self) -> tuple[str, float]:
        """The operation name and its operand."""
        for op in ("set", "scale", "add"):
            value = getattr(self, op)
            if value is not None:
                return op, value
        raise AssertionError("validated to have one operation")


# --------------------------------------------------------------------------- sweeps


class SweepParameter(Section):
    """How one parameter varies across the points of a sweep."""

    values: list[float] | None = Field(
        None, description="Explicit values (grid design).", min_length=1
    )
    range: tuple[float, float] | None = Field(
        None, description="[low, high] (Latin hypercube, Sobol; or a grid with `steps`)."
    )
    steps: int | None = Field(
        None, description="Evenly spaced values over `range` (grid design).", ge=1, le=1_000_000
    )

    @model_validator(mode="after")
    def _one_way(self) -> SweepParameter:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values or range")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(
                    f"range [{low:g}, {high:g}] is empty or reversed; give [low, high] "
                    "with low < high"
                )
        if self.steps is not None and self.range is None:
            raise ValueError("steps needs a range")
        return self


class SweepConfig(Section):
    """A sweep: which parameters vary, over which design, with how many replicates."""

    design: Literal["grid", "lhs", "sobol", "table"] = Field(
        "grid",
        description="grid: every combination; lhs: Latin hypercube; sobol: scrambled Sobol "
        "sequence; table: the points of a CSV file.",
    )
    parameters: dict[str, SweepParameter] = Field(
        default_factory=dict, description="Dotted scenario keys and how they vary."
    )
    points: int | None = Field(
        None, description="Number of points (lhs, sobol).", ge=1, le=1_000_000
    )
    table: str | None = Field(
        None, description="CSV file of points, one column per dotted key (design: table)."
    )
    replicates: int = Field(1, description="Replicates per point.", ge=1, le=10_000)
    seed: int = Field(0, description="Seed of the Latin hypercube or Sobol scrambling.", ge=0)
    common_random_numbers: bool = Field(
        False,
        description="Give every point the same random streams (replicate r of every point "
        "shares them), so that differences between points are not noise.",
    )

    @model_validator(mode="after")
    def _design_fits(self) -> SweepConfig:
        if self.design == "table":
            if not self.table:
                raise ValueError("design 'table' needs `table: FILE.csv`")
            return self
        if self.table:
            raise ValueError(f"`table` is only used by design 'table', not {self.design!r}")
        if not self.parameters:
            raise ValueError("a sweep needs at least one parameter")
        if self.design == "grid":
            for key, spec in self.parameters.items():
                if spec.range is not None and spec.steps is None:
                    raise ValueError(f"grid design: parameter {key} has a range but no steps")
            if self.points is not None:
                raise ValueError("grid design: the number of points follows from the values")
        else:
            for key, spec in self.parameters.items():
                if spec.range is None:
                    raise ValueError(
                        f"{self.design} design needs a range for every parameter; {key} "
                        "gives values"
                    )
            if self.points is None:
                raise ValueError(f"{self.design} design needs `points`")
        return self


# --------------------------------------------------------------------------- calibration


class Prior(Section):
    """The prior of one free parameter.

    uniform: flat on [low, high]. normal: mean and sd, truncated to [low, high] if given.
    lognormal: median and sd of the log, truncated to [low, high] if given.
    """

    distribution: Literal["uniform", "normal", "lognormal"] = Field(
        "uniform", description="Family of the prior."
    )
    low: float | None = Field(None, description="Lower bound (required for uniform).")
    high: float | None = Field(None, description="Upper bound (required for uniform).")
    mean: float | None = Field(None, description="Mean (normal).")
    sd: float | None = Field(
        None, description="Standard deviation (normal; of the log, lognormal).", gt=0
    )
    median: float | None = Field(None, description="Median (lognormal).", gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Prior:
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(
                f"the lower bound ({self.low:g}) must be below the upper bound ({self.high:g})"
            )
        needs = {
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "lognormal": ("median", "sd"),
        }[self.distribution]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.distribution} prior needs {' and '.join(missing)}")
        if self.distribution == "lognormal" and self.low is not None and self.low < 0:
            raise ValueError("a lognormal prior lives on positive values: low must be >= 0")
        return self


class AbcSettings(Section):
    """Settings of the ABC-SMC algorithm (pyabc)."""

    population_size: int = Field(100, description="Particles per generation.", ge=2)
    generations: int = Field(8, description="Most generations to run.", ge=1)
    min_epsilon: float = Field(
        1.0,
        description="Stop when the acceptance threshold falls to this distance (in standard "
        "errors of the targets).",
        ge=0,
    )
    min_acceptance_rate: float = Field(
        0.0,
        description="Stop when a generation accepts fewer than this share of its proposals "
        "(0: never): late generations that accept a few per cent cost most of the time.",
        ge=0,
        lt=1,
    )
    rank_statistic: Literal["sample", "probability"] = Field(
        "sample",
        description="What a ranking target compares: 'sample', whether the category ranks "
        "first in the simulated survey's sample (0 or 1); 'probability', the chance that it "
        "ranks first in a survey of the same size drawn from the simulated returnees (from "
        "the survey's population shares), which rewards a clear lead over a lucky one.",
    )
    share_statistic: Literal["sample", "population"] = Field(
        "sample",
        description="What a share target compares: 'sample', the share among the simulated "
        "survey's respondents (the simulation carries a survey's sampling noise, and the "
        "posterior tends to the exact one as epsilon falls); 'population', the share among "
        "the simulated returnees the survey samples from (recency-weighted): less noisy "
        "distances, but the survey's sampling noise then enters only through the tolerance "
        "epsilon, so the posterior's width depends on where epsilon stops.",
    )
    rank_penalty: float = Field(
        2.0,
        description="Added to the distance for each ranking target the simulation gets "
        "wrong (in standard errors).",
        ge=0,
    )
    kernel_scaling: float = Field(
        2.0,
        description="Width of the proposal kernel (pyabc's multivariate normal transition) "
        "as a multiple of Silverman's rule. With many free parameters a wider kernel keeps "
        "the particle weights even (a larger effective sample size) at the cost of more "
        "simulations per generation.",
        gt=0,
    )
    seed: int = Field(0, description="Seed of the calibration's own random numbers.", ge=0)


class CalibrationConfig(Section):
    """A calibration: free parameters with priors, targets, and ABC-SMC settings."""

    parameters: dict[str, Prior] = Field(
        default_factory=dict, description="Dotted scenario keys and their priors."
    )
    targets: str = Field(
        "talentsim:survey_targets",
        description="Targets CSV (relative to the scenario file), or talentsim:survey_targets "
        "(the CCG surveys, 2015 = 10 %) or talentsim:survey_targets_alt_2015 (2015 = 14.5 %).",
    )
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="Weight of each measure in the distance (default 1 for every measure).",
    )
    population: int = Field(
        5000,
        description="Agents per simulation (population.agents during calibration; the pool "
        "keeps its people).",
        ge=50,
        le=50_000_000,
    )
    abc: AbcSettings = Field(default_factory=AbcSettings)

    @model_validator(mode="after")
    def _some_parameters(self) -> CalibrationConfig:
        if not self.parameters:
            raise ValueError("a calibration needs at least one free parameter")
        for measure, weight in self.weights.items():
            if weight < 0:
                raise ValueError(f"the weight of {measure!r} must be >= 0")
        return self


# --------------------------------------------------------------------------- scenario


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
        if not SAFE_NAME.match(value) or ".." in value:
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
