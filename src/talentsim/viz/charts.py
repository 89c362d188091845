"""The page's charts: matplotlib figures with calendar years on the x axis.

A chart builds its figure once per model (axes, ticks, legend, the survey targets) and
renders that static part once into a background image; after each step it updates the data
of its lines and bars and draws only those over the background (matplotlib's blitting), so a
step costs a few milliseconds per chart instead of a full render. The background is drawn
again when the y range grows. Figures use matplotlib's object interface (no pyplot state),
so the page can draw them from its stepping thread. Each chart spans the scenario's whole
period from the start, so the lines grow to the right year by year.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator, PercentFormatter
from PIL import Image

from talentsim.taxonomy import CN_SECTORS, SEGMENTS
from talentsim.viz.layout import SEGMENT_COLOURS, SEGMENT_LABELS

if TYPE_CHECKING:
    from talentsim.viz.model import VizModel

FIGSIZE = (5.6, 3.1)
DPI = 80
US_COLOUR, CHINA_COLOUR = "#1f77b4", "#d62728"
SECTOR_COLOURS: dict[str, str] = {
    "technology": "#1f77b4",
    "finance": "#ff7f0e",
    "education": "#2ca02c",
    "manufacturing": "#8c564b",
    "other": "#7f7f7f",
}
THOUSANDS = FuncFormatter(
    lambda value, _pos: f"{value / 1e6:.1f}M" if value >= 1e6 else f"{value / 1000:,.0f}k"
)
PERCENT = PercentFormatter(1.0, decimals=0)


def _top(values: np.ndarray, floor: float) -> float:
    """An upper y limit with room for the legend: a round number above 1.3 x the largest value.

    Round numbers (1, 1.5, 2, 3, 5, 7.5 x a power of ten) change rarely as the values grow,
    so the background of a chart is seldom drawn again.
    """
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    wanted = max(floor, 1.3 * float(finite.max())) if finite.size else floor
    power = 10.0 ** np.floor(np.log10(wanted))
    return float(power * next(m for m in (1, 1.5, 2, 3, 5, 7.5, 10) if m * power >= wanted))


def png_bytes(rgba: np.ndarray) -> bytes:
    """An RGBA pixel buffer as PNG bytes (light compression: speed matters more than size)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(rgba), "RGBA").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


class Blitter:
    """Renders a figure as a cached background plus the artists that change.

    The changing artists are marked animated, so a full draw leaves them out; the full draw
    happens when the background is missing or its `key` (e.g. the y limits) changed. The
    changing artists are drawn over the background in the order of their zorder.
    """

    def __init__(self, figure: Figure) -> None:
        """Attach an Agg canvas to the figure."""
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.background = None
        self.key: object = None

    def render(self, artists: list[Artist], key: object) -> bytes:
        """PNG bytes of the background (redrawn if `key` changed) with `artists` over it."""
        if self.background is None or key != self.key:
            for artist in artists:
                artist.set_animated(True)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.key = key
        else:
            self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for artist in sorted(artists, key=lambda a: a.get_zorder()):
            artist.draw(renderer)
        return png_bytes(self.canvas.buffer_rgba())


class Chart:
    """A figure over the scenario's years whose data artists change after each step."""

    def __init__(self, years: tuple[int, int], ylabel: str, formatter: FuncFormatter) -> None:
        """Create the figure, its axes and the note shown before the first step."""
        self.figure = Figure(figsize=FIGSIZE, dpi=DPI)  # fixed margins: no layout engine
        self.figure.subplots_adjust(left=0.14, right=0.98, bottom=0.15, top=0.92)
        ax = self.ax = self.figure.add_subplot()
        ax.set_xlim(years[0] - 0.6, years[1] + 0.6)
        ax.xaxis.set_major_locator(MultipleLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.yaxis.set_major_formatter(formatter)
        ax.set_xlabel("year")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, linewidth=0.6)
        self.waiting = ax.text(
            0.5,
            0.5,
            f"press Step or Play to simulate {years[0]}",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="0.4",
        )

        self.blitter = Blitter(self.figure)
        self.dynamic: list[Artist] = [self.waiting]  # artists whose data change each step

    def update(self, model: VizModel) -> None:
        """Set the artists' data from the model (subclasses)."""
        raise NotImplementedError

    def draw(self, model: VizModel) -> bytes:
        """Update from the model and render: PNG bytes (no y labels before the first year)."""
        self.update(model)
        self.ax.tick_params(axis="y", labelleft=not self.waiting.get_visible())
        key = (self.ax.get_ylim(), self.ax.get_ylabel(), self.waiting.get_visible())
        return self.blitter.render(self.dynamic, key)

    def _legend(self, **kwargs: object) -> None:
        """The legend, drawn over the lines (so it is redrawn with them)."""
        self.dynamic.append(self.ax.legend(**kwargs))

    def _line(self, colour: str, label: str, style: str = "o-") -> Line2D:
        """A line whose data change each step."""
        (line,) = self.ax.plot([], [], style, ms=3, color=colour, label=label)
        self.dynamic.append(line)
        return line


class PeopleChart(Chart):
    """People in the US and people returned to China, at the end of each year."""

    def __init__(self, years: tuple[int, int]) -> None:
        """Two lines: in the US, returned."""
        super().__init__(years, "people (end of year)", THOUSANDS)
        self.in_us = self._line(US_COLOUR, "in the US")
        self.returned = self._line(CHINA_COLOUR, "returned to China")
        self._legend(loc="upper left", fontsize=8)

    def update(self, model: VizModel) -> None:
        """Lines to the last simulated year."""
        by_year = model.annual()
        self.waiting.set_visible(by_year.empty)
        self.in_us.set_data(by_year.index, by_year["in_us"])
        self.returned.set_data(by_year.index, by_year["returned"])
        self.ax.set_ylim(0, _top(by_year[["in_us", "returned"]].to_numpy(), 1000.0))


class ReturnsChart(Chart):
    """Returns to China in each year, stacked by talent-pool segment."""

    def __init__(self, years: tuple[int, int]) -> None:
        """One collection of bars per segment."""
        super().__init__(years, "returns per year", THOUSANDS)
        self.bars = {}
        for segment in SEGMENTS:
            bars = PolyCollection(
                [],
                facecolors=SEGMENT_COLOURS[segment],
                edgecolors="none",
                label=SEGMENT_LABELS[segment],
            )
            self.bars[segment] = self.ax.add_collection(bars)
            self.dynamic.append(bars)
        self._legend(loc="upper left", fontsize=7, ncol=2)

    def update(self, model: VizModel) -> None:
        """Stack each year's returns by segment."""
        by_year = model.annual()
        self.waiting.set_visible(by_year.empty)
        x = by_year.index.to_numpy(dtype=float)
        bottom = np.zeros(len(x))
        for segment, bars in self.bars.items():
            top = bottom + by_year[f"returns_{segment}"].to_numpy(dtype=float)
            bars.set_verts(_rectangles(x, bottom, top))
            bottom = top
        self.ax.set_ylim(0, _top(bottom, 1000.0))


def _rectangles(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Corners of bars from `low` to `high` at each x, 0.8 years wide: (n, 4, 2)."""
    left, right = x - 0.4, x + 0.4
    corners = ((left, low), (left, high), (right, high), (right, low))
    return np.stack([np.column_stack(c) for c in corners], axis=1)


class SectorChart(Chart):
    """Returnees' shares by Chinese sector, with the survey targets (±2 s.e.) marked."""

    def __init__(self, years: tuple[int, int], targets: pd.DataFrame) -> None:
        """A line per sector; the targets as diamonds with error bars and labels."""
        super().__init__(years, "share of returnees in China (%)", PERCENT)
        self.ax.set_ylim(0, 0.6)
        self.lines = {s: self._line(SECTOR_COLOURS[s], s) for s in CN_SECTORS}
        for line in self.lines.values():
            line.set_markersize(2)
        for row in targets.itertuples():
            self.ax.errorbar(
                row.year,
                row.value,
                yerr=2 * row.se,
                fmt="D",
                ms=6,
                color=SECTOR_COLOURS.get(row.category, "black"),
                mec="black",
                capsize=3,
            )
            self.ax.annotate(
                f"survey {row.year}: {row.category} {row.value:.1%}",
                (row.year, row.value),
                xytext=(6, -12),
                textcoords="offset points",
                fontsize=7,
            )
        self._legend(loc="upper right", fontsize=7, ncol=3)

    def update(self, model: VizModel) -> None:
        """Lines of the shares so far (the virtual survey's, else those of the returns)."""
        shares, source = model.sector_shares()
        self.waiting.set_visible(shares.empty)
        label = (
            "share of returnees in China (%)"
            if source == "virtual survey"
            else "share of returns (%)"
        )
        self.ax.set_ylabel(label)
        for sector, line in self.lines.items():
            line.set_data(shares.index, shares[sector])


class BambooChart(Chart):
    """Promotion rates to manager in US firms: Chinese-born workers and the others."""

    def __init__(self, years: tuple[int, int]) -> None:
        """The base rate (what others face) and the simulated rate of Chinese-born workers."""
        super().__init__(years, "promotions to manager (% a year)", PERCENT)
        self.reference = self._line("0.3", "other workers (base rate)", style="--")
        self.chinese = self._line(CHINA_COLOUR, "Chinese-born workers in US firms (simulated)")
        self._legend(loc="lower left", fontsize=7)

    def update(self, model: VizModel) -> None:
        """Both rates by year."""
        by_year = model.annual()
        self.waiting.set_visible(by_year.empty)
        self.reference.set_data(by_year.index, by_year["promotion_reference"])
        self.chinese.set_data(by_year.index, by_year["promotion_chinese"])
        rates = by_year[["promotion_reference", "promotion_chinese"]].to_numpy(dtype=float)
        self.ax.set_ylim(0, _top(rates, 0.05))


class PayChart(Chart):
    """Mean pay in the US and in China (in PPP and in market dollars)."""

    def __init__(self, years: tuple[int, int]) -> None:
        """Three lines and a title with the latest ratio."""
        super().__init__(years, "mean salary, USD / year", THOUSANDS)
        self.us = self._line(US_COLOUR, "US")
        self.china_ppp = self._line(CHINA_COLOUR, "China (PPP dollars)")
        self.china_usd = self._line(CHINA_COLOUR, "China (market dollars)", style=":")
        self.title = self.ax.set_title("", fontsize=9)
        self.dynamic.append(self.title)
        self._legend(loc="lower right", fontsize=7)

    def update(self, model: VizModel) -> None:
        """The lines, and the US/China (PPP) pay ratio of the last year in the title."""
        by_year = model.annual()
        self.waiting.set_visible(by_year.empty)
        self.us.set_data(by_year.index, by_year["pay_us"])
        self.china_ppp.set_data(by_year.index, by_year["pay_china_ppp"])
        self.china_usd.set_data(by_year.index, by_year["pay_china_usd"])
        columns = ["pay_us", "pay_china_ppp", "pay_china_usd"]
        self.ax.set_ylim(0, _top(by_year[columns].to_numpy(dtype=float), 1000.0))
        if not by_year.empty:
            last = by_year.iloc[-1]
            ratio = last["pay_us"] / last["pay_china_ppp"]
            self.title.set_text(f"{by_year.index[-1]}: US pay = {ratio:.2f} × China (PPP)")
