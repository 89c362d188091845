"""Running an effects study: every scenario's sweep over the draws, then the paired effects.

Layout of a study's folder::

    manifest.json   what the study is (scenarios, posterior, draws, replicates, seeds rule)
    draws.csv       the K posterior draws, in order (draw k = point k of every sweep)
    runs/<label>/   one sweep folder per scenario (the baseline's first), stored run by run
    effects.csv     every policy, outcome and year: median, 90 % interval, P(direction),
                    variance components (also effects.parquet)
    report.md       tables and fan charts (fan-<policy>.png, effects.png, and SVG)

The effects are computed from the sweeps' run rows only (runs.parquet: one row per run with
its outcomes by year), never from the time series, and for one policy at a time: what is
held is two scenarios' rows (8 bytes per run and outcome-year, about 2.2 KB a run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from talentsim.effects import analysis
from talentsim.effects.outcomes import HEADLINE, effect_outcomes, split_column
from talentsim.effects.plan import EffectsPlan
from talentsim.effects.report import write_outputs
from talentsim.model.capacity import check_memory
from talentsim.runs.executors import Executor
from talentsim.runs.provenance import manifest
from talentsim.runs.sweep import SweepReport, run_sweep
from talentsim.storage.atomic import write_json, write_text
from talentsim.storage.folders import folder_lock

DRAWS_FILE = "draws.csv"


@dataclass
class EffectsOutcome:
    """What a study did: each sweep's report and, if every run succeeded, the effects."""

    plan: EffectsPlan
    reports: dict[str, SweepReport] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    written: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Runs that failed, over every scenario."""
        return sum(len(r.failed) for r in self.reports.values())


def study_manifest(plan: EffectsPlan, files: list[str]) -> dict[str, Any]:
    """What the study is, for its folder's manifest.json."""
    return manifest(
        "effects",
        plan.baseline,
        study=plan.identity(),
        scenarios=[
            {"label": label, "scenario": s.scenario.name, "hash": s.hash, "files": s.files}
            for label, s in zip(plan.labels, [plan.baseline, *plan.scenarios], strict=True)
        ],
        posterior=plan.posterior_name,
        posterior_draws_held=plan.posterior.held,
        draws=plan.draws,
        replicates=plan.replicates,
        runs=plan.runs,
        seeds={
            "entropy": str(plan.entropy),
            "spawn_key": "(draw, replicate), the same for every scenario",
        },
        files=files,
    )


def run_effects(
    plan: EffectsPlan,
    executor: Executor,
    retries: int = 0,
    force: bool = False,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> EffectsOutcome:
    """Run what is not stored yet, then compute and write the effects.

    Returns:
        The outcome; its table is None if a run failed (nothing analysed then).
    """
    check_memory(plan.sweeps[0].largest, executor.local_runs, "an effects study's run")
    plan.folder.mkdir(parents=True, exist_ok=True)
    outcome = EffectsOutcome(plan)
    with folder_lock(plan.folder, "effects"):
        if not (plan.folder / "manifest.json").exists():
            write_text(plan.folder / DRAWS_FILE, plan.posterior.draws.to_csv(index=False))
            write_json(plan.folder / "manifest.json", study_manifest(plan, [DRAWS_FILE, "runs"]))
        for label, sweep in zip(plan.labels, plan.sweeps, strict=True):
            sweep.outcomes = effect_outcomes
            outcome.reports[label] = run_sweep(sweep, executor, retries, force, on_result)
        if outcome.failed:
            return outcome
        outcome.table, long = _effects(plan)
        context = {
            "draws": plan.draws,
            "replicates": plan.replicates,
            "posterior": plan.posterior_name,
        }
        outcome.written = write_outputs(outcome.table, long, plan.labels, plan.folder, context)
        names = sorted({DRAWS_FILE, "runs", *(p.name for p in outcome.written)})
        write_json(plan.folder / "manifest.json", study_manifest(plan, names))
    return outcome


def _effects(plan: EffectsPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The effects table and the headline pairs, reading one policy's rows at a time."""
    first = plan.labels[0]
    baseline = read_rows(plan.sweeps[0].folder)
    tables, longs = [], []
    for label, sweep in zip(plan.labels[1:], plan.sweeps[1:], strict=True):
        rows = {first: baseline, label: read_rows(sweep.folder)}
        tables.append(analysis.effects_table(rows, [first, label]))
        longs.append(analysis.paired_long(rows, [first, label], list(HEADLINE)))
    return pd.concat(tables, ignore_index=True), pd.concat(longs, ignore_index=True)


def read_rows(folder: Path) -> pd.DataFrame:
    """A sweep's run rows: point, replicate and the outcome columns only."""
    path = folder / "runs.parquet"
    names = pq.read_schema(path).names
    keep = ["point", "replicate", *(n for n in names if split_column(n))]
    return pd.read_parquet(path, columns=keep)
