"""Fault injection for the sweep tests: chosen runs fail, or kill their worker once.

Nothing of this is in talentsim: :func:`install` wraps ``talentsim.runs.sweep.run_one`` in
the processes that run sweeps. Tests call it (through the `faults` fixture) for runs in
their own process or forked from it; worker processes started afresh (Dask's) load it from
``tests/faults_site/sitecustomize.py``, which :func:`environment` puts on their PYTHONPATH.

- ``TALENTSIM_TEST_FAIL_RUNS="POINT:REPLICATE,..."``: those runs raise an error.
- ``TALENTSIM_TEST_KILL_WORKER_RUN="POINT:REPLICATE"`` with
  ``TALENTSIM_TEST_KILL_WORKER_MARKER=FILE``: the first time that run starts (no FILE yet),
  its worker process dies without a word.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

FAIL_RUNS = "TALENTSIM_TEST_FAIL_RUNS"
KILL_RUN = "TALENTSIM_TEST_KILL_WORKER_RUN"
KILL_MARKER = "TALENTSIM_TEST_KILL_WORKER_MARKER"
SITE = Path(__file__).resolve().parent / "faults_site"


def _inject(spec) -> None:
    wanted = f"{spec.point}:{spec.replicate}"
    if wanted in os.environ.get(FAIL_RUNS, "").split(","):
        raise RuntimeError(f"run {spec.label} fails on purpose ({FAIL_RUNS})")
    marker = os.environ.get(KILL_MARKER)
    if os.environ.get(KILL_RUN) == wanted and marker and not Path(marker).exists():
        Path(marker).write_text("killed once\n")
        os._exit(17)  # the worker process dies without a word


def install() -> None:
    """Wrap the sweep's run function so that it injects the faults the environment names."""
    from talentsim.runs import sweep

    if getattr(sweep.simulate_point, "faults", False):
        return
    original = sweep.simulate_point

    @functools.wraps(original)
    def with_faults(base, spec):
        _inject(spec)
        return original(base, spec)

    with_faults.faults = True
    sweep.simulate_point = with_faults


def environment(**variables: str) -> dict[str, str]:
    """Environment variables that make fresh worker processes install the faults too."""
    path = os.pathsep.join([str(SITE), str(SITE.parent), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path.rstrip(os.pathsep), **variables}
