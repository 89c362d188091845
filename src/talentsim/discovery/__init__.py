"""Scenario discovery on sweeps (PRIM, CART, feature scoring) and talentsim as an EMA model.

:mod:`.condition` parses and evaluates `--where` conditions safely; :mod:`.inputs` reads a
sweep's points and run rows (never its time series); :mod:`.analysis` runs the EMA
Workbench's PRIM, CART and feature scoring; :mod:`.report` writes tables, figures and
report.md; :mod:`.run` is `talentsim discover`; :mod:`.ema_model` turns a scenario into an
EMA Workbench model (``talentsim.ema``).

May import: :mod:`talentsim.runs`, :mod:`talentsim.scenario`, :mod:`talentsim.storage`,
:mod:`talentsim.render`, :mod:`talentsim.errors`, :mod:`talentsim.taxonomy`.
"""
