"""Rewrite the fixed-seed regression baseline (tests/regression/baseline_summary.json).

Run `make regression-update` only when a change is meant to alter results, and commit the
new file with a message that says why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from summary import regression_summary  # noqa: E402

if __name__ == "__main__":
    target = HERE / "baseline_summary.json"
    target.write_text(json.dumps(regression_summary(), indent=1, sort_keys=True) + "\n")
    print(f"rewrote {target}")
