"""The summary printed at the end of `talentsim run`.

Flows, stocks and the virtual survey beside the survey targets, each as a median with the
range of 90 % of replicates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

from talentsim.evidence.targets import load_targets
from talentsim.model.stages.survey import SECTOR
from talentsim.render.console import table as make_table
from talentsim.reports.common import fit_cells, headline_survey
from talentsim.runs.runner import RunResult
from talentsim.scenario.files import builtin_path
from talentsim.scenario.loader import LoadedScenario

SUMMARY_YEARS = (2015, 2017, 2020, 2025)
#: Overrides that size or lengthen a run, leaving what the calibration fitted as it was.
RUN_SETTINGS = ("population.agents=", "time.", "replicates=", "seed=")


def _interval(values: pd.Series) -> tuple[float, float, float]:
    """Median and 5th-95th percentiles across replicates."""
    array = values.to_numpy(dtype=float)
    return (
        float(np.nanmedian(array)),
        float(np.nanpercentile(array, 5)),
        float(np.nanpercentile(array, 95)),
    )


def yearly_summary(result: RunResult) -> pd.DataFrame:
    """Returns per year, people in the US and returned, for a few years."""
    annual = result.annual
    first, last = int(annual["year"].min()), int(annual["year"].max())
    years = sorted({first, last, *(y for y in SUMMARY_YEARS if first <= y <= last)})
    rows = []
    for year in years:
        block = annual[annual["year"] == year]
        row = {"year": year}
        for column in ("returns", "in_us", "returned"):
            row[column], row[f"{column}_lo"], row[f"{column}_hi"] = _interval(block[column])
        rows.append(row)
    return pd.DataFrame(rows)


def survey_summary(result: RunResult) -> pd.DataFrame:
    """Technology's and finance's shares in the 2015 and 2017 surveys beside the targets."""
    targets = load_targets()
    survey = result.survey
    rows = []
    for year in (2015, 2017):
        for category in ("technology", "finance"):
            block = survey[
                (survey["year"] == year)
                & (survey["measure"] == SECTOR)
                & (survey["category"] == category)
            ]
            if block.empty:
                continue
            median, lo, hi = _interval(block["share"])
            match = targets[
                (targets["kind"] == "share")
                & (targets["year"] == year)
                & (targets["measure"] == SECTOR)
                & (targets["category"] == category)
            ]
            rank = targets[(targets["kind"] == "rank") & (targets["year"] == year)][
                "category"
            ].tolist()
            rows.append(
                {
                    "year": year,
                    "category": category,
                    "share": median,
                    "share_lo": lo,
                    "share_hi": hi,
                    "first_in_share_of_runs": float((block["rank"] == 1).mean()),
                    "target": float(match["value"].iloc[0]) if len(match) else np.nan,
                    "target_se": float(match["se"].iloc[0]) if len(match) else np.nan,
                    "target_first": (rank[0] == category) if rank else None,
                }
            )
    return pd.DataFrame(rows)


def _people(value: float) -> str:
    """People in thousands, one decimal (the table's title says so)."""
    return f"{value / 1000:,.1f}"


def _range(row: pd.Series, column: str, fmt) -> str:
    return f"{fmt(row[column])} ({fmt(row[f'{column}_lo'])}-{fmt(row[f'{column}_hi'])})"


def runs_the_baseline(loaded: LoadedScenario) -> bool:
    """Whether a loaded scenario is the calibrated baseline itself.

    Its file is the built-in baseline's, byte for byte (the package's or the repository's
    copy), extending nothing, and its overrides only size the run (``RUN_SETTINGS``).
    """
    if len(loaded.files) != 1 or loaded.scenario.name != "baseline":
        return False
    try:
        same = Path(loaded.files[0]).read_bytes() == builtin_path("baseline").read_bytes()
    except OSError:
        return False
    return same and all(o.startswith(RUN_SETTINGS) for o in loaded.overrides)


def survey_footnote(name: str, baseline: bool) -> str:
    """The note under the survey table: calibrated to the surveys only if it is the baseline."""
    head = (
        "Survey: CCG and zhaopin.com returnee surveys (n = 913 in 2015, 1,821 in 2017);\n"
        "± is 1.96 binomial standard errors. "
    )
    if baseline:
        return head + (
            "The baseline is calibrated to them\n"
            "(experiments/calibration, where its fit and its limits are reported)."
        )
    return head + (
        "They are shown for reference only: the\n"
        "calibrated baseline was fitted to them (experiments/calibration), and this\n"
        f"run ({name}) differs from it."
    )


def print_summary(result: RunResult, console: Console, baseline: bool | None = None) -> None:
    """Print both summary tables.

    Args:
        result: The run.
        console: Where to print.
        baseline: Whether the run is the calibrated baseline itself (see
            :func:`runs_the_baseline`); None: if its scenario is named ``baseline``.
    """
    if baseline is None:
        baseline = result.scenario.name == "baseline"
    replicates = result.scenario.replicates
    table = make_table(
        f"{result.scenario.name}, thousands of people: median (5th-95th percentile) "
        f"of {replicates} replicate(s)",
        ["year", "returns in the year", "in the US, end of year", "returned, in China"],
    )
    for _, row in yearly_summary(result).iterrows():
        table.add_row(
            str(int(row["year"])),
            _range(row, "returns", _people),
            _range(row, "in_us", _people),
            _range(row, "returned", _people),
        )
    console.print(table)

    pct = "{:.1%}".format
    survey = make_table(
        "Virtual survey: employment sector of returnees, against the CCG surveys",
        ["year", "sector", "simulated", "ranked first", "survey", "first"],
    )
    for _, row in survey_summary(result).iterrows():
        target = (
            ""
            if np.isnan(row["target"])
            else (f"{row['target']:.1%} ± {1.96 * row['target_se']:.1%}")
        )
        first = "" if row["target_first"] is None else ("yes" if row["target_first"] else "no")
        survey.add_row(
            str(int(row["year"])),
            row["category"],
            _range(row, "share", pct),
            f"{row['first_in_share_of_runs']:.0%} of runs",
            target,
            first,
        )
    console.print(survey)
    console.print(survey_footnote(result.scenario.name, baseline))


def print_sweep_summary(plan, report, console: Console) -> None:
    """Runs done, skipped and failed, and the key outcomes of the first points."""
    stats = make_table(
        f"Sweep {plan.scenario.name}: {report.total} runs",
        ["done now", "already stored", "failed", "wall time", "model time"],
    )
    stats.add_row(
        str(report.ok),
        str(report.skipped),
        str(len(report.failed)),
        f"{report.wall_seconds:.1f} s",
        f"{report.model_seconds:.1f} s",
    )
    console.print(stats)
    runs_file = plan.folder / "runs.parquet"
    if not runs_file.exists():
        return
    runs = pd.read_parquet(runs_file)
    runs = runs[runs["status"] == "ok"]
    if runs.empty:
        return
    keys = [c for c in plan.design.columns if c != "point"]
    labels = {"returns_total": "returns", "in_us_end": "in US, end"}
    survey = headline_survey(runs.columns)  # the year the sweep's report shows too
    if survey is not None:
        labels[survey[0]] = f"tech, {survey[1]} survey"
    outcomes = [c for c in labels if c in runs]
    short = {key: f"[{i + 1}]" for i, key in enumerate(keys)}  # named below the table
    table = make_table(
        "Key outcomes by point (mean over replicates; first 12 points)",
        ["point", *short.values(), "reps", *(labels[o] for o in outcomes)],
    )
    grouped = runs.groupby("point")
    for point, block in list(grouped)[:12]:
        cells = [str(point), *(f"{block[k].iloc[0]:g}" for k in keys), str(len(block))]
        for column in outcomes:
            value = block[column].mean()
            cells.append(f"{value:.1%}" if column.startswith("survey") else f"{value:,.0f}")
        table.add_row(*cells)
    console.print(table)
    console.print("  " + "; ".join(f"{label} {key}" for key, label in short.items()))
    if survey is not None:
        console.print(
            f"  tech: technology's share of surveyed returnees in {survey[1]}, the last "
            "survey year (as in the sweep's report)"
        )
    for row in report.failed[:5]:
        last = row["error"].strip().splitlines()[-1] if row["error"] else ""
        console.print(f"failed: point {row['point']}, replicate {row['replicate']}: {last}")


def print_calibration_summary(results: dict, console: Console) -> None:
    """The posterior and the fit to the share targets."""
    posterior = make_table(
        "Posterior: median [5 %, 95 %]", ["parameter", "median", "90 % interval"], ["parameter"]
    )
    for row in results["summary"].itertuples():
        posterior.add_row(row.parameter, f"{row.median:.4g}", f"{row.q05:.4g} to {row.q95:.4g}")
    console.print(posterior)
    fit = make_table(
        "Fit: posterior predictive against the targets",
        ["year", "measure", "category", "observed", "simulated median (90 %)", "error"],
    )
    for row in results["fit"].itertuples():
        observed, simulated, error = fit_cells(row)
        fit.add_row(str(row.year), str(row.measure), str(row.category), observed, simulated, error)
    console.print(fit)
    coverage = results.get("coverage")
    if coverage is not None:  # neural posterior estimation: its check on held-out simulations
        figures = coverage.summary()
        console.print(
            f"Coverage on {figures['held_out']} held-out simulations: {figures['verdict']} "
            f"(90 % intervals cover {figures['coverage_90_median']:.0%} in the median "
            f"parameter, {figures['coverage_90_min']:.0%} in the worst; TARP ATC "
            f"{figures['tarp_atc']:+.3f})"
        )
