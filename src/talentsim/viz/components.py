"""The page's views as Solara components, each a card that redraws after every step.

Each view subscribes to Mesa's ``update_counter`` (which SolaraViz bumps after a step) and
draws its figure once per model step: re-rendering without a step reuses the image.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import pandas as pd
import solara
from mesa.visualization.utils import update_counter

from talentsim.viz import charts
from talentsim.viz.levers import lever_summary
from talentsim.viz.mapview import MapChart
from talentsim.viz.model import VizModel
from talentsim.viz.series import sector_targets


class Drawable(Protocol):
    """A chart of one model: `draw(model)` updates it and renders it to PNG."""

    def draw(self, model: VizModel) -> bytes:
        """PNG bytes of the chart as the model is now."""
        ...


#: Titles of the views, in the order the page shows them.
TITLES: dict[str, str] = {
    "status": "Year",
    "map": "Map: Silicon Valley and Chinese cities",
    "people": "People in the US and returned",
    "returns": "Returns per year",
    "sectors": "Returnees' sector shares and survey targets",
    "bamboo": "Bamboo ceiling: promotions to manager",
    "pay": "US-China pay gap",
}


@solara.component
def FigureCard(title: str, model: VizModel, make: Callable[[VizModel], Drawable], note: str = ""):
    """A card with a title and a chart made once per model by `make`, drawn once per step."""
    update_counter.get()
    chart = solara.use_memo(lambda: make(model), dependencies=[model])
    png = solara.use_memo(lambda: chart.draw(model), dependencies=[model, model.steps])
    with solara.Card(title, classes=["talentsim-view"]):
        solara.Image(png, width="100%")
        if note:
            solara.Text(note, style={"font-size": "0.8em", "color": "#555"})


@solara.component
def StatusView(model: VizModel):
    """The year the simulation is at, and the headline numbers."""
    update_counter.get()
    first, last = model.years
    done = model.year - first
    by_year = model.annual()
    with solara.Card(TITLES["status"], classes=["talentsim-view"]):
        solara.Text(str(model.year), classes=["talentsim-year"], style={"font-size": "2.2em"})
        with solara.Column(gap="2px"):
            state = "run complete" if not model.running else f"1 January {model.year}"
            solara.Text(f"{state} · {done} of {last - first + 1} years simulated ({first}-{last})")
            solara.Text(f"Scenario: {model.scenario_name}")
            solara.Text(_agents_line(model), classes=["talentsim-agents"])
            for line in _headline(by_year):
                solara.Text(line)
            solara.Text(
                lever_summary(model.loaded.scenario, model.sim.seed),
                classes=["talentsim-levers"],
                style={"font-size": "0.8em", "color": "#555"},
            )
        if model.notice:
            solara.Warning(model.notice)


def _agents_line(model: VizModel) -> str:
    """Agents now, how the pool began (the population lever), and their weight."""
    config = model.loaded.scenario
    began = config.time.start - config.time.burn_in_years
    start = (
        f"spun up from {began}"
        if config.population.initial == "spin_up"
        else f"{config.population.agents:,} in {began}"
    )
    return (
        f"Agents: {model.agent_count:,} now, {start} "
        f"(1 agent = {model.people_per_agent:,.0f} people)"
    )


def _headline(by_year: pd.DataFrame) -> list[str]:
    """The latest simulated year's numbers, one line each."""
    if not len(by_year):
        return []
    row, year = by_year.iloc[-1], by_year.index[-1]
    return [
        f"In the US at the end of {year}: {row['in_us']:,.0f} people",
        f"Returned to China: {row['returned']:,.0f} people",
        f"Returns in {year}: {row['returns']:,.0f}",
    ]


@solara.component
def MapView(model: VizModel):
    """Firms and a sample of workers; workers cross to China when they return."""
    FigureCard(
        TITLES["map"],
        model,
        MapChart,
        note="Positions are a drawing convention: the model has no geography.",
    )


@solara.component
def PeopleView(model: VizModel):
    """People in the US and returned to China."""
    FigureCard(TITLES["people"], model, lambda m: charts.PeopleChart(m.years))


@solara.component
def ReturnsView(model: VizModel):
    """Returns per calendar year by segment."""
    FigureCard(TITLES["returns"], model, lambda m: charts.ReturnsChart(m.years))


@solara.component
def SectorView(model: VizModel):
    """Returnees' sector shares with the survey targets."""
    FigureCard(
        TITLES["sectors"],
        model,
        lambda m: charts.SectorChart(m.years, sector_targets()),
        note="Lines: virtual survey of returnees in China (without one: the year's returns). "
        "Diamonds: CCG surveys, ±2 s.e.",
    )


@solara.component
def BambooView(model: VizModel):
    """Promotion rates to management of Chinese-born and other workers in US firms."""
    FigureCard(
        TITLES["bamboo"],
        model,
        lambda m: charts.BambooChart(m.years),
        note="Senior ICs in US firms promoted to manager, per year (annual hazard).",
    )


@solara.component
def PayGapView(model: VizModel):
    """Mean pay in the US and in China."""
    FigureCard(TITLES["pay"], model, lambda m: charts.PayChart(m.years))


#: The views of the page, in order (SolaraViz's `components`).
VIEWS = [StatusView, MapView, PeopleView, ReturnsView, SectorView, BambooView, PayGapView]
