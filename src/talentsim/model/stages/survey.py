"""Stage 9b: the virtual survey of returnees present in China.

Like the CCG and zhaopin.com surveys, it does not count every returnee: in a survey year it
samples returnees then in China, with probability proportional to the people each agent
stands for times a recency weight exp(-(years since return) / recency_years), with
replacement (each agent stands for many people). It records the shares of the sample's
employment sectors, position levels (of the employed, that is, not of founders), reasons for
return and employment status, in the long form of the survey targets file, beside the
population shares the design estimates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from talentsim.model.streams import Draw
from talentsim.scenario.observation import SurveyConfig
from talentsim.taxonomy import CN_SECTORS, REASONS, SURVEY_LEVEL_OF_LEVEL, SURVEY_LEVELS, Country

if TYPE_CHECKING:
    from talentsim.model.state import Model

SECTOR = "employment sector of returnees"
LEVEL = "position level of employed returnees"
REASON = "reason for return (several allowed)"
STATUS = "employment status"
STATUSES: tuple[str, ...] = ("employed", "founded a business")
RESIDUAL = "other"
#: Measures whose categories are exclusive (shares sum to one).
EXCLUSIVE_MEASURES: tuple[str, ...] = (SECTOR, LEVEL, STATUS)

SURVEY_COLUMNS = ("year", "measure", "category", "share", "n", "rank", "population_share")


def survey_years(config: SurveyConfig, start: int, end: int) -> list[int]:
    """The years in which the survey is fielded."""
    if config.years == "all":
        return list(range(start, end + 1))
    return sorted(y for y in config.years if start <= y <= end)


def sample_size(config: SurveyConfig, year: int) -> int:
    """Number of respondents in a survey year."""
    return config.sample_size.get(year, config.default_sample_size)


def is_survey_step(model: Model) -> bool:
    """Whether the survey is fielded in the current step."""
    steps = model.config.time.steps_per_year
    return (
        model.year in model.survey_years
        and model.step_index % steps == (model.config.survey.month - 1) * steps // 12
    )


def recency_weights(model: Model, idx: np.ndarray) -> np.ndarray:
    """Sampling weight of each returnee in idx: people times recency."""
    people = model.people
    since = model.t - people.return_time[idx]
    return people.weight[idx] * np.exp(-since / model.config.survey.recency_years)


def field_survey(model: Model) -> list[dict[str, object]]:
    """Run the survey now; return its rows (one per measure and category)."""
    people, year = model.people, model.year
    idx = np.flatnonzero(people.view("active") & (people.view("country") == Country.CHINA.value))
    n = sample_size(model.config.survey, year)
    weight = recency_weights(model, idx)
    total = weight.sum()
    if len(idx) == 0 or total <= 0:
        return _empty_rows(year)
    prob = weight / total
    gen = model.streams.generator(Draw.SURVEY, model.tick)
    sample = gen.choice(len(idx), size=n, replace=True, p=prob)

    sector = model.firms.sector[people.employer[idx]]
    level = np.asarray(SURVEY_LEVEL_OF_LEVEL)[people.level[idx]]
    reasons = people.return_reasons[idx]
    founder = people.founder[idx].astype(np.int64)
    rows: list[dict[str, object]] = []
    rows += _categorical_rows(year, SECTOR, CN_SECTORS, sector, sample, prob)
    employed = sample[founder[sample] == 0]  # position levels are asked of the employed
    rows += _categorical_rows(
        year, LEVEL, SURVEY_LEVELS, level, employed, np.where(founder == 0, prob, 0.0)
    )
    rows += _categorical_rows(year, STATUS, STATUSES, founder, sample, prob)
    for bit, name in enumerate(REASONS):
        flag = (reasons >> bit) & 1
        rows.append(_row(year, REASON, name, flag[sample].mean(), n, float(prob[flag == 1].sum())))
    _rank(rows, REASON)
    return rows


def _categorical_rows(
    year: int,
    measure: str,
    names: tuple[str, ...],
    codes: np.ndarray,
    sample: np.ndarray,
    prob: np.ndarray,
) -> list[dict[str, object]]:
    k = len(names)
    counts = np.bincount(codes[sample], minlength=k)[:k]
    population = np.bincount(codes, weights=prob, minlength=k)[:k]
    n = len(sample)
    total = population.sum()
    rows = [
        _row(
            year,
            measure,
            name,
            counts[i] / n if n else np.nan,
            n,
            float(population[i] / total) if total > 0 else np.nan,
        )
        for i, name in enumerate(names)
    ]
    _rank(rows, measure)
    return rows


def _row(
    year: int, measure: str, category: str, share: float, n: int, population_share: float
) -> dict[str, object]:
    return {
        "year": year,
        "measure": measure,
        "category": category,
        "share": float(share),
        "n": int(n),
        "rank": 0,
        "population_share": population_share,
    }


def _rank(rows: list[dict[str, object]], measure: str) -> None:
    """Rank categories of one measure by sample share (1 = largest; ties share a rank).

    The residual category "other" lumps many sectors together, so it is not ranked
    (rank 0), as the surveys rank named sectors only; nor are the categories of an empty
    measure.
    """
    mine = [r for r in rows if r["measure"] == measure and r["category"] != RESIDUAL]
    for row in mine:
        if not np.isnan(row["share"]):  # an empty measure (n = 0) is not ranked
            row["rank"] = 1 + sum(other["share"] > row["share"] for other in mine)


def _empty_rows(year: int) -> list[dict[str, object]]:
    rows = []
    for measure, names in (
        (SECTOR, CN_SECTORS),
        (LEVEL, SURVEY_LEVELS),
        (STATUS, STATUSES),
        (REASON, REASONS),
    ):
        for name in names:
            rows.append(_row(year, measure, name, np.nan, 0, np.nan))
    return rows
