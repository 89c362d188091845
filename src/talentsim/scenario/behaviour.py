"""Schema blocks of decisions: the random-utility weights, moving costs and remigration."""

from __future__ import annotations

from pydantic import (
    Field,
)

from talentsim.scenario.calibrated import calibrated
from talentsim.scenario.fields import (
    Section,
    param,
    rate,
    share,
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
    forced_reason_share: float = share(
        1.0,
        "Share of the returnees forced out by a lost status who name unfavourable conditions "
        "abroad among their reasons (the others name it only if its push passes "
        "reason_threshold, like every returnee): an end of status is, for many, the "
        "expected end of a stay (docs/ODD.md, Section 7.8.4).",
        "assumed, to be calibrated (1: every forced returnee names it)",
    )


class RemigrationConfig(Section):
    """Returnees moving to the US again (brain circulation)."""

    us_offer_rate: float = rate(0.05, "Annual hazard of a US offer to a returnee.")
