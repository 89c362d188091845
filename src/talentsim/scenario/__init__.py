"""The scenario: the typed schema of a run, loading files, the timeline, calibrated defaults.

- :mod:`.schema` gathers the blocks (:mod:`.pool`, :mod:`.economy`, :mod:`.behaviour`,
  :mod:`.observation`, :mod:`.interventions`, :mod:`.sweep_block`,
  :mod:`.calibration_block`), built from :mod:`.fields`; :mod:`.calibrated` holds the
  calibrated defaults they use.
- :mod:`.loader` reads YAML files (safely, with `extends:` and `--set`) into a validated
  :class:`Scenario`, with errors that name file, key and line; :mod:`.keys` walks dotted
  keys; :mod:`.timeline` gives the parameters in force at any time; :mod:`.docgen` writes
  the parameter table and the baseline file from the schema.

May import: :mod:`talentsim.errors`, :mod:`talentsim.taxonomy`. The shipped scenario files
live in ``talentsim/data/scenarios``.
"""

from talentsim.scenario.loader import LoadedScenario, ScenarioError, load_scenario
from talentsim.scenario.schema import TIMELINE_SECTIONS, Scenario

__all__ = ["TIMELINE_SECTIONS", "LoadedScenario", "Scenario", "ScenarioError", "load_scenario"]
