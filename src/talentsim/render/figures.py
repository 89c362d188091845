"""Figures of reports and comparisons (seaborn on matplotlib's Agg backend).

Every figure is saved as PNG and SVG at a fixed size (``FIGURE_DPI`` dots per inch, no
tight bounding box), so its pixel size is known in advance. Lines are medians over
replicates; bands and bars are the 90 % interval over replicates (5th to 95th percentile)
unless a caption says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.storage.atomic import write_with
from talentsim.taxonomy import CN_SECTORS

FIGURE_DPI = 100
INTERVAL = ("pi", 90)  # seaborn: 5th-95th percentile over replicates
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
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(unit)
    ax.set_xlabel("calendar year")


def _percent_axis(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("calendar year")
    ax.set_ylabel("share of surveyed returnees")


def _years(frame: pd.DataFrame) -> str:
    return f"{int(frame['year'].min())}-{int(frame['year'].max())}"


def timeseries_figure(
    annual: pd.DataFrame, folder: Path, hue: str | None, style: str | None, note: str
) -> Figure:
    """Returns per year, stock in the US and returnees in China, over the years.

    Args:
        annual: One row per replicate (and run or point) and year.
        folder: Where to save.
        hue: Column that tells runs or points apart (None: a single run).
        style: A second such column (sweeps with two parameters), or None.
        note: What the intervals are over (for the caption).
    """
    import seaborn as sns

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
    for ax, (column, (title, unit)) in zip(axes, PEOPLE_OUTCOMES.items(), strict=True):
        sns.lineplot(
            data=annual,
            x="year",
            y=column,
            hue=hue,
            style=style,
            estimator="median",
            errorbar=INTERVAL,
            err_kws={"alpha": 0.15},
            ax=ax,
            legend=ax is axes[-1],
            palette="flare" if hue and annual[hue].dtype.kind == "f" else None,
        )
        ax.set_title(f"{title} ({unit})", fontsize=10)
        _people_axis(ax, unit)
    if hue:
        sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1.02, 1), fontsize=7)
    title = f"Returns and stocks, {_years(annual)}: median and 90 % interval over replicates"
    fig.suptitle(title)
    caption = f"Lines: median over replicates; bands: 5th-95th percentile {note}."
    return save(fig, folder, "timeseries", title, caption)


def _targets_on(ax: Any, targets: pd.DataFrame, categories: list[str]) -> None:
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
    fig, axes = plt.subplots(
        1, len(panels), figsize=(6.5 * len(panels) + 2, 4.5), layout="constrained", squeeze=False
    )
    for ax, panel in zip(axes.flat, panels, strict=True):
        data = sectors if panel is None else sectors[sectors[facet] == panel]
        sns.lineplot(
            data=data,
            x="year",
            y="share",
            hue="category",
            hue_order=list(CN_SECTORS),
            palette=SECTOR_COLOURS,
            estimator="median",
            errorbar=INTERVAL,
            err_kws={"alpha": 0.15},
            ax=ax,
            legend=ax is axes.flat[-1],
        )
        _targets_on(ax, targets, list(CN_SECTORS))
        _percent_axis(ax)
        ax.set_title(f"{panel}" if panel is not None else "", fontsize=10)
    last = axes.flat[-1]
    handles, labels = last.get_legend_handles_labels()
    last.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=7)
    title = (
        f"Employment sector of returnees (virtual survey), {_years(sectors)}, "
        "against the CCG surveys"
    )
    fig.suptitle(title)
    caption = (
        f"Lines: median share of surveyed returnees over replicates; bands: 5th-95th "
        f"percentile {note}. Diamonds: the CCG and zhaopin.com surveys (technology, 2015 "
        "and 2017) with ± 1.96 binomial standard errors; finance ranked first in 2015 and "
        "technology in 2017."
    )
    return save(fig, folder, "sector_shares", title, caption)


def sweep_sector_figure(
    sectors: pd.DataFrame,
    targets: pd.DataFrame,
    folder: Path,
    hue: str,
    style: str | None,
    note: str,
) -> Figure:
    """Technology's and finance's shares of returnees over time, by sweep point."""
    import seaborn as sns

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.5), layout="constrained")
    for ax, category in zip(axes, ("technology", "finance"), strict=True):
        data = sectors[sectors["category"] == category]
        sns.lineplot(
            data=data,
            x="year",
            y="share",
            hue=hue,
            style=style,
            estimator="median",
            errorbar=INTERVAL,
            err_kws={"alpha": 0.1},
            palette="flare" if data[hue].dtype.kind == "f" else None,
            ax=ax,
            legend=ax is axes[-1],
        )
        _targets_on(ax, targets, [category])
        _percent_axis(ax)
        ax.set_title(f"{category}'s share of returnees' jobs", fontsize=10)
    sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1.02, 1), fontsize=7)
    title = f"Returnees in technology and finance by sweep point, {_years(sectors)}"
    fig.suptitle(title)
    caption = (
        f"Lines: median over replicates at each point; bands: 5th-95th percentile {note}. "
        "Diamonds: the surveyed technology share, ± 1.96 standard errors."
    )
    return save(fig, folder, "sector_shares", title, caption)


def sweep_outcomes_figure(
    runs: pd.DataFrame,
    keys: list[str],
    outcomes: dict[str, tuple[str, str]],
    folder: Path,
    short: dict[str, str],
) -> Figure:
    """Each outcome against each swept parameter, median and 90 % interval over replicates.

    Args:
        runs: One row per successful run: the swept values and the outcome columns.
        keys: The swept parameters.
        outcomes: Column -> (label, unit).
        folder: Where to save.
        short: Short labels of the keys.
    """
    import seaborn as sns

    plt = pyplot()
    rows, cols = len(outcomes), len(keys)
    fig, axes = plt.subplots(
        rows, cols, figsize=(5 * cols + 1.5, 3.2 * rows), layout="constrained", squeeze=False
    )
    for i, (column, (label, unit)) in enumerate(outcomes.items()):
        for j, key in enumerate(keys):
            ax = axes[i][j]
            others = [k for k in keys if k != key and runs[k].nunique() <= 6]
            hue = others[0] if others else None
            sns.lineplot(
                data=runs,
                x=key,
                y=column,
                hue=hue,
                palette="flare" if hue else None,
                estimator="median",
                errorbar=INTERVAL,
                err_style="bars",
                marker="o",
                ax=ax,
                legend="full" if hue and i == 0 else False,
            )
            if hue and i == 0:
                ax.legend(title=short[hue], fontsize=7, title_fontsize=7)
            ax.set_xlabel(short[key])
            ax.set_ylabel(f"{label} ({unit})", fontsize=8)
            if unit == "share":
                from matplotlib.ticker import PercentFormatter

                ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            else:
                from matplotlib.ticker import FuncFormatter

                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    title = "Outcomes against each swept parameter: median and 90 % interval over replicates"
    fig.suptitle(title)
    caption = (
        "Points: median over replicates (pooled over any parameter not shown by colour); bars: "
        "5th-95th percentile over the same runs."
    )
    return save(fig, folder, "sweep_outcomes", title, caption)


def _binned(values: pd.Series) -> pd.Series:
    """Values as they are (a grid), or five equal-count bins (random designs)."""
    if values.nunique() <= 10:
        return values.map(lambda v: f"{v:g}")
    bins = pd.qcut(values, 5, duplicates="drop")
    return bins.map(lambda b: f"{b.mid:.3g}").astype(str)


def heatmap_figure(
    runs: pd.DataFrame,
    pair: tuple[str, str],
    outcomes: dict[str, tuple[str, str]],
    folder: Path,
    short: dict[str, str],
) -> Figure:
    """For two swept parameters, each outcome's median over replicates as a heatmap."""
    import seaborn as sns

    plt = pyplot()
    a, b = pair
    data = runs.assign(_a=_binned(runs[a]), _b=_binned(runs[b]))
    order_a = sorted(data["_a"].unique(), key=float)
    order_b = sorted(data["_b"].unique(), key=float, reverse=True)
    fig, axes = plt.subplots(
        1, len(outcomes), figsize=(4.6 * len(outcomes), 4.2), layout="constrained", squeeze=False
    )
    for ax, (column, (label, unit)) in zip(axes.flat, outcomes.items(), strict=True):
        grid = data.pivot_table(index="_b", columns="_a", values=column, aggfunc="median")
        grid = grid.reindex(index=order_b, columns=order_a)
        share = unit == "share"
        sns.heatmap(
            grid * (100 if share else 1),
            annot=True,
            fmt=".1f" if share else ",.0f",
            cmap="viridis",
            ax=ax,
            cbar_kws={
                "label": "percent of returnees" if share else unit,
                "format": "{x:.0f}" if share else "{x:,.0f}",
            },
            annot_kws={"fontsize": 7},
        )
        ax.grid(False)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel(short[a])
        ax.set_ylabel(short[b])
    title = f"Median over replicates by {short[a]} and {short[b]}"
    fig.suptitle(title)
    caption = (
        "Each cell: the median over the replicates at that pair of values (pooled over any "
        "other swept parameter; random designs are binned into five equal-count bins). "
        "The intervals are in the table."
    )
    stem = f"heatmap_{_slug(short[a])}_{_slug(short[b])}"
    return save(fig, folder, stem, title, caption)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")


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
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        block = differences[differences["outcome"] == outcome]
        for k, scenario in enumerate(scenarios):
            line = block[block["scenario"] == scenario].sort_values("year")
            colour = f"C{k}"
            ax.plot(line["year"], line["difference"], color=colour, marker=".", label=scenario)
            ax.fill_between(line["year"], line["lo"], line["hi"], color=colour, alpha=0.2)
        ax.axhline(0, color="black", linewidth=0.8)
        unit = block["unit"].iloc[0]
        shown = "percentage points" if unit == "share" else unit
        ax.set_title(f"{block['label'].iloc[0]} ({shown})", fontsize=9)
        if unit == "share":
            from matplotlib.ticker import FuncFormatter, MaxNLocator

            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.0f} pp"))
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
