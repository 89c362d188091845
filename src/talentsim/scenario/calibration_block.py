"""Schema of a scenario's `calibration:` block: priors, targets, ABC-SMC and NPE settings."""

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


class RefineSettings(Section):
    """An importance-weighted ABC step on simulations proposed by the trained estimator."""

    simulations: int = Field(
        0,
        description="Simulations drawn from the estimator's posterior and run as a sweep "
        "(0: no refinement, the estimator's posterior is the result). The closest of them "
        "by the ABC distance (abc.rank_penalty included) form the posterior, weighted by "
        "prior over proposal density: an ABC rejection step that holds the rankings the "
        "estimator blurs.",
        ge=0,
        le=1_000_000,
    )
    keep: float = Field(
        0.2,
        description="Share of the refinement's simulations kept (the closest).",
        gt=0,
        le=1,
    )


class NpeSettings(Section):
    """Settings of neural posterior estimation (sbi)."""

    simulations: int = Field(
        2000,
        description="Training simulations, drawn from the priors and run as a sweep (at "
        "least 25 per free parameter).",
        ge=1,
        le=1_000_000,
    )
    held_out: int = Field(
        200,
        description="Further simulations from the priors kept out of training, for the "
        "coverage checks (0: none; fewer than 100 make them rough).",
        ge=0,
        le=100_000,
    )
    rounds: int = Field(
        2,
        description="1: every simulation from the priors (the estimator is amortised over "
        "them); 2 to 4: the simulations split evenly over rounds, each after the first (and "
        "the held-out ones, in the last) from the priors truncated to the previous round's "
        "posterior region (truncated sequential NPE), which pays when the observed figures "
        "lie in a small part of what the priors produce.",
        ge=1,
        le=4,
    )
    ensemble: int = Field(
        3,
        description="Estimators trained with different seeds and pooled: an ensemble is "
        "less often overconfident than one estimator.",
        ge=1,
        le=20,
    )
    estimator: Literal["maf", "nsf", "mdn"] = Field(
        "maf",
        description="Density estimator: masked autoregressive flow, neural spline flow or "
        "mixture density network.",
    )
    samples: int = Field(
        4000, description="Posterior draws written to posterior.parquet.", ge=100, le=1_000_000
    )
    rank_statistic: Literal["sample", "probability"] = Field(
        "sample",
        description="What a ranking target conditions on: 'sample', whether the category "
        "ranks first in the simulated survey (0 or 1; the observation itself); "
        "'probability', the chance that a survey of the same size ranks it first (as "
        "`abc.rank_statistic`), observed as 1: a clear lead rather than a lucky one.",
    )
    leave_out: list[str] = Field(
        default_factory=list,
        description="What the estimator is not conditioned on: measures (all their rows), or "
        "`measure|category` (one category's rows in every year); measures weighted 0 are "
        "always left out. For figures the model cannot reproduce, which would pull the "
        "posterior off.",
    )
    seed: int = Field(
        0, description="Seed of the training design and the estimators.", ge=0, le=2**32 - 1
    )
    refine: RefineSettings = Field(default_factory=RefineSettings)


class CalibrationConfig(Section):
    """A calibration: free parameters with priors, targets, and the method's settings."""

    method: Literal["abc", "npe"] = Field(
        "abc",
        description="abc: ABC-SMC (pyabc); npe: neural posterior estimation (sbi), trained "
        "on simulations from the priors.",
    )

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
    npe: NpeSettings = Field(default_factory=NpeSettings)

    @model_validator(mode="after")
    def _some_parameters(self) -> CalibrationConfig:
        if not self.parameters:
            raise ValueError("a calibration needs at least one free parameter")
        for measure, weight in self.weights.items():
            if weight < 0:
                raise ValueError(f"the weight of {measure!r} must be >= 0")
        return self
