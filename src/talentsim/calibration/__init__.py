"""Calibration against the returnee surveys with ABC-SMC (pyabc).

:mod:`.targets` reads target files; :mod:`.abc` holds the simulator, summary statistics,
distance and set-up; :mod:`.sampler` a reproducible pyabc sampler on the run executors;
:mod:`.run` runs a calibration end to end (folder, lock, resume); :mod:`.posterior` and
:mod:`.report` write its outputs.

May import: :mod:`talentsim.runs`, :mod:`talentsim.model`, :mod:`talentsim.scenario`,
:mod:`talentsim.storage`, :mod:`talentsim.render`, :mod:`talentsim.errors`,
:mod:`talentsim.taxonomy`.
"""
