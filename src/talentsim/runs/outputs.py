"""Where results go by default: one rule for every kind of result folder.

Runs get a fresh folder per invocation (``results/runs/<scenario>-<UTC time>``); sweeps,
sensitivity analyses and calibrations one per scenario hash, so that running the same
command again resumes (``results/sweeps/<scenario>-<hash>``,
``results/sweeps/<scenario>-<method>-<hash>``, ``results/calibrations/<scenario>-<hash>``);
comparisons one per invocation under ``results/comparisons``; a report of one folder goes
inside it (``<folder>/report``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from talentsim.scenario.loader import LoadedScenario

ROOT = Path("results")
FOLDERS = {"run": "runs", "sweep": "sweeps", "calibration": "calibrations"}


def safe_label(text: str) -> str:
    """A label fit for a folder name: letters, digits, '.', '-' and '_' (no '..')."""
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "result"
    return label.replace("..", "_")[:100]


def fresh_folder(base: Path) -> Path:
    """`base`, or `base-2`, `base-3`, ... if it exists."""
    candidate, k = base, 1
    while candidate.exists():
        k += 1
        candidate = base.with_name(f"{base.name}-{k}")
    return candidate


def stamp() -> str:
    """The UTC time as YYYYmmdd-HHMMSS (for folder names)."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")


def default_output(kind: str, loaded: LoadedScenario, suffix: str = "") -> Path:
    """The default folder of a run, sweep or calibration of `loaded` (suffix: e.g. a method).

    A run's is new at every call; the others are keyed by the scenario's hash, so that
    the same command finds its folder again and resumes.
    """
    name = safe_label(loaded.scenario.name)
    middle = f"-{suffix}" if suffix else ""
    if kind == "run":
        return fresh_folder(ROOT / FOLDERS[kind] / f"{name}{middle}-{stamp()}")
    return ROOT / FOLDERS[kind] / f"{name}{middle}-{loaded.hash[:12]}"


def default_comparison(labels: list[str]) -> Path:
    """results/comparisons/<baseline>-vs-<scenario>...-<UTC time>."""
    names = "-vs-".join(safe_label(label) for label in labels[:3])
    return fresh_folder(ROOT / "comparisons" / f"{names}-{stamp()}")


def default_score(label: str, targets: Path) -> Path:
    """results/scores/<scenario>-<targets file's stem>-<UTC time>."""
    return fresh_folder(
        ROOT / "scores" / f"{safe_label(label)}-{safe_label(targets.stem)}-{stamp()}"
    )


def default_report(folders: list[Path]) -> Path:
    """<folder>/report for one folder; results/reports/<names>-<time> for several."""
    if len(folders) == 1:
        return Path(folders[0]) / "report"
    names = "-".join(safe_label(Path(f).name) for f in folders[:3])
    return fresh_folder(ROOT / "reports" / f"{names}-{stamp()}")
