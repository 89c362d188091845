"""`talentsim compare`: scenarios side by side against a baseline, with intervals.

For every year and outcome (returns, people in the US, returnees in China, and each sector's
share of surveyed returnees), the difference of the scenario's mean over replicates from the
baseline's, with a 95 % interval:

- **paired t** when the two runs share their random numbers (the same seed for every
  replicate, as scenarios extending the baseline do): the interval of the mean of the
  replicate-by-replicate differences, which removes the noise the runs share;
- **Welch t** otherwise: the difference of two independent means with unequal variances.

The method used is written in every row of the table and in the figure's caption.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from talentsim.render import figures as figs
from talentsim.render.console import table as make_table
from talentsim.render.documents import Document, write_document
from talentsim.reports.folders import (
    Result,
    ResultError,
    load_result,
    read_manifest,
    unique_labels,
)
from talentsim.runs.outputs import default_comparison
from talentsim.storage.atomic import atomic_folder, write_json, write_text
from talentsim.storage.folders import check_output
from talentsim.taxonomy import CN_SECTORS

PAIRED = "paired t (common random numbers)"
WELCH = "Welch t (independent replicates)"
LEVEL = 0.95
SHOWN_YEARS = (2015, 2017, 2020, 2025, 2030)


@dataclass
class Outcome:
    """An outcome compared: its column, label and unit."""

    name: str
    label: str
    unit: str


OUTCOMES: tuple[Outcome, ...] = (
    *(Outcome(k, label, unit) for k, (label, unit) in figs.PEOPLE_OUTCOMES.items()),
    *(Outcome(f"share_{s}", f"{s}'s share of returnees", "share") for s in CN_SECTORS),
)


@dataclass
class Comparison:
    """The result of a comparison: the long table and what it was computed with."""

    table: pd.DataFrame
    baseline: str
    scenarios: list[str]
    methods: dict[str, str]


def outcome_values(result: Result) -> pd.DataFrame:
    """One row per replicate and year, one column per outcome."""
    annual = result.annual[["replicate", "year", *figs.PEOPLE_OUTCOMES]]
    shares = result.sectors.pivot_table(
        index=["replicate", "year"], columns="category", values="share", aggfunc="first"
    )
    shares.columns = [f"share_{c}" for c in shares.columns]
    return annual.merge(shares.reset_index(), on=["replicate", "year"], how="left")


def common_random_numbers(a: Result, b: Result) -> bool:
    """Whether replicate r of `a` and of `b` were seeded alike (so differences can pair)."""
    seeds_a = {s["replicate"]: s.get("entropy") for s in a.manifest.get("seeds", [])}
    seeds_b = {s["replicate"]: s.get("entropy") for s in b.manifest.get("seeds", [])}
    shared = set(seeds_a) & set(seeds_b)
    return len(shared) >= 2 and all(seeds_a[r] == seeds_b[r] for r in shared)


def paired_interval(base: pd.Series, other: pd.Series) -> tuple[float, float, float, int]:
    """Mean of the paired differences (aligned by index) and its 95 % t interval."""
    diff = (other - base).dropna().to_numpy(dtype=float)
    n = len(diff)
    if n == 0:
        return (np.nan, np.nan, np.nan, 0)
    mean = float(diff.mean())
    if n < 2:
        return (mean, np.nan, np.nan, n)
    half = stats.t.ppf(0.5 + LEVEL / 2, n - 1) * diff.std(ddof=1) / np.sqrt(n)
    return (mean, mean - half, mean + half, n)


def welch_interval(base: pd.Series, other: pd.Series) -> tuple[float, float, float, int]:
    """Difference of means and its 95 % Welch t interval."""
    x = base.dropna().to_numpy(dtype=float)
    y = other.dropna().to_numpy(dtype=float)
    if len(x) == 0 or len(y) == 0:
        return (np.nan, np.nan, np.nan, min(len(x), len(y)))
    diff = float(y.mean() - x.mean())
    if len(x) < 2 or len(y) < 2:
        return (diff, np.nan, np.nan, min(len(x), len(y)))
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = np.sqrt(vx + vy)
    if se == 0:
        return (diff, diff, diff, min(len(x), len(y)))
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = stats.t.ppf(0.5 + LEVEL / 2, df) * se
    return (diff, diff - half, diff + half, min(len(x), len(y)))


def check_comparable(results: list[Result]) -> None:
    """All results are run folders covering the same years.

    Raises:
        ResultError: Otherwise, naming the folder and what differs.
    """
    for result in results:
        if result.kind != "run":
            raise ResultError(
                f"{result.path} is a {result.kind} folder; compare takes run folders written "
                "by `talentsim run` (use `talentsim report` for sweeps and calibrations)"
            )
    base = results[0]
    for result in results[1:]:
        _check_same_pool(base, result)
        if result.years != base.years:
            raise ResultError(
                f"{result.path} covers {_span(result.years)} but the baseline {base.path} "
                f"covers {_span(base.years)}; compare needs runs over the same years (run them "
                "with the same time.start and time.end)"
            )


#: Sections two compared runs must share: a different pool or period differs from the start.
SHARED_SECTIONS = ("population", "time")


def _resolved(result: Result) -> dict:
    path = result.path / "scenario.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")[: 1 << 20])
    except (OSError, yaml.YAMLError):
        data = None
    if not isinstance(data, dict):
        raise ResultError(f"{path} cannot be read as the resolved scenario of a run")
    return data


def _check_same_pool(base: Result, other: Result) -> None:
    """Refuse runs of different pools or periods: their differences would not be a policy's."""
    a, b = _resolved(base), _resolved(other)
    differ = [
        f"{section}.{key}"
        for section in SHARED_SECTIONS
        for key in sorted(set(a.get(section) or {}) | set(b.get(section) or {}))
        if (a.get(section) or {}).get(key) != (b.get(section) or {}).get(key)
    ]
    if differ:
        raise ResultError(
            f"{other.path} and the baseline {base.path} simulate different pools or periods "
            f"({', '.join(differ[:4])} differ), so they differ from the first year on; "
            "compare runs of the same population and time settings, whose differences are "
            "those of the policy"
        )


def _span(years: list[int]) -> str:
    return f"{years[0]}-{years[-1]}" if years else "no years"


def compare_results(results: list[Result]) -> Comparison:
    """Differences of every scenario from the first (the baseline), by outcome and year."""
    base = results[0]
    base_values = outcome_values(base).set_index(["year", "replicate"])
    rows, methods = [], {}
    for result in results[1:]:
        values = outcome_values(result).set_index(["year", "replicate"])
        paired = common_random_numbers(base, result)
        methods[result.label] = PAIRED if paired else WELCH
        interval = paired_interval if paired else welch_interval
        for outcome in OUTCOMES:
            if outcome.name not in values or outcome.name not in base_values:
                continue
            for year in base.years:
                b = base_values.loc[year, outcome.name] if year in base_values.index else None
                s = values.loc[year, outcome.name] if year in values.index else None
                if b is None or s is None or b.isna().all() or s.isna().all():
                    continue
                diff, lo, hi, n = interval(b, s)
                rows.append(
                    {
                        "scenario": result.label,
                        "baseline": base.label,
                        "outcome": outcome.name,
                        "label": outcome.label,
                        "unit": outcome.unit,
                        "year": int(year),
                        "baseline_mean": float(b.mean()),
                        "scenario_mean": float(s.mean()),
                        "difference": diff,
                        "lo": lo,
                        "hi": hi,
                        "replicates": n,
                        "method": methods[result.label],
                    }
                )
    return Comparison(pd.DataFrame(rows), base.label, [r.label for r in results[1:]], methods)


def _cell(row: pd.Series) -> str:
    """'+1,234 [+800, +1,700]' or '+2.1 pp [+0.4, +3.8]'."""
    if row["unit"] == "share":
        scale, digits, suffix = 100.0, 1, " pp"
    else:
        scale, digits, suffix = 1.0, 0, ""

    def text(value: float) -> str:
        # Adding 0.0 turns a rounded -0.0 into +0.0, so no "-0.0" is printed.
        return f"{round(value * scale, digits) + 0.0:+,.{digits}f}"

    diff = text(row["difference"])
    if np.isnan(row["lo"]):
        return f"{diff}{suffix} [n/a]"
    return f"{diff}{suffix} [{text(row['lo'])}, {text(row['hi'])}]"


def wide_table(comparison: Comparison, years: list[int] | None = None) -> pd.DataFrame:
    """One row per scenario and year, one column per outcome: 'difference [95 % interval]'."""
    table = comparison.table
    if years is not None:
        table = table[table["year"].isin(years)]
    table = table.assign(cell=table.apply(_cell, axis=1))
    order = [o.label for o in OUTCOMES if o.label in set(table["label"])]
    units = dict(zip(table["label"], table["unit"], strict=False))
    wide = table.pivot_table(
        index=["scenario", "year"], columns="label", values="cell", aggfunc="first"
    )[order]
    wide.columns = [
        f"{c} (pp)" if units[c] == "share" else f"{c} ({units[c]})" for c in wide.columns
    ]
    return wide.reset_index().fillna("")


def shown_years(years: list[int]) -> list[int]:
    """The years printed on the terminal: first, last and milestones."""
    first, last = min(years), max(years)
    return sorted({first, last, *(y for y in SHOWN_YEARS if first <= y <= last)})


def method_text(comparison: Comparison) -> str:
    """One sentence per scenario: the interval's method."""
    return " ".join(
        f"{name} against {comparison.baseline}: 95 % interval by {method}."
        for name, method in comparison.methods.items()
    )


def load_for_compare(paths: list[Path]) -> list[Result]:
    """Read and check the folders of a comparison.

    Raises:
        ResultError: Fewer than two folders, a scenario file, another kind, other years.
    """
    if len(paths) < 2:
        raise ResultError(
            "compare needs at least two run folders: the baseline first, then one or more "
            "scenarios to set against it (talentsim compare BASELINE SCENARIO ...)"
        )
    for path in paths:
        if Path(path).is_file() and Path(path).suffix in (".yaml", ".yml"):
            raise ResultError(
                f"{path} is a scenario file; compare takes the result folders of runs. Run it "
                f"first (talentsim run {path} --out FOLDER) and compare the folders"
            )
    for path in paths:
        kind = read_manifest(Path(path))["kind"]
        if kind != "run":
            raise ResultError(
                f"{path} is a {kind} folder; compare takes run folders written by "
                "`talentsim run` (use `talentsim report` for sweeps and calibrations)"
            )
    results = [load_result(p) for p in paths]
    check_comparable(results)
    unique_labels(results)
    return results


def write_comparison(comparison: Comparison, out: Path, results: list[Result]) -> list[Path]:
    """compare.csv (every year, numeric), compare.md (wide table), the figure as PNG and SVG."""
    csv = out / "compare.csv"
    write_text(csv, comparison.table.to_csv(index=False))
    figure = figs.comparison_figure(
        comparison.table,
        out,
        comparison.baseline,
        "; ".join(sorted(set(comparison.methods.values()))),
    )
    doc = Document(f"Scenarios against {comparison.baseline}")
    doc.text(
        "Folders: "
        + "; ".join(f"{r.label} = `{r.path}` ({r.replicates} replicates)" for r in results)
        + "."
    )
    doc.text(
        "Each cell: the scenario's mean over replicates minus the baseline's (people, or "
        "percentage points of surveyed returnees), with its 95 % interval in brackets. "
        + method_text(comparison)
    )
    doc.figure(figure)
    doc.table(wide_table(comparison), "Difference from the baseline [95 % interval], by year.")
    md = write_document(doc, out, "md", stem="compare")
    return [csv, md, figure.png, figure.svg]


def make_comparison(paths: list[Path], out: Path | None = None) -> tuple[Comparison, Path]:
    """Read the folders, compare them with the first, and write the outputs.

    Returns:
        The comparison and the folder written.
    """
    results = load_for_compare([Path(p) for p in paths])
    comparison = compare_results(results)
    out = out or default_comparison([r.label for r in results])
    check_output(out, "comparison", "replace", whole=True)
    with atomic_folder(out) as tmp:  # complete, or not there at all
        written = write_comparison(comparison, tmp, results)
        manifest = {
            "kind": "comparison",
            "baseline": str(results[0].path),
            "runs": [str(r.path) for r in results],
            "files": sorted(p.name for p in written),
        }
        write_json(tmp / "manifest.json", manifest)
    return comparison, out


def print_comparison(comparison: Comparison, console: object) -> None:
    """Print the differences at milestone years as a rich table, then the method."""
    years = shown_years(sorted(comparison.table["year"].unique()))
    wide = wide_table(comparison, years)
    keep = [c for c in wide.columns if not c.startswith(("education", "manufacturing", "other"))]
    table = make_table(
        f"Difference from {comparison.baseline} [95 % interval over replicates]",
        keep,
        ["scenario"],
    )
    for row in wide[keep].itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console.print(table)  # type: ignore[attr-defined]
    console.print(method_text(comparison))  # type: ignore[attr-defined]
