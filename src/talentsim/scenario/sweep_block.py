"""Schema of a scenario's `sweep:` block: which parameters vary, over which design."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from talentsim.scenario.fields import (
    Section,
)


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
    seed: int = Field(
        0, description="Seed of the Latin hypercube or Sobol scrambling.", ge=0, le=2**32 - 1
    )
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
