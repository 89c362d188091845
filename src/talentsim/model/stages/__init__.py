"""The stages of a step, one module each, in step order.

1. :mod:`.macro` (pay and demand indices), 2. :mod:`.demography` (entry and exit),
3. :mod:`.careers` (promotions, the bamboo ceiling), 4. :mod:`.visas`, 5. :mod:`.belonging`,
6. :mod:`.offers`, 7. :mod:`.decisions`, 8. :mod:`.remigration`, 9. :mod:`.observe` (the
record of a step) and :mod:`.survey` (the virtual survey). Each is one vectorised pass
over the worker arrays.

May import: :mod:`talentsim.model` (its state modules, never :mod:`talentsim.model.model`),
:mod:`talentsim.scenario`, :mod:`talentsim.taxonomy`.
"""
