"""Figures of sweeps: outcomes against the swept parameters, heatmaps, sector shares.

Sizes, intervals and labels follow :mod:`talentsim.render.figures` and
:mod:`talentsim.render.style`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from talentsim.render.figures import (
    Figure,
    percent_axis,
    pyplot,
    replicates_of,
    save,
    targets_on,
    year_span,
)
from talentsim.render.style import (
    band_caption,
    interval_errorbar,
    interval_label,
    spaced_formatter,
)


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
    replicates = replicates_of(sectors, [hue, style, "category"])
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.8), layout="constrained")
    for ax, category in zip(axes, ("technology", "finance"), strict=True):
        data = sectors[sectors["category"] == category]
        sns.lineplot(
            data=data,
            x="year",
            y="share",
            hue=hue,
            style=style,
            estimator="median",
            errorbar=interval_errorbar(replicates),
            err_kws={"alpha": 0.1},
            palette="flare" if data[hue].dtype.kind == "f" else None,
            ax=ax,
            legend=ax is axes[-1],
        )
        targets_on(ax, targets, [category])
        percent_axis(ax)
        ax.set_title(f"{category}'s share of returnees' jobs", fontsize=10)
    sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1.02, 1), fontsize=7)
    title = (
        f"Returnees in technology and finance by sweep point, {year_span(sectors)}: median "
        f"and {interval_label(replicates)}"
    )
    fig.suptitle(title, fontsize=10)
    caption = (
        f"Lines: median over replicates at each point; {band_caption(replicates)}, {note}. "
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
    """Each outcome against each swept parameter: median and interval over the runs.

    Args:
        runs: One row per successful run: the swept values and the outcome columns.
        keys: The swept parameters.
        outcomes: Column -> (label, unit).
        folder: Where to save.
        short: Short labels of the keys.
    """
    import seaborn as sns

    plt = pyplot()
    shown = {key: [k for k in keys if k != key and runs[k].nunique() <= 6][:1] for key in keys}
    count = min(int(runs.groupby([key, *shown[key]]).size().min()) for key in keys)
    rows, cols = len(outcomes), len(keys)
    fig, axes = plt.subplots(
        rows, cols, figsize=(5 * cols + 1.5, 3.2 * rows), layout="constrained", squeeze=False
    )
    for i, (column, (label, unit)) in enumerate(outcomes.items()):
        for j, key in enumerate(keys):
            ax = axes[i][j]
            hue = shown[key][0] if shown[key] else None
            sns.lineplot(
                data=runs,
                x=key,
                y=column,
                hue=hue,
                palette="flare" if hue else None,
                estimator="median",
                errorbar=interval_errorbar(count),
                err_style="bars",
                marker="o",
                ax=ax,
                legend="full" if hue and i == 0 else False,
            )
            if hue and i == 0:
                ax.legend(title=short[hue], fontsize=7, title_fontsize=7)
            ax.set_xlabel(short[key])
            ax.set_ylabel(f"{label} ({'%' if unit == 'share' else unit})", fontsize=8)
            if unit == "share":
                from matplotlib.ticker import PercentFormatter

                ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            else:
                from matplotlib.ticker import FuncFormatter

                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    title = f"Outcomes against each swept parameter: median and {interval_label(count, 'runs')}"
    fig.suptitle(title)
    caption = (
        "Points: median over replicates (pooled over any parameter not shown by colour); "
        f"{band_caption(count, 'runs', 'bars')} (the fewest behind a point)."
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
                "label": "share of returnees (%)" if share else unit,
                "format": spaced_formatter(),
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
