"""What an effects study writes: tables (CSV, Parquet), fan charts and report.md.

Fan charts draw, for each year, the median of the paired effects and the bands holding
50 % and 90 % of them (over draws and replicates), against zero.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from talentsim.effects.analysis import LEVEL
from talentsim.effects.outcomes import HEADLINE, OUTCOMES
from talentsim.render import figures as figs
from talentsim.render.console import table as make_table
from talentsim.render.documents import Document, write_document
from talentsim.render.style import scenario_colours, spaced_formatter
from talentsim.storage.atomic import write_parquet, write_text

SHOWN_YEARS = (2017, 2020, 2025, 2030)
LABELS = {o.name: o for o in OUTCOMES}


def _band_quantiles(long: pd.DataFrame) -> pd.DataFrame:
    grouped = long.groupby(["scenario", "outcome", "year"])["effect"]
    out = grouped.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    out.columns = ["q05", "q25", "q50", "q75", "q95"]
    return out.reset_index()


def _fan(ax: Any, bands: pd.DataFrame, colour: str) -> None:
    ax.fill_between(bands["year"], bands["q05"], bands["q95"], color=colour, alpha=0.18, lw=0)
    ax.fill_between(bands["year"], bands["q25"], bands["q75"], color=colour, alpha=0.35, lw=0)
    ax.plot(bands["year"], bands["q50"], color=colour, lw=1.6)
    ax.axhline(0.0, color="0.3", lw=0.8, ls="--")


def _axis(ax: Any, outcome: str) -> None:
    from matplotlib.ticker import MaxNLocator

    unit = LABELS[outcome].unit
    ax.yaxis.set_major_formatter(spaced_formatter(sign=True))  # no two ticks alike
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"effect ({unit})")


def fan_figures(
    long: pd.DataFrame, labels: list[str], folder: Path, note: str
) -> list[figs.Figure]:
    """One fan chart per policy (its headline outcomes), and the small multiples of all."""
    plt = figs.pyplot()
    bands = _band_quantiles(long)
    colours = scenario_colours(labels, baseline=labels[0])  # as in compare and report
    saved = []
    for label in labels[1:]:
        fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
        for ax, outcome in zip(axes.ravel(), HEADLINE, strict=True):
            part = bands[(bands["scenario"] == label) & (bands["outcome"] == outcome)]
            _fan(ax, part, colours[label])
            _axis(ax, outcome)
            ax.set_title(LABELS[outcome].label, fontsize=10)
        fig.suptitle(f"Effect of {label} against {labels[0]}")
        fig.tight_layout()
        saved.append(
            figs.save(
                fig,
                folder,
                f"fan-{label}",
                f"Effects of {label}",
                f"Median effect (line), 50 % and 90 % bands, {note}. Dashed: no effect.",
            )
        )
    policies = labels[1:]
    fig, axes = plt.subplots(
        len(HEADLINE),
        len(policies),
        figsize=(3.2 * len(policies) + 1, 9),
        sharex=True,
        sharey="row",
        squeeze=False,
    )
    for col, label in enumerate(policies):
        for row, outcome in enumerate(HEADLINE):
            ax = axes[row, col]
            _fan(
                ax,
                bands[(bands["scenario"] == label) & (bands["outcome"] == outcome)],
                colours[label],
            )
            if col == 0:
                _axis(ax, outcome)
                ax.set_ylabel(f"{LABELS[outcome].label}\n({LABELS[outcome].unit})", fontsize=8)
            if row == 0:
                ax.set_title(label, fontsize=9)
    fig.tight_layout()
    saved.append(
        figs.save(
            fig,
            folder,
            "effects",
            "Effects of every policy",
            f"Rows: outcomes; columns: policies (shared scale per row). Median, 50 % and 90 % "
            f"bands, {note}.",
        )
    )
    return saved


def _cell(row: pd.Series) -> str:
    digits = 1 if LABELS[row["outcome"]].unit == "percentage points" else 0
    return f"{row['median']:+,.{digits}f} [{row['low']:+,.{digits}f}, {row['high']:+,.{digits}f}]"


def wide_table(table: pd.DataFrame, years: tuple[int, ...] = SHOWN_YEARS) -> pd.DataFrame:
    """Headline effects at some years: one row per policy and outcome, printed cells."""
    part = table[table["outcome"].isin(HEADLINE) & table["year"].isin(years)].copy()
    part["cell"] = part.apply(_cell, axis=1)
    wide = part.pivot_table(
        index=["scenario", "outcome"], columns="year", values="cell", aggfunc="first"
    )
    wide.columns = [str(c) for c in wide.columns]
    wide = wide.reset_index()
    order = {label: i for i, label in enumerate(dict.fromkeys(table["scenario"]))}
    wide = wide.sort_values("scenario", key=lambda s: s.map(order), kind="stable")
    wide["outcome"] = wide["outcome"].map(lambda o: LABELS[o].label)
    return wide


def detail_table(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Effects on returns by segment and by destination sector in a year, printed cells."""
    detail = [o.name for o in OUTCOMES if o.name.startswith("returns_") and o.name not in HEADLINE]
    part = table[table["outcome"].isin(detail) & (table["year"] == year)].copy()
    part["cell"] = part.apply(_cell, axis=1)
    wide = part.pivot_table(index="scenario", columns="outcome", values="cell", aggfunc="first")
    wide = wide[[o for o in detail if o in wide.columns]]
    wide = wide.loc[[s for s in dict.fromkeys(table["scenario"]) if s in wide.index]]
    wide.columns = [LABELS[o].label for o in wide.columns]
    return wide.reset_index()


def split_table(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Probability of direction and the share of variance from the parameters, in a year."""
    part = table[table["outcome"].isin(HEADLINE) & (table["year"] == year)]
    return pd.DataFrame(
        {
            "scenario": part["scenario"],
            "outcome": part["outcome"].map(lambda o: LABELS[o].label),
            "P(direction)": part["p_direction"].map(lambda v: f"{v:.0%}" if v == v else "-"),
            "from parameters": part["share_parameters"].map(
                lambda v: f"{v:.0%}" if v == v else "n/a"
            ),
        }
    )


def note_of(draws: int, replicates: int) -> str:
    """What the intervals are over, for captions."""
    return f"over {draws} posterior draws x {replicates} replicates ({draws * replicates} pairs)"


def write_outputs(
    table: pd.DataFrame, long: pd.DataFrame, labels: list[str], folder: Path, context: dict
) -> list[Path]:
    """effects.csv and .parquet, the figures and report.md; returns what was written."""
    draws, replicates = context["draws"], context["replicates"]
    note = note_of(draws, replicates)
    write_text(folder / "effects.csv", table.to_csv(index=False))
    write_parquet(folder / "effects.parquet", table)
    figures = fan_figures(long, labels, folder, note)
    doc = Document(f"Policy effects against {labels[0]}")
    doc.text(
        f"Every scenario ran at {draws} draws of {context['posterior']}, "
        f"{replicates} replicates each; each policy run is paired with the baseline run of "
        "the same draw and replicate (common random numbers), so an effect is a paired "
        f"difference. Cells: the median effect and its {LEVEL:.0%} interval, {note}."
    )
    doc.table(wide_table(table), "Effect on the headline outcomes [90 % interval], by year.")
    year = (
        max(y for y in SHOWN_YEARS if y in set(table["year"]))
        if set(SHOWN_YEARS) & set(table["year"])
        else int(table["year"].max())
    )
    doc.text(
        "P(direction): the share of paired effects with the median's sign. From parameters: "
        "the share of the effect's variance that comes from the parameters (between draws), "
        "the rest being chance (between replicates of a draw); a large share means better "
        "data would narrow the interval more than more replicates would."
        + (" With one draw, the parameters' share is 0 by construction." if draws == 1 else "")
        + (" With one replicate per draw the two cannot be told apart." if replicates == 1 else "")
    )
    doc.table(split_table(table, year), f"Direction and uncertainty split, {year}.")
    doc.table(
        detail_table(table, year),
        f"Effect on returns by segment and by destination sector in {year} (people a year) "
        "[90 % interval].",
    )
    for figure in figures:
        doc.figure(figure)
    md = write_document(doc, folder, "md", stem="report")
    paths = [folder / "effects.csv", folder / "effects.parquet", md]
    return paths + [p for f in figures for p in (f.png, f.svg)]


def print_effects(table: pd.DataFrame, console: Any, context: dict) -> None:
    """The headline effects at milestone years, as a rich table."""
    wide = wide_table(table)
    shown = make_table(
        f"Effects [90 % interval] {note_of(context['draws'], context['replicates'])}",
        list(wide.columns),
        ["scenario", "outcome"],
    )
    for row in wide.itertuples(index=False):
        shown.add_row(*(str(v) for v in row))
    console.print(shown)
