"""Calibration against observed figures with ABC-SMC (pyabc).

Targets files are read by :mod:`talentsim.evidence.targets` (only their calibration split);
:mod:`.abc` holds the simulator, summary statistics, distance and set-up; :mod:`.sampler` a
reproducible pyabc sampler on the run executors; :mod:`.run` runs a calibration end to end
(folder, lock, resume); :mod:`.posterior` and :mod:`.report` write its outputs.

May import: :mod:`talentsim.evidence`, :mod:`talentsim.runs`, :mod:`talentsim.model`,
:mod:`talentsim.scenario`, :mod:`talentsim.storage`, :mod:`talentsim.render`,
:mod:`talentsim.errors`, :mod:`talentsim.taxonomy`.
"""
