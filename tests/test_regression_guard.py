"""`make regression-update` refuses to re-pin the baseline over a broken rule."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_pin_is_not_rewritten_while_a_behavioural_test_fails(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for name in ("src", "tests", "experiments"):
        shutil.copytree(REPO / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    (copy / "scenarios").symlink_to("src/talentsim/data/scenarios")
    model = copy / "src" / "talentsim" / "model" / "model.py"
    text = model.read_text()
    assert '("remigration", remigrate),' in text
    model.write_text(text.replace('("remigration", remigrate),', '("remigration", type),'))
    pin = copy / "tests" / "regression" / "baseline_summary.json"
    before = pin.read_text()
    env = {**os.environ, "PYTHONPATH": str(copy / "src")}
    proc = subprocess.run(
        [sys.executable, str(copy / "tests" / "regression" / "update.py")],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "refusing to rewrite the regression baseline" in proc.stderr
    assert "test_returnees_come_back_through_the_remigration_stage" in proc.stdout
    assert pin.read_text() == before
