"""The figure of a score: each target's simulated interval against what was observed.

Every target is drawn on one scale, its miss in units of the miss still counted as within
(2 standard errors of a survey share, the tolerance of a growth rate or a ratio, the
tolerance times the figure for a flow or a stock, half of the runs for a ranking), so that
the grey band [-1, 1] is the observed value with its uncertainty and a target is within when
its median falls inside it. Calibration targets (in sample) and validation targets (out of
sample) are drawn side by side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from talentsim.render.figures import Figure, pyplot, save

#: Misses beyond this many allowances are drawn at the edge, with their value written.
LIMIT = 6.0
SPLITS = ("calibration", "validation")
TITLES = {"calibration": "in sample (calibration)", "validation": "out of sample (validation)"}


def scaled(table: pd.DataFrame) -> pd.DataFrame:
    """The median and 5-95 % interval of each target as misses in allowances.

    A ranking's point is its share of runs not ranking as observed over one half (0 when
    every run ranks so, 1 at the limit of half the runs); it has no interval.
    """
    out = table[["id", "split", "kind", "target", "within"]].copy()
    allowed = table["allowed"].astype(float)
    for column in ("median", "q05", "q95"):
        out[column] = (table[column].astype(float) - table["observed"]) / allowed
    rank = table["kind"] == "rank"
    for column in ("median", "q05", "q95"):
        out.loc[rank, column] = table.loc[rank, "error"] / allowed[rank]
    return out[table["runs"] > 0]


def score_figure(table: pd.DataFrame, folder: Path, title: str) -> Figure:
    """Draw score.png and score.svg in `folder` from a score table."""
    plt = pyplot()
    points = scaled(table)
    splits = [s for s in SPLITS if (points["split"] == s).any()] or ["calibration"]
    rows = max(int((points["split"] == s).sum()) for s in splits) if len(points) else 1
    fig, axes = plt.subplots(
        1, len(splits), figsize=(7.5 * len(splits), 1.4 + 0.26 * rows), squeeze=False
    )
    for ax, split in zip(axes[0], splits, strict=True):
        _panel(ax, points[points["split"] == split], TITLES.get(split, split), rows)
    fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(
        left=0.4 if len(splits) == 1 else 0.2, right=0.98, wspace=0.75, top=0.9, bottom=0.12
    )
    caption = (
        "Each target's simulated median (dot) and 5-95 % interval over runs (line), as its "
        "miss in units of the miss still counted as within: 2 standard errors of a survey "
        "share, the tolerance of a growth rate, ratio or retention, the tolerance times the "
        "figure for a flow or stock, half of the runs for a ranking (a diamond: the share of "
        "runs not ranking as observed). The grey band is the observed value with that "
        f"uncertainty; blue within, red not. Misses beyond {LIMIT:g} are drawn at the edge "
        "with their value."
    )
    return save(fig, folder, "score", title, caption)


def _panel(ax: object, points: pd.DataFrame, title: str, rows: int) -> None:
    ax.axvspan(-1, 1, color="0.88", zorder=0)
    ax.axvline(0, color="0.4", lw=0.8, zorder=1)
    y = rows - 1 - np.arange(len(points))  # from the top, the same spacing in every panel
    for yi, row in zip(y, points.itertuples(index=False), strict=True):
        colour = "C0" if row.within else "C3"
        lo, mid, hi = (float(np.clip(v, -LIMIT, LIMIT)) for v in (row.q05, row.median, row.q95))
        if row.kind != "rank":
            ax.plot([lo, hi], [yi, yi], color=colour, lw=2, solid_capstyle="butt")
        ax.plot(mid, yi, "D" if row.kind == "rank" else "o", color=colour, ms=5)
        if abs(row.median) > LIMIT:
            ax.annotate(
                f"{row.median:+.1f}",
                (mid, yi),
                xytext=(-4 if mid > 0 else 4, 4),
                textcoords="offset points",
                ha="right" if mid > 0 else "left",
                fontsize=7,
            )
    ax.set_yticks(y, [f"{r.id}  {_short(r.target)}" for r in points.itertuples()], fontsize=7)
    ax.set_xlim(-LIMIT - 0.5, LIMIT + 0.5)
    ax.set_ylim(-0.7, rows - 0.3)
    ax.set_xlabel("miss / allowed miss (within: -1 to 1)")
    ax.set_title(title, fontsize=9)


def _short(target: str, width: int = 44) -> str:
    for long, short in (
        ("employment sector of returnees: ", ""),
        ("position level of employed returnees: ", "position: "),
        ("reason for return (several allowed): ", "reason: "),
        ("employment status: ", ""),
    ):
        target = target.replace(long, short)
    return target if len(target) <= width else target[: width - 1] + "…"
