"""`talentsim report`: figures, tables and one report for run, sweep or calibration folders.

Several run folders make one report with the runs side by side; a sweep or a calibration
gets its own report (several of them: one subfolder each). Numbers are medians over
replicates with the 5th-95th percentile range (a 90 % interval over replicates).
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.calibration.report import short_labels
from talentsim.calibration.targets import RANK_MEASURE, load_targets
from talentsim.model.stages.survey import SECTOR
from talentsim.render import figures as figs
from talentsim.render.documents import FORMATS, Document, write_document
from talentsim.reports.folders import Result, ResultError, load_result, unique_labels
from talentsim.runs.outputs import default_report
from talentsim.storage.atomic import write_json, write_text
from talentsim.storage.folders import check_output

HEADLINE_YEARS = (2015, 2017, 2020, 2025, 2030)
MAX_LINES = 6  # sweeps with more points draw only their corner points over time
CALIBRATION_FIGURES = {
    "fit": "Posterior predictive fit to the survey targets",
    "posterior_marginals": "Posterior marginals (last generation, weighted)",
    "posterior_pairs": "Posterior pairs (weighted resample)",
}


@dataclass
class ReportOutput:
    """What `make_report` wrote."""

    folder: Path
    document: Path
    figures: list[figs.Figure] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def quantiles(values: pd.Series) -> tuple[float, float, float]:
    """Median, 5th and 95th percentile (NaN-aware)."""
    array = values.to_numpy(dtype=float)
    if np.isnan(array).all():
        return (np.nan, np.nan, np.nan)
    median, low, high = (float(np.nanpercentile(array, q)) for q in (50, 5, 95))
    return (median, low, high)


def fmt_people(m: float, lo: float, hi: float) -> str:
    """'12,300 (11,900-12,800)'."""
    return f"{m:,.0f} ({lo:,.0f}-{hi:,.0f})"


def fmt_share(m: float, lo: float, hi: float) -> str:
    """'15.2% (13.1%-17.0%)'."""
    if np.isnan(m):
        return "no respondents"
    return f"{m:.1%} ({lo:.1%}-{hi:.1%})"


def headline_years(years: list[int]) -> list[int]:
    """First, last and the usual milestone years inside the run."""
    first, last = min(years), max(years)
    return sorted({first, last, *(y for y in HEADLINE_YEARS if first <= y <= last)})


def run_headline(results: list[Result]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flows and stocks at milestone years: printed table and numeric long table."""
    printed, numeric = [], []
    for result in results:
        annual = result.annual
        for year in headline_years(result.years):
            block = annual[annual["year"] == year]
            row = {"scenario": result.label, "year": year, "replicates": len(block)}
            for column, (label, unit) in figs.PEOPLE_OUTCOMES.items():
                record = _quantile_record(block, column, unit, scenario=result.label, year=year)
                row[f"{label} ({unit})"] = fmt_people(*_interval(record))
                numeric.append(record)
            printed.append(row)
    return pd.DataFrame(printed), pd.DataFrame(numeric)


def survey_table(results: list[Result], targets: pd.DataFrame) -> pd.DataFrame:
    """Each sector's simulated share at the survey years beside the surveyed one."""
    years = sorted(targets["year"].unique())
    first = targets[targets["kind"] == "rank"].set_index("year")["category"]
    shares = targets[(targets["kind"] == "share") & (targets["measure"] == SECTOR)]
    rows = []
    for result in results:
        sectors = result.sectors
        for year in years:
            block = sectors[sectors["year"] == year]
            if block.empty:
                continue
            for category, cat in block.groupby("category", sort=False):
                target = shares[(shares["year"] == year) & (shares["category"] == category)]
                survey = (
                    f"{target['value'].iloc[0]:.1%} ± {1.96 * target['se'].iloc[0]:.1%}"
                    if len(target)
                    else ""
                )
                rows.append(
                    {
                        "scenario": result.label,
                        "year": int(year),
                        "sector": category,
                        "simulated, median (5th-95th pct.)": fmt_share(*quantiles(cat["share"])),
                        "ranked first in": f"{(cat['rank'] == 1).mean():.0%} of replicates",
                        "survey (± 1.96 SE)": survey,
                        "first in the survey": "yes" if first.get(year) == category else "",
                    }
                )
    return pd.DataFrame(rows)


def _check_kinds(results: list[Result]) -> None:
    kinds = {r.kind for r in results}
    if len(kinds) > 1:
        listing = "; ".join(f"{r.path} is a {r.kind}" for r in results)
        raise ResultError(
            f"cannot put different kinds of result in one report ({listing}). Report them "
            "separately (talentsim report FOLDER), or give only run folders to set runs side "
            "by side (talentsim compare for their differences)."
        )


def _provenance(result: Result) -> str:
    m = result.manifest
    commit = str(m.get("git_commit") or "unknown")[:12]
    version = (m.get("versions") or {}).get("talentsim") or m.get("talentsim", "?")
    return (
        f"`{result.path}`: {result.kind} of scenario `{m.get('scenario')}` "
        f"(hash {str(m.get('scenario_hash'))[:12]}), talentsim {version}, commit {commit}"
        + (f", overrides {', '.join(m['overrides'])}" if m.get("overrides") else "")
        + "."
    )


def _write_csv(table: pd.DataFrame, path: Path) -> Path:
    write_text(path, table.to_csv(index=False))
    return path


def report_runs(results: list[Result], out: Path, doc: Document, output: ReportOutput) -> None:
    """Figures and tables of one or more run folders (side by side)."""
    targets = load_targets()
    annual = pd.concat([r.annual.assign(scenario=r.label) for r in results], ignore_index=True)
    sectors = pd.concat([r.sectors.assign(scenario=r.label) for r in results], ignore_index=True)
    several = len(results) > 1
    counts = ", ".join(f"{r.label}: {r.replicates}" for r in results)
    note = f"over replicates ({counts})"
    doc.heading("Returns and stocks")
    ts = figs.timeseries_figure(annual, out, "scenario" if several else None, None, note)
    sec = figs.sector_figure(sectors, targets, out, "scenario" if several else None, note)
    printed, numeric = run_headline(results)
    doc.figure(ts)
    doc.table(printed, "Headline numbers: median (5th-95th percentile) over replicates.")
    doc.heading("Employment sector of returnees")
    doc.figure(sec)
    survey = survey_table(results, targets)
    doc.table(survey, "Virtual survey against the CCG and zhaopin.com returnee surveys.")
    output.figures += [ts, sec]
    output.tables += [
        _write_csv(numeric, out / "headline.csv"),
        _write_csv(survey, out / "survey.csv"),
    ]


def sweep_outcomes(result: Result) -> dict[str, tuple[str, str]]:
    """The outcome columns of a sweep's run rows, with labels and units."""
    years = result.years
    first, last = years[0], years[-1]
    survey_years = sorted(result.sectors["year"].unique())
    outcomes = {
        f"returns_{last}": (f"returns in {last}", "people per year"),
        "returns_total": (f"returns {first}-{last}", "people"),
        "in_us_end": (f"in the US, end of {last}", "people"),
    }
    if survey_years:
        year = int(survey_years[-1])
        outcomes[f"survey_{year}_technology"] = (
            f"technology's share of returnees, {year}",
            "share",
        )
    return {k: v for k, v in outcomes.items() if k in result.runs}


def sweep_table(result: Result, outcomes: dict[str, tuple[str, str]]) -> tuple[pd.DataFrame, ...]:
    """Per point: the swept values, runs used, each outcome's median (5th-95th percentile)."""
    short = short_labels(result.keys)
    printed, numeric = [], []
    expected = result.replicates
    for point, block in result.runs.groupby("point"):
        row = {"point": int(point)}
        row.update({short[k]: f"{block[k].iloc[0]:.4g}" for k in result.keys})
        row["replicates"] = f"{len(block)} of {expected}"
        for column, (label, unit) in outcomes.items():
            ids = {"point": int(point), **{k: float(block[k].iloc[0]) for k in result.keys}}
            record = _quantile_record(block, column, unit, **ids)
            fmt = fmt_share if unit == "share" else fmt_people
            row[f"{label} ({unit})"] = fmt(*_interval(record))
            numeric.append(record)
        printed.append(row)
    return pd.DataFrame(printed), pd.DataFrame(numeric)


def _quantile_record(block: pd.DataFrame, column: str, unit: str, **ids: Any) -> dict[str, Any]:
    """One row of a headline table: the outcome's median and 90 % interval over replicates."""
    m, lo, hi = quantiles(block[column])
    return {
        **ids,
        "outcome": column,
        "unit": unit,
        "median": m,
        "q05": lo,
        "q95": hi,
        "replicates": len(block),
    }


def _interval(record: dict[str, Any]) -> tuple[float, float, float]:
    return record["median"], record["q05"], record["q95"]


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
    short = short_labels(result.keys)
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
    figures = [figs.sweep_outcomes_figure(result.runs, result.keys, outcomes, out, short)]
    for pair in itertools.combinations(result.keys, 2):
        figures.append(figs.heatmap_figure(result.runs, pair, outcomes, out, short))
    figures.append(figs.timeseries_figure(annual, out, hue, style, note))
    figures.append(figs.sweep_sector_figure(sectors, load_targets(), out, hue, style, note))
    for figure in figures:
        doc.figure(figure)
    printed, numeric = sweep_table(result, outcomes)
    doc.heading("Headline numbers by point")
    doc.table(printed, "Median (5th-95th percentile) over the replicates of each point.")
    output.figures += figures
    output.tables.append(_write_csv(numeric, out / "headline.csv"))
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
        output.tables.append(_write_csv(effects, out / "effects.csv"))


def range_effects(
    result: Result, outcomes: dict[str, tuple[str, str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grid sweeps: outcome at a parameter's highest value minus at its lowest, others held.

    Differences are taken replicate by replicate (replicate r against replicate r), and
    summarised by their median and 5th-95th percentile. Random designs give empty tables.
    """
    runs, keys = result.runs, result.keys
    short = short_labels(keys)
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


def _fmt_param(value: float) -> str:
    return f"{value:.4g}"


def report_calibration(result: Result, out: Path, doc: Document, output: ReportOutput) -> None:
    """The posterior, the fit and the calibration's own figures."""
    posterior = result.posterior
    table = pd.DataFrame(
        {
            "parameter": posterior["parameter"],
            "median": posterior["median"].map(_fmt_param),
            "90 % credible interval": [
                f"{_fmt_param(a)} to {_fmt_param(b)}"
                for a, b in zip(posterior["q05"], posterior["q95"], strict=True)
            ],
        }
    )
    doc.heading("Posterior")
    doc.table(table, "Posterior median and 5th-95th percentile of each free parameter.")
    doc.heading("Fit to the survey targets")
    doc.table(fit_table(result.fit), "Posterior predictive check against each target.")
    for stem, title in CALIBRATION_FIGURES.items():
        source = result.path / f"{stem}.png"
        if not source.exists():
            doc.missing(f"the calibration has no {stem}.png, so its figure is left out.")
            continue
        paths = {}
        for suffix in ("png", "svg"):
            if (result.path / f"{stem}.{suffix}").exists() and out != result.path:
                shutil.copyfile(result.path / f"{stem}.{suffix}", out / f"{stem}.{suffix}")
            paths[suffix] = out / f"{stem}.{suffix}"
        figure = figs.Figure(
            stem, title, f"{title} (drawn by talentsim calibrate).", paths["png"], paths["svg"]
        )
        doc.figure(figure)
        output.figures.append(figure)
    if (result.path / "report.md").exists():
        doc.text(f"The calibration's own report: `{result.path / 'report.md'}`.")
    output.tables.append(_write_csv(posterior, out / "posterior_summary.csv"))


def fit_table(fit: pd.DataFrame) -> pd.DataFrame:
    """The fit table as printed: survey ± 1.96 SE beside the simulated median and interval."""
    rows = []
    for row in fit.itertuples():
        if row.kind == "share":
            simulated = fmt_share(row.simulated_median, row.simulated_q05, row.simulated_q95)
            survey = f"{row.target:.1%} ± {1.96 * row.se:.1%}"
            error = f"{row.error_in_se:+.1f}"
        else:
            simulated = f"first in {row.share_of_runs_ranked_first:.0%} of draws"
            survey, error = "ranked first", ""
        measure = RANK_MEASURE if row.kind == "rank" else row.measure
        rows.append(
            {
                "year": int(row.year),
                "measure": measure,
                "category": row.category,
                "survey": survey,
                "simulated, median (5th-95th pct.)": simulated,
                "error (SE)": error,
            }
        )
    return pd.DataFrame(rows)


def _document(results: list[Result], out: Path, fmt: str) -> ReportOutput:
    """One report of results of one kind (several runs, or one sweep or calibration)."""
    kind = results[0].kind
    names = ", ".join(r.label for r in results)
    doc = Document(f"talentsim {kind} report: {names}")
    for result in results:
        doc.text(_provenance(result))
    output = ReportOutput(folder=out, document=out / f"report.{fmt}")
    for result in results:
        output.missing += result.missing
        for note in result.missing:
            doc.missing(note)
    if kind == "run":
        report_runs(results, out, doc, output)
    elif kind == "sweep":
        report_sweep(results[0], out, doc, output)
    else:
        report_calibration(results[0], out, doc, output)
    doc.text(
        "Files: every figure as PNG and SVG in this folder; the tables' numbers as CSV ("
        + ", ".join(f"`{p.name}`" for p in output.tables)
        + f"). Written by talentsim on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC."
    )
    output.document = write_document(doc, out, fmt)
    return output


def make_report(
    paths: list[Path], out: Path | None = None, fmt: str = "html"
) -> list[ReportOutput]:
    """Read the folders, draw the figures, write the tables and the report.

    Args:
        paths: Run, sweep or calibration folders (all of one kind).
        out: Output folder (default: :func:`default_out`). Several sweeps or calibrations
            get one subfolder each.
        fmt: ``html`` (self-contained) or ``md`` (linking the figure files).

    Returns:
        One output per report written.

    Raises:
        ResultError: If a folder is not a usable result, or kinds are mixed.
    """
    if fmt not in FORMATS:
        raise ResultError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    results = [load_result(p) for p in paths]
    _check_kinds(results)
    unique_labels(results)
    out = out or default_report([Path(p) for p in paths])
    if results[0].kind == "run" or len(results) == 1:
        groups = [(out, results)]
    else:
        groups = [(out / r.label, [r]) for r in results]
    for folder, _ in groups:
        check_output(folder, "report", "reuse")
    outputs = []
    for folder, group in groups:
        folder.mkdir(parents=True, exist_ok=True)
        write_json(
            folder / "manifest.json", {"kind": "report", "results": [str(r.path) for r in group]}
        )
        outputs.append(_document(group, folder, fmt))
    return outputs
