"""Rewrite the fixed-seed regression baseline (tests/regression/baseline_summary.json).

Run `make regression-update` only when a change is meant to alter results, and commit the
new file with a message that says why. It refuses to rewrite the pin unless the behavioural
tests pass first: a pin re-written over a broken rule would hide the bug it should reveal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path.insert(0, str(HERE))

from summary import regression_summary  # noqa: E402

#: The tests of the model's behaviour: rules, invariants, the survey, decisions, the oracle.
BEHAVIOURAL = [
    "test_rules.py",
    "test_model_invariants.py",
    "test_survey.py",
    "test_decision_factors.py",
    "test_timeline.py",
    "test_agents.py",
    "test_reproducibility.py",
    "test_oracle.py",
]
PIN = "test_reproducibility.py::test_fixed_seed_regression_baseline"


def behavioural_tests_pass() -> bool:
    """Run the behavioural tests (all but the pin itself); True if they pass."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        *(str(TESTS / name) for name in BEHAVIOURAL),
        "--deselect",
        f"tests/{PIN}",  # a node id, relative to the root (an absolute path does not match)
    ]
    print("running the behavioural tests first:", " ".join(BEHAVIOURAL))
    return subprocess.run(command, cwd=TESTS.parent).returncode == 0


def main() -> int:
    """Check the behaviour, then rewrite the pin; 1 if the behaviour is broken."""
    if not behavioural_tests_pass():
        print(
            "refusing to rewrite the regression baseline: the behavioural tests fail. Fix "
            "them first; the pin must not absorb a broken rule.",
            file=sys.stderr,
        )
        return 1
    target = HERE / "baseline_summary.json"
    target.write_text(json.dumps(regression_summary(), indent=1, sort_keys=True) + "\n")
    print(f"rewrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
