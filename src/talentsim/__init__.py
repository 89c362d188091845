"""talentsim: an agent-based model of Chinese-born tech talent returning from the US."""

import os
from importlib.metadata import PackageNotFoundError, version

# The model's array passes are memory-bound and make no use of BLAS threads, which only
# spin and compete with the processes of a parallel sweep. One thread each, unless the
# user says otherwise (this takes effect when numpy has not been imported yet).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

try:
    __version__ = version("talentsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
