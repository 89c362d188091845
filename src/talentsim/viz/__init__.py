"""The browser view of a scenario (`talentsim viz`): Mesa's SolaraViz on a TalentModel.

Modules: :mod:`~talentsim.viz.levers` (sliders and the scenario keys they set),
:mod:`~talentsim.viz.model` (the model the page steps), :mod:`~talentsim.viz.series` (records
by calendar year), :mod:`~talentsim.viz.charts` and :mod:`~talentsim.viz.mapview` (figures),
:mod:`~talentsim.viz.components` (the views), :mod:`~talentsim.viz.app` (the page) and
:mod:`~talentsim.viz.server` (checks and start of the server). Everything but `server` needs
the `viz` extra (``pip install 'talentsim[viz]'``); importing this package does not.
"""
