"""Figures of reports and comparisons (seaborn on matplotlib's Agg backend).

Every figure is saved as PNG and SVG at a fixed size (``FIGURE_DPI`` dots per inch, no
tight bounding box), so its pixel size is known in advance. Lines are medians over
replicates; bands and bars are the 90 % interval over replicates (5th to 95th percentile)
when there are at least ``MIN_INTERVAL_REPLICATES`` of them, else their range, and the title
and caption say which and over how many (:mod:`talentsim.render.style`). Sweep figures are
in :mod:`talentsim.render.sweep_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.render.style import (
    band_caption,
    interval_errorbar,
    interval_label,
    scenario_colours,
    spaced_formatter,
)
from talentsim.storage.atomic import write_with
from talentsim.taxonomy import CN_SECTORS

FIGURE_DPI = 100
#: Most panels side by side in a figure of several runs (then they wrap onto more rows).
MAX_COLUMNS = 3
PEOPLE_OUTCOMES: dict[str, tuple[str, str]] = {
    "returns": ("Returns to China in the year", "people per year"),
    "in_us": ("Chinese-born talent in the US, end of year", "people"),
    "returned": ("Returnees living in China, end of year", "people"),
}
SECTOR_COLOURS = dict(zip(CN_SECTORS, ("C0", "C1", "C2", "C3", "C7"), strict=True))


@dataclass
class Figure:
    """A saved figure: file stem, title, caption and the PNG and SVG paths."""

    stem: str
    title: str
    caption: str
    png: Path
    svg: Path


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, with the seaborn theme of the reports."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    return plt


def save(fig: Any, folder: Path, stem: str, title: str, caption: str) -> Figure:
    """Save `fig` as folder/stem.png and .svg (atomically) and close it."""
    plt = pyplot()
    paths = {}
    for suffix in ("png", "svg"):
        path = folder / f"{stem}.{suffix}"
        write_with(path, lambda tmp, s=suffix: fig.savefig(tmp, dpi=FIGURE_DPI, format=s))
        paths[suffix] = path
    plt.close(fig)
    return Figure(stem, title, caption, paths["png"], paths["svg"])


def _people_axis(ax: Any, unit: str) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_formatter(spaced_formatter())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(unit)
    ax.set_xlabel("calendar year")


def percent_axis(ax: Any) -> None:
    """Shares as percentages over calendar years, the axis labelled so."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("calendar year")
    ax.set_ylabel("share of surveyed returnees (%)")


def year_span(frame: pd.DataFrame) -> str:
    """'2010-2018': the years of a frame."""
    return f"{int(frame['year'].min())}-{int(frame['year'].max())}"


def replicates_of(frame: pd.DataFrame, by: list[str | None]) -> int:
    """The fewest replicates behind a line's point: per group of `by` columns and year."""
    groups = [c for c in (*by, "year") if c and c in frame]
    if not groups or frame.empty:
        return 0
    grouped = frame.groupby(groups, observed=True)
    counts = grouped["replicate"].nunique() if "replicate" in frame else grouped.size()
    return int(counts.min())


def grid_shape(panels: int) -> tuple[int, int]:
    """Rows and columns of `panels` panels, wrapped so that the figure is not a long strip.

    One or two panels: one column (two stacked); three or four: two columns; more: three.
    """
    cols = 1 if panels <= 2 else (2 if panels <= 4 else MAX_COLUMNS)
    return int(np.ceil(panels / cols)), cols


def _palette(data: pd.DataFrame, hue: str | None, palette: dict[str, str] | None) -> Any:
    if palette is not None or not hue:
        return palette
    return "flare" if data[hue].dtype.kind == "f" else None


def timeseries_figure(
    annual: pd.DataFrame,
    folder: Path,
    hue: str | None,
    style: str | None,
    note: str,
    palette: dict[str, str] | None = None,
) -> Figure:
    """Returns per year, stock in the US and returnees in China, over the years.

    Args:
        annual: One row per replicate (and run or point) and year.
        folder: Where to save.
        hue: Column that tells runs or points apart (None: a single run).
        style: A second such column (sweeps with two parameters), or None.
        note: What the intervals are over (for the caption).
        palette: Colour of each value of `hue` (scenarios: :func:`scenario_colours`).
    """
    import seaborn as sns

    plt = pyplot()
    replicates = replicates_of(annual, [hue, style])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
    for ax, (column, (title, unit)) in zip(axes, PEOPLE_OUTCOMES.items(), strict=True):
        sns.lineplot(
            data=annual,
            x="year",
            y=column,
            hue=hue,
            style=style,
            estimator="median",
            errorbar=interval_errorbar(replicates),
            err_kws={"alpha": 0.15},
            ax=ax,
            legend=ax is axes[-1],
            palette=_palette(annual, hue, palette),
        )
        ax.set_title(f"{title} ({unit})", fontsize=10)
        _people_axis(ax, unit)
    if hue:
        sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1.02, 1), fontsize=7)
    title = f"Returns and stocks, {year_span(annual)}: median and {interval_label(replicates)}"
    fig.suptitle(title)
    caption = f"Lines: median {note}; {band_caption(replicates)}."
    return save(fig, folder, "timeseries", title, caption)


def targets_on(ax: Any, targets: pd.DataFrame, categories: list[str]) -> None:
    """Survey targets as error bars (± 1.96 standard errors) at their years."""
    shares = targets[(targets["kind"] == "share") & targets["category"].isin(categories)]
    for i, row in enumerate(shares.itertuples()):
        ax.errorbar(
            row.year,
            row.value,
            yerr=1.96 * row.se,
            fmt="D",
            color=SECTOR_COLOURS.get(row.category, "black"),
            markeredgecolor="black",
            ecolor="black",
            capsize=4,
            zorder=5,
            label="survey (CCG), ± 1.96 SE" if i == 0 else None,
        )


def sector_figure(
    sectors: pd.DataFrame,
    targets: pd.DataFrame,
    folder: Path,
    facet: str | None,
    note: str,
) -> Figure:
    """Returnees' employment sectors over time, one line per sector, with the surveys.

    Args:
        sectors: Virtual survey rows of the sector question (`year`, `category`, `share`).
        targets: Survey targets (from :func:`talentsim.evidence.targets.load_targets`),
            sector rows.
        folder: Where to save.
        facet: Column with one panel per value (several runs), or None.
        note: What the intervals are over.
    """
    import seaborn as sns

    plt = pyplot()
    panels = [None] if facet is None else list(dict.fromkeys(sectors[facet]))
    replicates = replicates_of(sectors, [facet, "category"])
    rows, cols = grid_shape(len(panels))
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(6.5 * cols + 2, 4.2 * rows + 0.3),
        layout="constrained",
        squeeze=False,
    )
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    for ax, panel in zip(axes.flat, panels, strict=False):
        data = sectors if panel is None else sectors[sectors[facet] == panel]
        sns.lineplot(
            data=data,
            x="year",
            y="share",
            hue="category",
            hue_order=list(CN_SECTORS),
            palette=SECTOR_COLOURS,
            estimator="median",
            errorbar=interval_errorbar(replicates),
            err_kws={"alpha": 0.15},
            ax=ax,
            legend=ax is axes.flat[0],
        )
        targets_on(ax, targets, list(CN_SECTORS))
        percent_axis(ax)
        ax.set_title(f"{panel}" if panel is not None else "", fontsize=10)
    first = axes.flat[0]
    handles, labels = first.get_legend_handles_labels()
    first.get_legend().remove()
    fig.legend(handles, labels, loc="outside right upper", fontsize=7)
    title = (
        f"Employment sector of returnees (virtual survey), {year_span(sectors)}, "
        f"against the CCG surveys: median and {interval_label(replicates)}"
    )
    fig.suptitle(title)
    caption = (
        f"Lines: median share of surveyed returnees {note}; {band_caption(replicates)}. "
        "Diamonds: the CCG and zhaopin.com surveys (technology, 2015 "
        "and 2017) with ± 1.96 binomial standard errors; finance ranked first in 2015 and "
        "technology in 2017."
    )
    return save(fig, folder, "sector_shares", title, caption)


def comparison_figure(
    differences: pd.DataFrame, folder: Path, baseline: str, method: str
) -> Figure:
    """Differences from the baseline by year, with their 95 % intervals, one panel per outcome.

    Args:
        differences: Rows of (scenario, outcome, year, difference, lo, hi, unit, label).
        folder: Where to save.
        baseline: The baseline's label.
        method: How the intervals were computed (for the caption).
    """
    plt = pyplot()
    outcomes = list(dict.fromkeys(differences["outcome"]))
    cols = 3
    rows = int(np.ceil(len(outcomes) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(5.2 * cols, 3.6 * rows), layout="constrained", squeeze=False
    )
    scenarios = list(dict.fromkeys(differences["scenario"]))
    colours = scenario_colours([baseline, *scenarios], baseline=baseline)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        block = differences[differences["outcome"] == outcome]
        for scenario in scenarios:
            line = block[block["scenario"] == scenario].sort_values("year")
            colour = colours[scenario]
            ax.plot(line["year"], line["difference"], color=colour, marker=".", label=scenario)
            ax.fill_between(line["year"], line["lo"], line["hi"], color=colour, alpha=0.2)
        ax.axhline(0, color="black", linewidth=0.8)
        unit = block["unit"].iloc[0]
        shown = "percentage points" if unit == "share" else unit
        ax.set_title(f"{block['label'].iloc[0]} ({shown})", fontsize=9)
        if unit == "share":
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_formatter(spaced_formatter(" pp", scale=100.0, sign=True))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("calendar year")
            ax.set_ylabel("difference (percentage points)")
        else:
            _people_axis(ax, f"difference ({unit})")
    for ax in list(axes.flat)[len(outcomes) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    title = f"Difference from {baseline} by year, with 95 % intervals"
    fig.suptitle(title)
    caption = f"Lines: difference of means over replicates; bands: 95 % interval ({method})."
    return save(fig, folder, "compare", title, caption)
