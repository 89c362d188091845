"""Global sensitivity analysis (SALib: Sobol, Morris) through the sweep machinery.

:mod:`.analysis` plans the sample as a table sweep and computes the indices;
:mod:`.report` writes and prints them.

May import: :mod:`talentsim.calibration` (priors' bounds), :mod:`talentsim.runs`,
:mod:`talentsim.scenario`, :mod:`talentsim.storage`, :mod:`talentsim.render`,
:mod:`talentsim.errors`, :mod:`talentsim.taxonomy`.
"""
