"""Schema blocks of the economy.

Careers and the bamboo ceiling, US and Chinese pay and demand, firms, visas, Chinese and
US offers, and the macro drivers.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    Field,
    model_validator,
)

from talentsim.scenario.calibrated import calibrated
from talentsim.scenario.fields import (
    ASSUMED,
    STRUCTURAL,
    Mix,
    Section,
    mix_weight,
    param,
    rate,
    share,
)
from talentsim.taxonomy import FIRM_KINDS


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
    other_route_share: float = share(
        0.0,
        "Share of the workers about to lose status (OPT over without an H-1B, H-1B at its "
        "limit without a filing) who keep a work status by another route: a cap-exempt "
        "employer, further study, an O-1 or L-1 visa, marriage. They hold an H-1B-like "
        "status with a fresh clock (docs/ODD.md, Section 7.5.2).",
        "assumed, to be calibrated (0 keeps the lottery the only route)",
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
