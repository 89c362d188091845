"""The building blocks of the scenario schema: parameter fields with unit, source and bounds.

:func:`param` makes a pydantic field that records a parameter's unit and source (a row id
of ``data/parameter_evidence.csv`` such as ``E09``, or "assumed") and gives every number an
upper bound; :class:`Section` is the base of every block (unknown keys are errors, numbers
finite, booleans not numbers); :class:`Mix` holds relative weights of categories.
"""

from __future__ import annotations

import re
from typing import Any, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

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

    model_config = ConfigDict(
        extra="forbid", validate_assignment=False, allow_inf_nan=False, defer_build=True
    )

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
