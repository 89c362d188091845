"""Running a calibration end to end: folder, lock, sampler, pyabc's log, resume, outputs.

:func:`calibrate` is what `talentsim calibrate` and the Python API call: it checks the
output folder (new, or a calibration to resume), holds its lock, runs ABC-SMC on this
machine or a Dask cluster with one client for both the sampler and the predictive check,
and writes every output with a manifest that records each invocation (a resume included).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from talentsim.calibration import abc as cal
from talentsim.calibration.training import SIMULATIONS
from talentsim.extras import require
from talentsim.model.capacity import check_memory
from talentsim.runs.executors import DaskCluster, Executor, InProcess, LocalPool
from talentsim.scenario.loader import LoadedScenario
from talentsim.storage.atomic import write_json
from talentsim.storage.folders import OutputError, check_output, folder_kind, folder_lock

#: The manifest of a calibration in progress, replaced by the full one at the end.
MANIFEST = "manifest.json"


def default_folder(loaded: LoadedScenario) -> Path:
    """results/calibrations/<scenario>-<hash>."""
    return Path("results/calibrations") / f"{loaded.scenario.name}-{loaded.hash[:12]}"


def check_folder(folder: Path, resume: bool, method: str = "abc") -> None:
    """A new calibration needs a new or empty folder; a resume needs what it continues.

    ABC-SMC continues its history, NPE its training simulations.

    Raises:
        OutputError: Otherwise.
    """
    if resume:
        needed = cal.HISTORY if method == "abc" else f"{SIMULATIONS}/manifest.json"
        if not (folder / needed).is_file():
            raise OutputError(f"there is no calibration to resume in {folder} (no {needed})")
        check_output(folder, "calibration", "reuse")
        if folder_kind(folder) != "calibration":
            raise OutputError(f"{folder} holds no talentsim calibration to resume")
        return
    check_output(
        folder, "calibration", "new", hint="pass --resume to continue it, or choose another --out"
    )


@contextlib.contextmanager
def generation_log(emit: Callable[[str], None] | None) -> Iterator[None]:
    """Replace pyabc's log lines by one line per generation, sent to `emit`."""
    logger = logging.getLogger("ABC")
    saved = logger.handlers[:], logger.level, logger.propagate
    logger.handlers = [cal.GenerationLog(emit or (lambda line: None))]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.handlers, _, logger.propagate = saved
        logger.setLevel(saved[1])


def _executor(workers: int, scheduler: str | None) -> Executor:
    if scheduler:
        try:
            return DaskCluster(address=scheduler)
        except (OSError, TimeoutError) as err:
            raise OutputError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
    return InProcess() if workers == 1 else LocalPool(workers)


def _invocations(folder: Path, first: int, started: dt.datetime) -> list[dict[str, Any]]:
    """Earlier invocations (from the manifest in progress) and this one."""
    earlier: list[dict[str, Any]] = []
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        earlier = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["invocations"]
    command = "talentsim " + " ".join(sys.argv[1:]) if sys.argv else "talentsim calibrate"
    mine = {
        "started_utc": started.isoformat(timespec="seconds"),
        "first_generation": first,
        "command": command,
    }
    return [*earlier[:100], mine]


def _first_generation(history_file: Path) -> int:
    """The generation a resumed calibration starts with (after the history's last)."""
    import pyabc

    try:
        return int(pyabc.History(f"sqlite:///{history_file}", _id=1).max_t) + 1
    except Exception:  # sqlite, SQLAlchemy or pyabc: whatever the file is, it is not a history
        raise OutputError(
            f"{history_file} is not the history of a talentsim calibration; it is not used"
        ) from None


def calibrate(
    loaded: LoadedScenario,
    targets: str | None = None,
    folder: Path | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    log: Callable[[str], None] | None = None,
    reuse: Path | None = None,
) -> tuple[dict[str, Any], Path]:
    """Calibrate a scenario's free parameters (ABC-SMC or NPE) and write every output.

    Args:
        loaded: The scenario, with its `calibration:` block.
        targets: A targets file or talentsim:NAME instead of the block's.
        folder: Output folder (default :func:`default_folder`).
        workers: Local worker processes (ignored with `scheduler`).
        scheduler: Address of a Dask scheduler to simulate on.
        resume: Continue the history in `folder`.
        log: Receives progress lines (ABC: one per generation).
        reuse: NPE only: a calibration folder whose trained estimator is conditioned on
            these targets instead of training one.

    Returns:
        The results (posterior summary, fit, generations) and the folder.

    Raises:
        TalentsimError: For bad input, an unusable folder, or a folder in use.
    """
    setup = cal.prepare(loaded, targets)
    method, reused = setup.config.method, None
    if method == "npe":
        require("npe", "calibration.method: npe (neural posterior estimation)")
        from talentsim.calibration import npe_run

        npe_run.check_settings(setup)
        if reuse is not None and not resume:
            reused = npe_run.load_reuse(loaded, setup, Path(reuse))
    elif reuse is not None:
        raise cal.CalibrationError(
            "--reuse", "only a calibration with `calibration.method: npe` reuses an estimator"
        )
    if reuse is not None and resume:
        raise cal.CalibrationError("--reuse", "a re-fit has nothing to resume: drop --resume")
    folder = Path(folder or default_folder(loaded))
    check_folder(folder, resume, method)
    check_memory(setup.simulator.base, 0 if scheduler else workers, "a calibration simulation")
    started = dt.datetime.now(dt.UTC)
    with folder_lock(folder, "calibration"), generation_log(log):
        history_file = folder / cal.HISTORY
        first = _first_generation(history_file) if resume and method == "abc" else 0
        invocations = _invocations(folder, first, started)
        write_json(
            folder / MANIFEST,
            {"kind": "calibration", "complete": False, "invocations": invocations},
        )
        executor = _executor(workers, scheduler)
        try:
            if method == "npe":
                timing = {
                    "started_utc": started.isoformat(timespec="seconds"),
                    "workers": "dask " + scheduler if scheduler else workers,
                    "invocations": invocations,
                }
                command = invocations[-1]["command"]
                results = npe_run.calibrate_npe(
                    loaded, setup, folder, executor, command, timing, reused, log
                )
                return results, folder
            sampler = cal.make_sampler(setup.config.abc.seed, executor)
            clock = time.perf_counter()
            history = cal.run_abc(setup, folder, sampler, resume)
            timing = {
                "started_utc": started.isoformat(timespec="seconds"),
                "abc_seconds": time.perf_counter() - clock,
                "simulations": cal.simulations_from(history, first),
                "workers": "dask " + scheduler if scheduler else workers,
                "invocations": invocations,
                "resumed": len(invocations) > 1,
            }
            from talentsim.calibration.posterior import write_outputs

            command = invocations[-1]["command"]
            results = write_outputs(setup, history, loaded, folder, executor, command, timing)
        finally:
            executor.close()
    return results, folder
