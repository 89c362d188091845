"""Loaded by every Python process started with tests/faults_site on its PYTHONPATH: the
sweep tests' fault injection (tests/faults.py) for worker processes started afresh."""

import os

if any(name.startswith("TALENTSIM_TEST_") for name in os.environ):
    import faults

    faults.install()
