"""Where the runs of a sweep execute: in this process, a local process pool, or Dask.

Every executor takes the same task function and argument list and yields results as they
finish, in any order; nothing about a run's result depends on where or when it ran (its
random streams come from its own seed sequence).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from talentsim.errors import TalentsimError
from talentsim.extras import require
from talentsim.runs.processes import die_with_parent


class Executor(Protocol):
    """Runs tasks and yields (task, result) pairs as they finish."""

    description: str
    shares_files: bool  # whether tasks can write to the caller's folders
    local_runs: int  # runs in this machine's memory at once (0: on other machines)

    def run(
        self, function: Callable[..., Any], shared: Any, tasks: Sequence[Any]
    ) -> Iterator[tuple[Any, Any]]:
        """Call function(shared, task) for each task."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


class InProcess:
    """Run tasks one after another in this process."""

    description = "in this process"
    shares_files = True
    local_runs = 1

    def run(self, function, shared, tasks):  # noqa: D102
        for task in tasks:
            yield task, function(shared, task)

    def close(self) -> None:  # noqa: D102
        pass


_END = object()  # no more tasks


def _ready() -> bool:
    return True


def _single_threaded() -> bool:
    """Whether this process runs one OS thread (libraries such as pyarrow start their own)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # not Linux: assume not
        return False


class LocalPool:
    """A pool of worker processes on this machine.

    The pool starts at once, forked from this process if it runs no other thread (so the
    workers start in milliseconds, with the model already imported), otherwise, like a pool
    rebuilt after a worker died, from a fork server. Workers end with this process
    (:func:`talentsim.runs.processes.die_with_parent`). At most two
    tasks per worker are in flight, so that results do not pile up in memory. If a worker
    process dies, the unfinished tasks are submitted again.
    """

    shares_files = True

    def __init__(self, workers: int) -> None:
        """Start `workers` processes and wait until they are ready."""
        self.workers = workers
        self.local_runs = workers
        self.description = f"{workers} local worker processes"
        method = "fork" if _single_threaded() else "forkserver"
        self._pool: ProcessPoolExecutor | None = self._new_pool(method)
        for future in [self._pool.submit(_ready) for _ in range(workers)]:
            future.result()

    def _new_pool(self, method: str = "forkserver") -> ProcessPoolExecutor:
        context = multiprocessing.get_context(method)
        if method == "forkserver":  # the server imports the model once; workers fork from it
            context.set_forkserver_preload(
                ["talentsim.runs.forkserver_guard", "talentsim.runs.sweep"]
            )
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=die_with_parent
        )

    def run(self, function, shared, tasks):  # noqa: D102
        pending = iter(tasks)  # taken lazily: the calibration's stream of proposals is endless
        retry: list[Any] = []  # tasks of a worker that died, to run again
        running: dict[Future, Any] = {}
        breakages = 0  # pool failures in a row without a finished task
        try:
            while True:
                self._pool = self._pool or self._new_pool()
                try:
                    while True:
                        while len(running) < 2 * self.workers:
                            task = retry.pop() if retry else next(pending, _END)
                            if task is _END:
                                break
                            running[self._pool.submit(function, shared, task)] = task
                        if not running:
                            return
                        done, _ = wait(running, return_when=FIRST_COMPLETED)
                        for future in done:
                            task = running.pop(future)
                            result = future.result()
                            breakages = 0
                            yield task, result
                except BrokenProcessPool as err:
                    retry.extend(running.values())  # a worker died: run these again
                    running.clear()
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
                    breakages += 1
                    if breakages >= 3:  # workers die before finishing anything: give up
                        for task in itertools.chain(reversed(retry), pending):
                            yield task, err
                        return
        finally:
            for future in running:  # the caller stopped early: drop what has not started
                future.cancel()

    def close(self) -> None:  # noqa: D102
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskCluster:
    """Tasks on a Dask cluster (a scheduler address), or on a LocalCluster started here.

    The scheduler re-runs the tasks of a worker that dies elsewhere; a task that keeps
    killing workers ends as an error, which is reported like any failed run.
    """

    shares_files = False  # workers may be on other machines: results come back

    def __init__(self, address: str | None = None, local_workers: int | None = None) -> None:
        """Connect to `address`, or start a LocalCluster of `local_workers` processes."""
        require("cluster", "a Dask backend (--scheduler, --dask-local)")
        from distributed import Client, LocalCluster

        self._cluster = None
        self.local_runs = 0
        if address is None:
            self.local_runs = local_workers or 1
            self._cluster = LocalCluster(
                n_workers=local_workers or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self.client = Client(self._cluster)
            self.description = f"a local Dask cluster of {local_workers} worker processes"
        else:
            self.client = Client(address)
            self.description = f"the Dask cluster at {address}"

    def run(self, function, shared, tasks):  # noqa: D102
        from distributed import as_completed

        shared_future = self.client.scatter(shared, broadcast=True)
        pending = iter(tasks)  # taken lazily, a few per worker in flight
        width = max(2 * len(self.client.scheduler_info().get("workers", {})), 16)
        futures: dict[Any, Any] = {}

        def submit(task: Any) -> Any:
            future = self.client.submit(function, shared_future, task, pure=False)
            futures[future] = task
            return future

        finished = as_completed([submit(task) for task in itertools.islice(pending, width)])
        try:
            for future in finished:
                task = futures.pop(future)
                try:
                    result = future.result()
                except Exception as err:  # the task killed its workers or could not run
                    result = err
                future.release()
                following = next(pending, _END)
                if following is not _END:
                    finished.add(submit(following))
                yield task, result
        finally:
            if futures:
                self.client.cancel(list(futures))

    def close(self) -> None:  # noqa: D102
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def check_backend(workers: int | None, scheduler: str | None, dask_local: int | None) -> None:
    """Refuse contradictory backend options.

    Raises:
        TalentsimError: For both --scheduler and --dask-local, or --workers with Dask.
    """
    if scheduler and dask_local:
        raise TalentsimError("give either --scheduler or --dask-local, not both")
    if workers is not None and (scheduler or dask_local):
        raise TalentsimError("--workers is for local processes; with Dask, size the cluster")
    if scheduler or dask_local:
        require("cluster", "a Dask backend (--scheduler, --dask-local)")


def make_executor(
    workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None
) -> Executor:
    """The executor for these options: a Dask scheduler, a local Dask cluster, or processes.

    Args:
        workers: Local worker processes (default: every core; 1 runs in this process).
        scheduler: Address of a Dask scheduler (tcp://host:port).
        dask_local: Start a local Dask cluster of this many worker processes.

    Raises:
        TalentsimError: For contradictory options or a scheduler that cannot be reached.
    """
    check_backend(workers, scheduler, dask_local)
    if scheduler:
        try:
            return DaskCluster(address=scheduler)
        except (OSError, TimeoutError) as err:
            raise TalentsimError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
    if dask_local:
        return DaskCluster(local_workers=dask_local)
    workers = workers or os.cpu_count() or 1
    return InProcess() if workers == 1 else LocalPool(workers)


def local_runs(workers: int | None, scheduler: str | None, dask_local: int | None) -> int:
    """Runs held in this machine's memory at once with these options (0: elsewhere)."""
    if scheduler:
        return 0
    return dask_local or workers or os.cpu_count() or 1


def execute(
    plans: Sequence[Any], backend: tuple[int | None, str | None, int | None], work: Callable
) -> Any:
    """`work(executor)` on the backend (workers, scheduler, dask_local), closed afterwards.

    First checks the options, and that each plan's largest run fits in memory as many times
    as the backend runs at once here.

    Raises:
        TalentsimError: For contradictory options or runs that would not fit.
    """
    from talentsim.model.capacity import check_memory

    check_backend(*backend)
    for plan in plans:
        if plan.largest is not None:
            check_memory(plan.largest, local_runs(*backend), "a sweep's run")
    executor = make_executor(*backend)
    try:
        return work(executor)
    finally:
        executor.close()
