"""The SolaraViz page of `talentsim viz` (run with ``solara run talentsim.viz.app``).

The scenario comes from $TALENTSIM_VIZ_SCENARIO (the baseline when unset). Each browser
session gets its own model.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from talentsim.viz.components import VIEWS
from talentsim.viz.levers import model_params
from talentsim.viz.model import VizModel

#: Milliseconds Play waits between steps (a step is a simulated year).
PLAY_INTERVAL = 50


@solara.component
def Page():
    """The page: controls and levers in the sidebar, the views in the main area."""
    model = solara.use_memo(VizModel, dependencies=[])
    params = solara.use_memo(lambda: model_params(model.base), dependencies=[])
    solara.Title(f"talentsim · {model.scenario_name}")
    SolaraViz(
        model,
        components=list(VIEWS),
        model_params=params,
        name=f"talentsim · {model.scenario_name}",
        play_interval=PLAY_INTERVAL,
    )
