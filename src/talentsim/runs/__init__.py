"""Running scenarios: one replicate, a run's replicates and its folder, designs and sweeps.

:mod:`.replicate` builds a model from a scenario and a seed sequence, runs it and returns
its tables (every run goes through it: run, sweep, calibration, the posterior checks, the
viz); :mod:`.runner` runs a scenario's replicates; :mod:`.run_folder` writes a run's
folder; :mod:`.provenance` builds the manifest of every result folder; :mod:`.outputs`
decides default output folders; :mod:`.designs` makes a sweep's points; :mod:`.sweep`
plans and runs sweeps, stored by :mod:`.sweep_store`, on the :mod:`.executors` (this
process, local processes, Dask), whose workers :mod:`.processes` ties to the command.

May import: :mod:`talentsim.model`, :mod:`talentsim.scenario`, :mod:`talentsim.storage`,
:mod:`talentsim.errors`, :mod:`talentsim.taxonomy`.
"""
