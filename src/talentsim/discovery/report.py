"""What a discovery writes: tables (CSV), figures and report.md, as one folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.discovery.analysis import CASE_SHARE, Discovery
from talentsim.discovery.inputs import SweepData
from talentsim.render import figures as figs
from talentsim.render.documents import Document, write_document
from talentsim.render.style import label_map
from talentsim.storage.atomic import write_text

#: Most outcomes drawn in the feature-scores figure (all are in the CSV).
SHOWN_SCORES = 12


def rule_text(discovery: Discovery, replicates: int) -> str:
    """How the condition was judged per point, in words."""
    if discovery.by == "probability":
        return (
            f"a point is a case of interest when at least {CASE_SHARE:.0%} of its {replicates} "
            "replicates meet the condition (the share is the condition's probability there)"
        )
    return (
        f"the condition is applied to each point's mean outcomes over its {replicates} replicates"
    )


def _points_figure(discovery: Discovery, folder: Path) -> figs.Figure:
    """The points on the box's two main parameters, coloured by the condition's share."""
    plt = figs.pyplot()
    names = list(discovery.limits["parameter"][:2])
    scores = discovery.scores
    for name in scores.mean(axis=1).sort_values(ascending=False).index if not scores.empty else []:
        if len(names) < 2 and name not in names:
            names.append(name)
    points = discovery.points
    fig, ax = plt.subplots(figsize=(6.5, 5))
    if len(names) == 1:
        names.append("share")
    shown = ax.scatter(
        points[names[0]],
        points[names[1]],
        c=points["share"],
        cmap="viridis",
        vmin=0,
        vmax=1,
        s=22,
        edgecolor="none",
    )
    fig.colorbar(shown, ax=ax, label="share of replicates meeting the condition")
    limits = discovery.limits.set_index("parameter")
    xs, ys = (_span(limits, points, name) for name in names[:2])
    ax.add_patch(
        plt.Rectangle(
            (xs[0], ys[0]),
            xs[1] - xs[0],
            ys[1] - ys[0],
            fill=False,
            lw=1.5,
            ec="C3",
            label=f"{discovery.method.upper()} box",
        )
    )
    labels = label_map([c for c in points.columns if c not in ("point", "share", "case")])
    ax.set_xlabel(labels.get(names[0], names[0]))
    ax.set_ylabel(labels.get(names[1], names[1]))
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return figs.save(
        fig,
        folder,
        "points",
        "Points and the box",
        f"Each point of the sweep on two parameters of the box, coloured by the share "
        f"of its replicates that meet {discovery.condition.text!r}; red: the box.",
    )


def _span(limits: pd.DataFrame, points: pd.DataFrame, name: str) -> tuple[float, float]:
    """The box's (low, high) on a parameter, or the points' range if it is not restricted."""
    if name in limits.index:
        return float(limits.loc[name, "low"]), float(limits.loc[name, "high"])
    return float(points[name].min()), float(points[name].max())


def _scores_figure(discovery: Discovery, folder: Path) -> figs.Figure | None:
    if discovery.scores.empty:
        return None
    import seaborn as sns

    plt = figs.pyplot()
    scores = discovery.scores
    wanted = [n for n in discovery.condition.names if n in scores.columns]
    ranked = scores.var(axis=0).sort_values(ascending=False).index
    columns = list(dict.fromkeys([*wanted, *ranked]))[:SHOWN_SCORES]
    shown = scores[columns].rename(index=label_map(list(scores.index)))
    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * len(columns), 1.2 + 0.45 * len(shown)))
    sns.heatmap(shown, annot=True, fmt=".2f", cmap="viridis", ax=ax, cbar_kws={"label": "score"})
    ax.set_xticklabels(ax.get_xticklabels(), rotation=40, ha="right")
    ax.set_ylabel("")
    fig.tight_layout()
    return figs.save(
        fig,
        folder,
        "feature_scores",
        "Feature scores",
        f"Extra-trees feature scores of each swept parameter (rows) for outcomes "
        f"(columns; the condition's first, then the most contrasted; all "
        f"{scores.shape[1]} in feature_scores.csv).",
    )


def _prim_figures(discovery: Discovery, folder: Path) -> list[figs.Figure]:
    plt = figs.pyplot()
    box = discovery.algorithm
    saved = []
    tradeoff = box.show_tradeoff()
    tradeoff.set_size_inches(6.5, 5)
    saved.append(
        figs.save(
            tradeoff,
            folder,
            "tradeoff",
            "PRIM's peeling trajectory",
            "Coverage against density of each box on the peeling trajectory; "
            "colour: restricted parameters.",
        )
    )
    if len(discovery.limits):
        fig, ax = plt.subplots(figsize=(8, 1.5 + 0.6 * len(discovery.limits)))
        box.inspect(discovery.chosen, style="graph", ax=ax)
        fig.tight_layout()
        saved.append(
            figs.save(
                fig,
                folder,
                "box",
                "The box's limits",
                "The reported box's limits on each restricted parameter (within "
                "its full range), with their quasi-p-values.",
            )
        )
    return saved


def _parameters(count: int) -> str:
    return f"{count} parameter" + ("" if count == 1 else "s")


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "-" if np.isnan(value) else f"{value:.3g}"
    return str(value)


def _printed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda column: column.map(_cell))


def write_outputs(discovery: Discovery, data: SweepData, folder: Path) -> list[Path]:
    """points.csv, boxes.csv, limits.csv, feature_scores.csv, figures and report.md."""
    tables = {
        "points.csv": discovery.points,
        "boxes.csv": discovery.boxes,
        "limits.csv": discovery.limits,
        "feature_scores.csv": discovery.scores.rename_axis("parameter").reset_index(),
    }
    for name, table in tables.items():
        write_text(folder / name, table.to_csv(index=False))
    figures = [_points_figure(discovery, folder)]
    if discovery.method == "prim":
        figures += _prim_figures(discovery, folder)
    scores = _scores_figure(discovery, folder)
    if scores is not None:
        figures.append(scores)
    replicates = int(data.runs.groupby("point").size().max())
    stats = discovery.stats
    cases = int(discovery.points["case"].sum())
    doc = Document(f"Scenario discovery: {discovery.condition.text}")
    doc.text(
        f"Sweep `{data.folder}`: {len(discovery.points)} points, {len(data.runs)} runs "
        f"({data.missing} of {data.expected} missing or failed); "
        f"{rule_text(discovery, replicates)}. "
        f"Cases of interest: {cases} of {len(discovery.points)} points."
    )
    method = (
        "PRIM (peeling and pasting)" if discovery.method == "prim" else "CART (classification tree)"
    )
    doc.text(
        f"{method}: the reported box holds {stats['mass']:.0%} of the points (mass), "
        f"{stats['coverage']:.0%} of the cases (coverage), and {stats['density']:.0%} of its "
        f"points are cases (density), restricting {_parameters(int(stats['res_dim']))}."
    )
    doc.table(
        _printed(discovery.limits),
        "The box: the restricted parameters' limits (low, high) "
        "within their full range"
        + (", with quasi-p-values (one-sided binomial test)" if discovery.method == "prim" else "")
        + ".",
    )
    doc.table(
        _printed(discovery.boxes),
        "PRIM's peeling trajectory" if discovery.method == "prim" else "CART's leaves (boxes)",
    )
    for figure in figures:
        doc.figure(figure)
    md = write_document(doc, folder, "md", stem="report")
    return [*(folder / n for n in tables), md, *(p for f in figures for p in (f.png, f.svg))]
