"""Schema block of the virtual survey: when it is fielded, its size and its recency weights."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

from talentsim.scenario.calibrated import calibrated
from talentsim.scenario.fields import (
    STRUCTURAL,
    Section,
    param,
)


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
            if not 1 <= n <= 10_000_000:
                raise ValueError(
                    f"the sample size of {year} must lie between 1 and 10,000,000 respondents"
                )
        return value
