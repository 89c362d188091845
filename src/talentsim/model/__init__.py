"""The model: worker state in arrays, firms, and a step as an explicit list of timed stages.

:mod:`.model` holds :class:`TalentModel` (a Mesa model); :mod:`.agents` the Mesa agents
that read and write through to the arrays of :mod:`.people`; :mod:`.firms`, :mod:`.ledger`
(running totals), :mod:`.schedule` (event dates), :mod:`.streams` (common random numbers),
:mod:`.capacity` (memory needed); :mod:`.state` declares what the stages hand each other
within a step. The stages, in step order, are in :mod:`.stages`.

May import: :mod:`talentsim.scenario`, :mod:`talentsim.errors`, :mod:`talentsim.taxonomy`.
"""
