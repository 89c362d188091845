"""`talentsim report`: figures, tables and one report for run, sweep or calibration folders.

Several run folders make one report with the runs side by side; a sweep or a calibration
gets its own report (several of them: one subfolder each). Numbers are medians over
replicates with the 5th-95th percentile range (a 90 % interval over replicates).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd

from talentsim.evidence.targets import RANK_MEASURE, load_targets
from talentsim.model.stages.survey import SECTOR
from talentsim.render import figures as figs
from talentsim.render.documents import FORMATS, Document, write_document
from talentsim.render.style import scenario_colours
from talentsim.reports.common import (
    ReportOutput,
    fit_cells,
    fmt_param,
    fmt_people,
    fmt_share,
    interval,
    quantile_record,
    quantiles,
    write_csv,
)
from talentsim.reports.folders import Result, ResultError, load_result, unique_labels
from talentsim.reports.sweep_report import report_sweep
from talentsim.runs.outputs import default_report
from talentsim.storage.atomic import atomic_folder, write_json
from talentsim.storage.folders import check_output

HEADLINE_YEARS = (2015, 2017, 2020, 2025, 2030)
CALIBRATION_FIGURES = {
    "fit": "Posterior predictive fit to the survey targets",
    "posterior_marginals": "Posterior marginals (last generation, weighted)",
    "posterior_pairs": "Posterior pairs (weighted resample)",
}


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
                record = quantile_record(block, column, unit, scenario=result.label, year=year)
                row[f"{label} ({unit})"] = fmt_people(*interval(record))
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


def report_runs(results: list[Result], out: Path, doc: Document, output: ReportOutput) -> None:
    """Figures and tables of one or more run folders (side by side)."""
    targets = load_targets()
    annual = pd.concat([r.annual.assign(scenario=r.label) for r in results], ignore_index=True)
    sectors = pd.concat([r.sectors.assign(scenario=r.label) for r in results], ignore_index=True)
    several = len(results) > 1
    counts = ", ".join(f"{r.label}: {r.replicates}" for r in results)
    note = f"over replicates ({counts})"
    colours = scenario_colours([r.label for r in results])  # as in compare and effects
    doc.heading("Returns and stocks")
    hue = "scenario" if several else None
    ts = figs.timeseries_figure(annual, out, hue, None, note, colours if several else None)
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
        write_csv(numeric, out / "headline.csv"),
        write_csv(survey, out / "survey.csv"),
    ]


def report_calibration(result: Result, out: Path, doc: Document, output: ReportOutput) -> None:
    """The posterior, the fit and the calibration's own figures."""
    posterior = result.posterior
    table = pd.DataFrame(
        {
            "parameter": posterior["parameter"],
            "median": posterior["median"].map(fmt_param),
            "90 % credible interval": [
                f"{fmt_param(a)} to {fmt_param(b)}"
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
    output.tables.append(write_csv(posterior, out / "posterior_summary.csv"))


def fit_table(fit: pd.DataFrame) -> pd.DataFrame:
    """The fit table as printed: survey ± 1.96 SE beside the simulated median and interval."""
    rows = []
    for row in fit.itertuples():
        survey, simulated, error = fit_cells(row)
        measure = RANK_MEASURE if row.kind == "rank" else row.measure
        rows.append(
            {
                "year": int(row.year),
                "measure": measure,
                "category": row.category,
                "survey": survey,
                "simulated, median (5th-95th pct.)": simulated,
                "error": error,
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
        check_output(folder, "report", "replace", whole=True)
    outputs = []
    for folder, group in groups:
        with atomic_folder(folder) as tmp:  # a report is complete, or not there at all
            output = _document(group, tmp, fmt)
            files = sorted(p.name for p in tmp.iterdir())
            manifest = {"kind": "report", "results": [str(r.path) for r in group], "files": files}
            write_json(tmp / "manifest.json", manifest)
        outputs.append(_moved(output, tmp, folder))
    return outputs


def _moved(output: ReportOutput, tmp: Path, folder: Path) -> ReportOutput:
    """The output's paths once its temporary folder became `folder`."""

    def there(path: Path) -> Path:
        return folder / Path(path).relative_to(tmp)

    output.folder = folder
    output.document = there(output.document)
    output.tables = [there(p) for p in output.tables]
    output.figures = [
        dataclasses.replace(f, png=there(f.png), svg=there(f.svg)) for f in output.figures
    ]
    return output
