"""Designs of sweeps: the points (parameter values) a sweep runs, and each point's scenario.

Grid designs take every combination of the values; Latin hypercube and Sobol designs
(scipy.stats.qmc) place `points` points in the box of the ranges; table designs read the
points from a CSV file. A point's scenario is the base scenario with the point's values set
(as `--set` would), validated like a scenario file.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from talentsim.errors import KeyedError
from talentsim.scenario.keys import did_you_mean, leaf_type, numeric_keys, set_in_data
from talentsim.scenario.schema import Scenario
from talentsim.scenario.sweep_block import SweepConfig
from talentsim.scenario.timeline import TimelineError, check_timeline

#: Most points a design may have, and most runs a sweep may plan: a plan of a million runs
#: takes a few hundred megabytes before the first run starts.
MAX_POINTS = 1_000_000
MAX_RUNS = 1_000_000
#: Most values (points x parameters) a design may hold: 20 million numbers are 160 MB.
MAX_CELLS = 20_000_000
#: Largest table of points read (a million points of a few parameters is under 100 MB).
MAX_TABLE_BYTES = 100 * 2**20


class DesignError(KeyedError):
    """A sweep specification that cannot be used; `key` is the dotted key at fault."""


def check_parameters(keys: list[str]) -> None:
    """Every swept key must be a numeric scenario parameter (not the sweep itself)."""
    known = numeric_keys()
    for key in keys:
        if key.startswith("sweep.") or leaf_type(key) is None:
            close = did_you_mean(key, known)
            hint = f" (did you mean '{close}'?)" if close else ""
            raise DesignError(
                f"sweep.parameters.{key}",
                f"'{key}' is not a numeric parameter of the scenario{hint}",
            )


def design_points(
    sweep: SweepConfig, base_dir: Path | None = None, table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The sweep's points: a `point` column (0, 1, ...) and one column per swept key.

    Args:
        sweep: The sweep block.
        base_dir: The folder a relative `sweep.table` path is relative to.
        table: For a table design, points made in memory (one column per key), checked like
            a CSV file and used instead of reading `sweep.table` (e.g. a SALib sample).

    Raises:
        DesignError: If the design cannot produce points from the specification.
    """
    if sweep.design == "table":
        if table is None:
            path = _table_path(sweep, base_dir)
            frame = _checked_table(_read_table(path), sweep, str(path))
        else:
            frame = _checked_table(table.copy(), sweep, "the table of points")
    else:
        keys = list(sweep.parameters)
        check_parameters(keys)
        if sweep.design == "grid":
            _check_cells(_check_grid_size(sweep, keys), len(keys))
            axes = [_grid_values(sweep.parameters[k]) for k in keys]
            frame = pd.DataFrame(list(itertools.product(*axes)), columns=keys)
        else:
            _check_cells(sweep.points or 0, len(keys))  # before the points are made
            frame = pd.DataFrame(_quasi_random(sweep, keys), columns=keys)
    for key in frame.columns:
        if leaf_type(key) is int:
            frame[key] = np.round(frame[key]).astype(np.int64)
    if frame.empty:
        raise DesignError("sweep", "the design has no points")
    _check_cells(len(frame), frame.shape[1])
    frame.insert(0, "point", np.arange(len(frame)))
    return frame


def _check_grid_size(sweep: SweepConfig, keys: list[str]) -> int:
    """Refuse a grid of more than MAX_POINTS points before making it."""
    sizes = [
        len(spec.values) if spec.values is not None else spec.steps
        for spec in (sweep.parameters[k] for k in keys)
    ]
    total = 1
    for size in sizes:
        total *= size
    if total > MAX_POINTS:
        shown = " x ".join(f"{n:,}" for n in sizes)
        raise DesignError(
            "sweep.parameters",
            f"the grid has {shown} = {total:,} points, more than the {MAX_POINTS:,} a sweep "
            "may have (each point is a run or more); use fewer values or an lhs design",
        )
    return total


def _check_cells(points: int, parameters: int) -> None:
    """Refuse a design of more than MAX_CELLS values before allocating it."""
    if points * parameters > MAX_CELLS:
        raise DesignError(
            "sweep",
            f"the design has {points:,} points x {parameters} parameters = "
            f"{points * parameters:,} values, more than the {MAX_CELLS:,} a sweep may hold",
        )


def check_run_count(points: int, replicates: int) -> None:
    """Refuse a sweep of more than MAX_RUNS runs before planning them."""
    if points * replicates > MAX_RUNS:
        raise DesignError(
            "sweep.replicates",
            f"{points:,} points x {replicates:,} replicates = {points * replicates:,} runs, "
            f"more than the {MAX_RUNS:,} a sweep may plan; use fewer points or replicates",
        )


def _grid_values(spec: Any) -> list[float]:
    if spec.values is not None:
        return list(spec.values)
    low, high = spec.range
    return list(np.linspace(low, high, spec.steps))


def _quasi_random(sweep: SweepConfig, keys: list[str]) -> np.ndarray:
    from scipy.stats import qmc  # half a second to import: only when a design needs it

    low = np.array([sweep.parameters[k].range[0] for k in keys])
    high = np.array([sweep.parameters[k].range[1] for k in keys])
    if sweep.design == "lhs":
        unit = qmc.LatinHypercube(d=len(keys), seed=sweep.seed).random(sweep.points)
    else:
        unit = qmc.Sobol(d=len(keys), scramble=True, seed=sweep.seed).random(sweep.points)
    return qmc.scale(unit, low, high)


def _table_path(sweep: SweepConfig, base_dir: Path | None) -> Path:
    path = Path(sweep.table)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        raise DesignError("sweep.table", f"the table of points does not exist: {path}")
    return path


def _read_table(path: Path) -> pd.DataFrame:
    """Read a table of points; what cannot be one is refused without showing its content."""
    size = path.stat().st_size
    if size > MAX_TABLE_BYTES:
        raise DesignError(
            "sweep.table",
            f"{path} is {size:,} bytes, more than a table of points may be "
            f"({MAX_TABLE_BYTES:,}); its content is not shown",
        )
    try:
        frame = pd.read_csv(path, nrows=MAX_POINTS + 1)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, ValueError):
        raise DesignError(
            "sweep.table",
            f"{path} cannot be read as a CSV table of points (a header of dotted keys, then "
            "one number per cell); its content is not shown",
        ) from None
    if len(frame) > MAX_POINTS:
        raise DesignError(
            "sweep.table", f"{path} has more than {MAX_POINTS:,} points, the most a sweep may have"
        )
    return frame


def _checked_table(frame: pd.DataFrame, sweep: SweepConfig, source: str) -> pd.DataFrame:
    frame = frame.drop(columns=[c for c in frame.columns if c == "point"])
    known = numeric_keys()
    for number, column in enumerate(frame.columns, start=1):
        if str(column).startswith("sweep.") or leaf_type(str(column)) is None:
            close = did_you_mean(str(column), known)
            hint = f" (did you mean '{close}'?)" if close else ""
            raise DesignError(
                "sweep.table",
                f"{source}: column {number} is not headed by a numeric scenario parameter"
                f"{hint}; a table of points has a header of dotted keys such as "
                "visas.h1b_approval_rate (the file's content is not shown)",
            )
    if sweep.parameters and set(sweep.parameters) != set(frame.columns):
        raise DesignError(
            "sweep.parameters",
            f"the table's columns {sorted(frame.columns)} differ from the parameters "
            f"{sorted(sweep.parameters)}",
        )
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad or frame.isna().any().any():
        raise DesignError(
            "sweep.table", f"{source}: every cell must be a number ({bad or 'empty cells'})"
        )
    return frame.reset_index(drop=True)


def point_scenario(base: Scenario, values: dict[str, float]) -> Scenario:
    """The base scenario with a point's values set (the sweep block removed).

    Raises:
        DesignError: If the values make an invalid scenario.
    """
    data = base.model_dump(by_alias=True, exclude={"sweep"})
    for key, value in values.items():
        set_in_data(data, key, value)
    shown = ", ".join(f"{k} = {v:g}" for k, v in values.items())
    try:
        scenario = Scenario.model_validate(data)
        check_timeline(scenario)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DesignError(
            f"sweep.parameters.{where}" if where in values else "sweep",
            f"the point ({shown}) makes an invalid scenario: {where}: {first['msg']}",
        ) from None
    except TimelineError as err:
        raise DesignError("sweep", f"the point ({shown}) breaks the timeline: {err}") from None
    return scenario
