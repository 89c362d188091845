"""A pyabc sampler whose particles do not depend on the workers, the backend or a restart.

pyabc's parallel samplers seed each worker at random and keep whichever particles finish
first, so two calibrations of the same scenario and seed differ, and a calibration resumed
after a kill differs from one that ran through. Here proposal i of generation t is drawn
and simulated with numpy's global generator seeded from (seed, t, i) wherever it runs,
and a generation keeps the particles of proposals 0, 1, ... up to the one that brings the
n-th acceptance; proposals beyond it that were already running are discarded. The same seed
thus gives the same particles in this process, in local worker processes, on Dask, and
after a resume (a generation interrupted by a kill is run again from its start). The
proposals run through the sweeps' executors (:mod:`talentsim.runs.executors`).
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable
from typing import Any

import cloudpickle
import numpy as np
import pyabc

from talentsim.runs.executors import Executor, InProcess

_unpickled: dict[str, Callable[[], Any]] = {}  # a worker's simulate_one, by its digest


def seed_proposal(seed: int, t: int, index: int) -> None:
    """Seed numpy's and Python's global generators for proposal `index` of generation t.

    Generation -1 is pyabc's sample from the prior that sets the first tolerance.
    """
    state = np.random.SeedSequence([seed, t + 1, index]).generate_state(4)
    np.random.seed(state)  # noqa: NPY002 (pyabc draws from the global generator)
    random.seed(int(state[0]))


def simulate_proposal(shared: tuple[Any, int, int], index: int) -> Any:
    """Proposal `index` of generation t, seeded, then drawn and simulated by pyabc.

    Args:
        shared: (simulate_one, or it pickled with cloudpickle; seed; t).
        index: The proposal's number within its generation.
    """
    simulate_one, seed, t = shared
    if isinstance(simulate_one, bytes):
        digest = hashlib.sha256(simulate_one).hexdigest()
        if digest not in _unpickled:
            _unpickled.clear()  # one generation's function at a time
            _unpickled[digest] = cloudpickle.loads(simulate_one)
        simulate_one = _unpickled[digest]
    seed_proposal(seed, t, index)
    return simulate_one()


class OrderedSampler(pyabc.sampler.Sampler):
    """Reproducible ABC-SMC sampling on any executor.

    Args:
        seed: The calibration's seed (``abc.seed``).
        executor: Where proposals are simulated (default: in this process).
    """

    def __init__(self, seed: int, executor: Executor | None = None) -> None:
        super().__init__()
        self.seed = int(seed)
        self.executor = executor or InProcess()

    def sample_until_n_accepted(  # noqa: D102
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> pyabc.Sample:
        here = isinstance(self.executor, InProcess)
        function = simulate_one if here else cloudpickle.dumps(simulate_one)
        results = self.executor.run(simulate_proposal, (function, self.seed, t), itertools.count())
        kept: dict[int, Any] = {}
        length = accepted = 0  # proposals 0..length-1 are all done; acceptances among them
        try:
            for index, particle in results:
                if isinstance(particle, BaseException):
                    raise RuntimeError(
                        f"calibration proposal {index} of generation {t} failed: {particle!r}"
                    )
                kept[index] = particle
                while accepted < n and length in kept:
                    accepted += bool(kept[length].accepted)
                    length += 1
                if accepted >= n:
                    break
        finally:
            results.close()  # drops the proposals that are not needed
        sample = self._create_empty_sample()
        for index in range(length):
            sample.append(kept[index])
        self.nr_evaluations_ = length
        if accepted < n:
            sample.ok = False
        return sample
