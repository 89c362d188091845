"""Reading result folders and reporting on them: reports, comparisons, console summaries.

:mod:`.folders` reads run, sweep and calibration folders into one shape; :mod:`.report`
makes figures and a report; :mod:`.compare` sets runs against a baseline; :mod:`.summary`
prints what a command did; :mod:`.score` scores a folder against a targets file.

May import: :mod:`talentsim.calibration`, :mod:`talentsim.evidence`, :mod:`talentsim.runs`,
:mod:`talentsim.model` (its taxonomy of outputs), :mod:`talentsim.scenario`,
:mod:`talentsim.storage`, :mod:`talentsim.render`, :mod:`talentsim.errors`,
:mod:`talentsim.taxonomy`.
"""
