"""Schema of a scenario's `calibration:` block: priors, targets and ABC-SMC settings."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from talentsim.scenario.fields import (
    Section,
)


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
    seed: int = Field(
        0, description="Seed of the calibration's own random numbers.", ge=0, le=2**32 - 1
    )


class CalibrationConfig(Section):
    """A calibration: free parameters with priors, targets, and ABC-SMC settings."""

    parameters: dict[str, Prior] = Field(
        default_factory=dict, description="Dotted scenario keys and their priors."
    )
    targets: str = Field(
        "talentsim:survey_targets",
        description="Targets CSV (relative to the scenario file; its calibration split), or "
        "talentsim:evidence (the seed surveys and the independent evidence), "
        "talentsim:survey_targets (the CCG surveys, 2015 = 10 %) or "
        "talentsim:survey_targets_alt_2015 (2015 = 14.5 %).",
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
