"""The map: firms and workers drawn by Mesa's space renderer, US left and China right."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import SpaceRenderer
from mesa.visualization.components import AgentPortrayalStyle

from talentsim.model.agents import Firm, Worker
from talentsim.taxonomy import SEGMENTS, Country
from talentsim.viz.charts import Blitter
from talentsim.viz.layout import (
    DIVIDE,
    FIRM_COLOURS,
    HEIGHT,
    SEGMENT_COLOURS,
    SEGMENT_LABELS,
    WIDTH,
    segment_colour,
)

if TYPE_CHECKING:
    from talentsim.viz.model import VizModel

MAP_SIZE = (6.2, 3.9)


def portrayal(agent: Firm | Worker) -> AgentPortrayalStyle:
    """How an agent is drawn: firms as squares by size, workers as dots by segment."""
    if isinstance(agent, Firm):
        return AgentPortrayalStyle(
            color=FIRM_COLOURS[agent.country_code],
            marker="s",
            size=6.0 + 6.0 * min(float(agent.size), 6.0),
            zorder=1,
            alpha=0.9,
            edgecolors="none",
            linewidths=0.0,
        )
    return AgentPortrayalStyle(
        color=segment_colour(agent.segment_code),
        marker="o",
        size=9.0,
        zorder=2,
        alpha=0.85,
        edgecolors="white",
        linewidths=0.3,
    )


class MapChart:
    """The map of one model: Mesa's SpaceRenderer on the model's space, labelled once.

    After each step the agents are drawn again, as SolaraViz's own space component does
    (the previous markers removed, the renderer's draw_agents called), over a background of
    the frame and labels rendered once (see :class:`talentsim.viz.charts.Blitter`).
    """

    def __init__(self, model: VizModel) -> None:
        """Set up the renderer, draw the space and the labels."""
        self.renderer = SpaceRenderer(model, backend="matplotlib")
        self.renderer.setup_structure()
        self.renderer.setup_agents(portrayal)
        self.renderer.draw_structure()
        self.ax = self.renderer.canvas
        self.figure: Figure = self.ax.get_figure()
        self.figure.set_layout_engine("none")  # fixed margins: a layout engine doubles the cost
        self.figure.set_size_inches(*MAP_SIZE)
        self.figure.set_dpi(80)
        self.ax.set_position((0.01, 0.13, 0.98, 0.77))
        _decorate(self.ax, model)
        self.title = self.ax.set_title("", fontsize=8, pad=14)
        self.blitter = Blitter(self.figure)

    def draw(self, model: VizModel) -> bytes:
        """Draw the agents where they are now: PNG bytes."""
        for markers in list(self.ax.collections):
            markers.remove()
        with _inert_canvas(self.figure):
            self.renderer.draw_agents()
        in_us, in_china = dots_by_country(model)
        self.title.set_text(
            f"{in_us} dots in the US, {in_china} in China "
            f"(1 dot ≈ {model.people_per_agent / model.drawn_share:,.0f} people)"
        )
        return self.blitter.render([*self.ax.collections, self.title], key=None)


@contextlib.contextmanager
def _inert_canvas(figure: Figure) -> Iterator[None]:
    """A canvas that draws nothing while Mesa adds the markers.

    Mesa's matplotlib backend draws the whole canvas before adding markers (it needs that
    only for image markers); with a base canvas that draw costs nothing.
    """
    canvas = figure.canvas
    FigureCanvasBase(figure)
    try:
        yield
    finally:
        figure.set_canvas(canvas)


def _decorate(ax: Axes, model: VizModel) -> None:
    """Country headings, cluster names, the dividing line and a legend."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.axvline(DIVIDE, color="0.6", linestyle="--", linewidth=1.0)
    ax.text(DIVIDE / 2, HEIGHT + 1.2, "UNITED STATES", ha="center", fontsize=9, weight="bold")
    ax.text((DIVIDE + WIDTH) / 2, HEIGHT + 1.2, "CHINA", ha="center", fontsize=9, weight="bold")
    for text, x, y in model.layout.labels:
        ax.text(x, min(y, HEIGHT - 1.0), text, ha="center", fontsize=7, color="0.25")
    handles = [
        Line2D([], [], marker="o", ls="", color=SEGMENT_COLOURS[s], label=SEGMENT_LABELS[s])
        for s in SEGMENTS
    ]
    handles += [
        Line2D([], [], marker="s", ls="", color=FIRM_COLOURS[c], label=f"{name} firm")
        for c, name in ((0, "US"), (1, "Chinese"))
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.01),
        ncol=3,
        fontsize=7,
        frameon=False,
    )


def dots_by_country(model: VizModel) -> np.ndarray:
    """Workers drawn in the US and in China (for tests and the status line)."""
    codes = np.array([w.country_code for w in model.shown_workers], dtype=int)
    return np.bincount(codes, minlength=len(Country))
