"""One replicate: build the model from a scenario and a seed, run it, return its tables.

Every run of talentsim goes through here: `talentsim run` (:mod:`.runner`), the sweeps
(:mod:`.sweep`), the calibration's simulations and its posterior predictive check, and the
browser view (which steps the model itself, through :func:`build_model` and
:func:`tables`). So a rule about seeding or about the shape of the tables lives in one
place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from talentsim.model.model import TalentModel
from talentsim.model.stages.observe import COHORT_COLUMNS, timeseries_columns
from talentsim.model.stages.survey import SURVEY_COLUMNS
from talentsim.scenario.schema import Scenario


@dataclass
class Replicate:
    """What one replicate produced.

    Attributes:
        replicate: Its number.
        seed: The scenario's seed it ran with (its streams come from `seed_sequence`).
        seed_sequence: The numpy SeedSequence its random streams were drawn from.
        timeseries: One row per recorded step (see talentsim.model.stages.observe).
        survey: The virtual survey's rows (see talentsim.model.stages.survey).
        cohorts: Each entry cohort at each year's end, by group (`cohort_rows` in
            talentsim.model.stages.observe).
        initial_in_us: People in the US when recording started.
        stage_seconds: Seconds spent in each stage.
        wall_seconds: Seconds from building the model to the end of its run.
    """

    replicate: int
    seed: int
    seed_sequence: np.random.SeedSequence
    timeseries: pd.DataFrame
    survey: pd.DataFrame
    cohorts: pd.DataFrame
    initial_in_us: float
    stage_seconds: dict[str, float]
    wall_seconds: float


def build_model(
    scenario: Scenario,
    replicate: int = 0,
    seed: int | None = None,
    seed_sequence: np.random.SeedSequence | None = None,
) -> TalentModel:
    """The model of one replicate, ready to step.

    Args:
        scenario: The resolved scenario.
        replicate: Replicate number; with the seed it keys the random streams.
        seed: Instead of the scenario's seed.
        seed_sequence: The streams' seed sequence itself (a sweep's run key), instead of
            one made from the seed and the replicate.
    """
    return TalentModel(scenario, replicate=replicate, seed=seed, seed_sequence=seed_sequence)


def tables(model: TalentModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's record so far and its virtual survey, as DataFrames."""
    timeseries = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    timeseries = timeseries[list(timeseries_columns())]
    timeseries["year"] = timeseries["year"].astype(np.int64)
    survey = pd.DataFrame(model.survey_rows, columns=list(SURVEY_COLUMNS))
    return timeseries, survey


def cohort_table(model: TalentModel) -> pd.DataFrame:
    """The model's cohort table so far."""
    columns = list(COHORT_COLUMNS)
    if not model.cohort_rows:
        return pd.DataFrame(columns=columns)
    blocks = {c: np.concatenate([block[c] for block in model.cohort_rows]) for c in columns}
    return pd.DataFrame(blocks, columns=columns)


def simulate(
    scenario: Scenario,
    replicate: int = 0,
    *,
    seed: int | None = None,
    seed_sequence: np.random.SeedSequence | None = None,
    on_step: Callable[[], None] | None = None,
) -> Replicate:
    """Run one replicate to its end.

    Args:
        scenario: The resolved scenario.
        replicate: Replicate number.
        seed: Instead of the scenario's seed.
        seed_sequence: Instead of the seed sequence of (seed, replicate).
        on_step: Called after every step (burn-in included), e.g. for a progress bar.

    Returns:
        Its tables, with a `replicate` column first, and its timings.
    """
    start = time.perf_counter()
    model = build_model(scenario, replicate, seed, seed_sequence)
    while model.running:
        model.step()
        if on_step is not None:
            on_step()
    timeseries, survey = tables(model)
    cohorts = cohort_table(model)
    for table in (timeseries, survey, cohorts):
        table.insert(0, "replicate", replicate)
    return Replicate(
        replicate=replicate,
        seed=model.seed,
        seed_sequence=model.seed_sequence,
        timeseries=timeseries,
        survey=survey,
        cohorts=cohorts,
        initial_in_us=model.initial_in_us,
        stage_seconds=dict(model.stage_times),
        wall_seconds=time.perf_counter() - start,
    )
