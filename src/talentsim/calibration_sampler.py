"""A pyabc sampler whose particles do not depend on the workers, the backend or a restart.

pyabc's parallel samplers seed each worker at random and keep whichever particles finish
first, so two calibrations of the same scenario and seed differ, and a calibration resumed
after a kill differs from one that ran through. Here proposal i of generation t is drawn
and simulated with numpy's global generator seeded from (seed, t, i) wherever it runs,
and a generation keeps the particles of proposals 0, 1, ... up to the one that brings the
n-th acceptance. Proposals beyond it that were already running are discarded. The same
seed thus gives the same particles in one process, in local worker processes, on Dask, and
after a resume (a generation interrupted by a kill is run again from its start).
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pyabc

from talentsim.processes import die_with_parent

#: Seconds between checks that the worker processes are alive while waiting for a result.
POLL_SECONDS = 1.0


def seed_proposal(seed: int, t: int, index: int) -> None:
    """Seed numpy's and Python's global generators for proposal `index` of generation t.

    Generation -1 is pyabc's sample from the prior that sets the first tolerance.
    """
    state = np.random.SeedSequence([seed, t + 1, index]).generate_state(4)
    np.random.seed(state)  # noqa: NPY002 (pyabc draws from the global generator)
    random.seed(int(state[0]))


def simulate_proposal(simulate_one: Callable[[], Any], seed: int, t: int, index: int) -> Any:
    """Proposal `index` of generation t: seeded, then drawn and simulated by pyabc."""
    seed_proposal(seed, t, index)
    return simulate_one()


class _Prefix:
    """Results by proposal index, and the shortest prefix holding n acceptances."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.results: dict[int, Any] = {}
        self.length = 0  # proposals 0..length-1 are all done
        self.accepted = 0  # acceptances among them

    def add(self, index: int, particle: Any) -> None:
        self.results[index] = particle
        while self.accepted < self.n and self.length in self.results:
            self.accepted += bool(self.results[self.length].accepted)
            self.length += 1

    @property
    def complete(self) -> bool:
        return self.accepted >= self.n


class OrderedSampler(pyabc.sampler.Sampler):
    """Reproducible ABC-SMC sampling in this process, in local processes, or on Dask.

    Args:
        seed: The calibration's seed (``abc.seed``).
        workers: Local worker processes (1: in this process); ignored with `client`.
        client: A dask.distributed Client to simulate on.
    """

    def __init__(self, seed: int, workers: int = 1, client: Any | None = None) -> None:
        super().__init__()
        self.seed = int(seed)
        self.workers = max(int(workers), 1)
        self.client = client

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
        prefix = _Prefix(n)
        if self.client is not None:
            results = self._on_dask(simulate_one, t, prefix)
        elif self.workers > 1:
            results = self._in_processes(simulate_one, t, prefix)
        else:
            results = self._here(simulate_one, t, prefix)
        try:
            for index, particle in results:
                prefix.add(index, particle)
                if prefix.complete:
                    break
        finally:
            results.close()  # stops the workers still simulating proposals not needed
        sample = self._create_empty_sample()
        for index in range(prefix.length):
            sample.append(prefix.results[index])
        self.nr_evaluations_ = prefix.length
        if prefix.accepted < n:
            sample.ok = False
        return sample

    def _here(self, simulate_one, t, prefix: _Prefix) -> Iterator[tuple[int, Any]]:
        index = 0
        while not prefix.complete:
            yield index, simulate_proposal(simulate_one, self.seed, t, index)
            index += 1

    def _in_processes(self, simulate_one, t, prefix: _Prefix) -> Iterator[tuple[int, Any]]:
        context = multiprocessing.get_context("fork")  # the workers inherit simulate_one
        tasks, done = context.Queue(), context.Queue()
        processes = [
            context.Process(
                target=_work, args=(simulate_one, self.seed, t, tasks, done), daemon=True
            )
            for _ in range(self.workers)
        ]
        for process in processes:
            process.start()
        issued, in_flight = 0, 0
        try:
            while not prefix.complete:
                while in_flight < 2 * self.workers:
                    tasks.put(issued)
                    issued, in_flight = issued + 1, in_flight + 1
                index, particle, error = _next_result(done, processes)
                in_flight -= 1
                if error is not None:
                    raise RuntimeError(f"a calibration simulation failed:\n{error}")
                yield index, particle
        finally:
            for process in processes:
                process.kill()
            for process in processes:
                process.join()
            tasks.close()
            done.close()

    def _on_dask(self, simulate_one, t, prefix: _Prefix) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        shared = self.client.scatter(simulate_one, broadcast=True)
        width = 2 * max(len(self.client.scheduler_info().get("workers", {})), 1)
        futures = {
            self.client.submit(simulate_proposal, shared, self.seed, t, i, pure=False): i
            for i in range(width)
        }
        issued = width
        pending = as_completed(list(futures))
        try:
            for future in pending:
                index = futures.pop(future)
                yield index, future.result()
                if prefix.complete:
                    break
                new = self.client.submit(
                    simulate_proposal, shared, self.seed, t, issued, pure=False
                )
                futures[new] = issued
                issued += 1
                pending.add(new)
        finally:
            self.client.cancel(list(futures))


def _work(simulate_one, seed: int, t: int, tasks, done) -> None:
    """A worker process: simulate the proposals it is given until told to stop."""
    die_with_parent()
    while True:
        index = tasks.get()
        try:
            done.put((index, simulate_proposal(simulate_one, seed, t, index), None))
        except Exception:
            done.put((index, None, traceback.format_exc(limit=20)))


def _next_result(done, processes) -> tuple[int, Any, str | None]:
    """The next finished proposal; an error if a worker process died."""
    while True:
        try:
            return done.get(timeout=POLL_SECONDS)
        except queue.Empty:
            dead = [p for p in processes if not p.is_alive()]
            if dead:
                raise RuntimeError(
                    f"a calibration worker process ended unexpectedly (exit code "
                    f"{dead[0].exitcode})"
                ) from None
