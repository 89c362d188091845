"""talentsim: an agent-based model of Chinese-born tech talent returning from the US.

The Python API (see the README's "Python API")::

    import talentsim
    result = talentsim.run("h1b_tightening", {"population.agents": 5000, "replicates": 3})
    result.annual          # pandas: one row per replicate and year
    result.survey          # the virtual survey's figures
    sweep = talentsim.sweep("experiments/smoke_sweep.yaml", workers=2)
    sweep.runs             # one row per run of the sweep
    talentsim.load_result("results/runs/baseline-...").annual

Names are imported when first used, so that `import talentsim` (and the command line)
start fast.
"""

import os
from importlib import import_module
from typing import Any

# The model's array passes are memory-bound and make no use of BLAS threads, which only
# spin and compete with the processes of a parallel sweep. One thread each, unless the
# user says otherwise (this takes effect when numpy has not been imported yet).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
# pyarrow's allocator (jemalloc) starts a background thread when imported; without it (and
# the BLAS threads) the process stays single-threaded until it reads a Parquet file, so a
# local worker pool is forked with the model already imported instead of started from a
# fork server that imports it again (about 1.3 s; runs/executors.py).
os.environ.setdefault("JE_ARROW_MALLOC_CONF", "background_thread:false")

#: Public name -> the module that defines it.
_EXPORTS = {
    "load": "talentsim.api",
    "run": "talentsim.api",
    "plan_sweep": "talentsim.api",
    "sweep": "talentsim.api",
    "calibrate": "talentsim.api",
    "sensitivity": "talentsim.api",
    "effects": "talentsim.api",
    "discover": "talentsim.api",
    "ema": "talentsim.discovery.ema_model",
    "load_result": "talentsim.api",
    "report": "talentsim.api",
    "compare": "talentsim.api",
    "Scenario": "talentsim.scenario.schema",
    "LoadedScenario": "talentsim.scenario.loader",
    "load_scenario": "talentsim.scenario.loader",
    "TalentModel": "talentsim.model.model",
    "RunResult": "talentsim.runs.runner",
    "simulate": "talentsim.runs.replicate",
    "score": "talentsim.api",
    "TalentsimError": "talentsim.errors",
}

__all__ = ["__version__", *_EXPORTS]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("talentsim")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read when asked: importlib.metadata costs 70 ms at start-up
        globals()["__version__"] = value = _version()
        return value
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'talentsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
