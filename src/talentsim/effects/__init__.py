"""Policy effects with their full uncertainty: scenarios over posterior draws, paired.

:mod:`.plan` checks the inputs and makes one sweep per scenario over the draws;
:mod:`.outcomes` computes each run's outcomes by year where it runs; :mod:`.run` runs the
sweeps and writes the study; :mod:`.analysis` pairs the runs and splits the variance;
:mod:`.report` writes the tables and fan charts.

May import: :mod:`talentsim.runs`, :mod:`talentsim.model` (survey codes, memory checks),
:mod:`talentsim.scenario`, :mod:`talentsim.storage`, :mod:`talentsim.render`,
:mod:`talentsim.errors`, :mod:`talentsim.taxonomy`.
"""
