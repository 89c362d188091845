"""Schema of a timeline entry: a change to one parameter from a date, optionally ramped."""

from __future__ import annotations

from pydantic import (
    ConfigDict,
    Field,
    model_validator,
)

from talentsim.scenario.fields import (
    Section,
)


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
