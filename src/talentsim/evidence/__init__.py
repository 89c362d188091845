"""Observed figures and how the model's outputs are set against them.

:mod:`.targets` reads and checks targets files (the surveys' figures and the independent
evidence, each row a share, ranking, flow, stock, growth rate, ratio or cohort retention);
:mod:`.statistics` computes each target's simulated value from one run's tables;
:mod:`.score` scores an ensemble of runs against the targets.

May import: :mod:`talentsim.model` (its taxonomy of outputs), :mod:`talentsim.errors`,
:mod:`talentsim.taxonomy`.
"""
