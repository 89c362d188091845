"""The sweep section of a report: outcomes over the design, by point and over time.

Each swept parameter's range effect (the outcome at the top of its range minus at the
bottom, other parameters averaged), heatmaps over two parameters, and the time series of
the corner points; intervals are over replicates.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from talentsim.evidence.targets import load_targets
from talentsim.render import figures as figs
from talentsim.render import sweep_figures as sweep_figs
from talentsim.render.documents import Document
from talentsim.render.style import label_map
from talentsim.reports.common import (
    MAX_LINES,
    ReportOutput,
    fmt_people,
    fmt_share,
    headline_survey,
    interval,
    quantile_record,
    quantiles,
    write_csv,
)
from talentsim.reports.folders import Result


def sweep_outcomes(result: Result) -> dict[str, tuple[str, str]]:
    """The outcome columns of a sweep's run rows, with labels and units."""
    years = result.years
    first, last = years[0], years[-1]
    outcomes = {
        f"returns_{last}": (f"returns in {last}", "people per year"),
        "returns_total": (f"returns {first}-{last}", "people"),
        "in_us_end": (f"in the US, end of {last}", "people"),
    }
    survey = headline_survey(result.runs.columns)  # the year the sweep's summary shows too
    if survey is not None:
        column, year = survey
        outcomes[column] = (f"technology's share of returnees, {year} survey", "share")
    return {k: v for k, v in outcomes.items() if k in result.runs}


def sweep_table(result: Result, outcomes: dict[str, tuple[str, str]]) -> tuple[pd.DataFrame, ...]:
    """Per point: the swept values, runs used, each outcome's median (5th-95th percentile)."""
    short = label_map(result.keys)
    printed, numeric = [], []
    expected = result.replicates
    for point, block in result.runs.groupby("point"):
        row = {"point": int(point)}
        row.update({short[k]: f"{block[k].iloc[0]:.4g}" for k in result.keys})
        row["replicates"] = f"{len(block)} of {expected}"
        for column, (label, unit) in outcomes.items():
            ids = {"point": int(point), **{k: float(block[k].iloc[0]) for k in result.keys}}
            record = quantile_record(block, column, unit, **ids)
            fmt = fmt_share if unit == "share" else fmt_people
            row[f"{label} ({'%' if unit == 'share' else unit})"] = fmt(*interval(record))
            numeric.append(record)
        printed.append(row)
    return pd.DataFrame(printed), pd.DataFrame(numeric)


def _corner_points(values: pd.DataFrame, keys: list[str]) -> tuple[list[int], str]:
    """Points where every swept parameter is at its lowest or highest value, and a phrase.

    Random designs have no such points: their first ``MAX_LINES`` points are taken instead.
    """
    at_edge = pd.Series(True, index=values.index)
    for key in keys:
        at_edge &= values[key].isin([values[key].min(), values[key].max()])
    corners = values.loc[at_edge, "point"].astype(int).tolist()
    if corners:
        return corners, (
            f"the {len(corners)} points at the lowest and highest value of every parameter"
        )
    return values["point"].astype(int).head(MAX_LINES).tolist(), f"the first {MAX_LINES} points"


def _sweep_hue(result: Result) -> tuple[str, str | None]:
    """Columns telling points apart in time-series figures."""
    keys = result.keys
    if len(keys) <= 2 and all(result.runs[k].nunique() <= 8 for k in keys):
        return keys[0], (keys[1] if len(keys) == 2 else None)
    return "point", None


def report_sweep(result: Result, out: Path, doc: Document, output: ReportOutput) -> None:
    """Figures and tables of a sweep folder."""
    short = label_map(result.keys)
    values = result.runs[["point", *result.keys]].drop_duplicates("point")
    annual = result.annual.merge(values, on="point").rename(columns=short)
    sectors = result.sectors.merge(values, on="point").rename(columns=short)
    hue, style = _sweep_hue(result)
    hue, style = short.get(hue, hue), (short.get(style, style) if style else None)
    if hue == "point":
        annual["point"] = annual["point"].astype(str)
        sectors["point"] = sectors["point"].astype(str)
    note = "over replicates at a point"
    if values["point"].nunique() > MAX_LINES:
        corners, which = _corner_points(values, result.keys)
        annual = annual[annual["point"].astype(int).isin(corners)]
        sectors = sectors[sectors["point"].astype(int).isin(corners)]
        note += f"; only {which} are drawn (all points are in the figures above and the table)"
    outcomes = sweep_outcomes(result)
    doc.heading("Outcomes against the swept parameters")
    figures = [sweep_figs.sweep_outcomes_figure(result.runs, result.keys, outcomes, out, short)]
    for pair in itertools.combinations(result.keys, 2):
        figures.append(sweep_figs.heatmap_figure(result.runs, pair, outcomes, out, short))
    figures.append(figs.timeseries_figure(annual, out, hue, style, note))
    figures.append(sweep_figs.sweep_sector_figure(sectors, load_targets(), out, hue, style, note))
    for figure in figures:
        doc.figure(figure)
    printed, numeric = sweep_table(result, outcomes)
    doc.heading("Headline numbers by point")
    doc.table(printed, "Median (5th-95th percentile) over the replicates of each point.")
    output.figures += figures
    output.tables.append(write_csv(numeric, out / "headline.csv"))
    effects_printed, effects = range_effects(result, outcomes)
    if not effects.empty:
        doc.heading("Effect of each parameter over its range")
        doc.table(
            effects_printed,
            "Each parameter moved from its lowest to its highest value, the others held: "
            "median (5th-95th percentile) of the replicate-by-replicate differences"
            + (
                " (common random numbers: replicate r of every point shares its streams)."
                if result.manifest.get("design", {}).get("common_random_numbers")
                else " (independent replicates, paired by their number)."
            ),
        )
        output.tables.append(write_csv(effects, out / "effects.csv"))


def range_effects(
    result: Result, outcomes: dict[str, tuple[str, str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grid sweeps: outcome at a parameter's highest value minus at its lowest, others held.

    Differences are taken replicate by replicate (replicate r against replicate r), and
    summarised by their median and 5th-95th percentile. Random designs give empty tables.
    """
    runs, keys = result.runs, result.keys
    short = label_map(keys)
    if len(result.design) != int(np.prod([runs[k].nunique() for k in keys])):
        return pd.DataFrame(), pd.DataFrame()  # not a full grid
    printed, numeric = [], []
    for key in keys:
        others = [k for k in keys if k != key]
        low, high = runs[key].min(), runs[key].max()
        groups = runs.groupby(others) if others else [((), runs)]
        for held, block in groups:
            held = held if isinstance(held, tuple) else (held,)
            at = {
                k: block[block[key] == v].set_index("replicate")
                for k, v in (("lo", low), ("hi", high))
            }
            row = {
                "parameter": short[key],
                "from -> to": f"{low:.4g} -> {high:.4g}",
                "held": ", ".join(
                    f"{short[k]} = {v:.4g}" for k, v in zip(others, held, strict=True)
                ),
            }
            for column, (label, unit) in outcomes.items():
                diff = (at["hi"][column] - at["lo"][column]).dropna()
                m, lo, hi = quantiles(diff) if len(diff) else (np.nan, np.nan, np.nan)
                row[f"{label} ({'percentage points' if unit == 'share' else unit})"] = (
                    f"{100 * m:+.1f} ({100 * lo:+.1f} to {100 * hi:+.1f})"
                    if unit == "share"
                    else f"{m:+,.0f} ({lo:+,.0f} to {hi:+,.0f})"
                )
                numeric.append(
                    {
                        "parameter": key,
                        "low": low,
                        "high": high,
                        **dict(zip(others, held, strict=True)),
                        "outcome": column,
                        "unit": unit,
                        "median": m,
                        "q05": lo,
                        "q95": hi,
                        "pairs": len(diff),
                    }
                )
            printed.append(row)
    return pd.DataFrame(printed), pd.DataFrame(numeric)
