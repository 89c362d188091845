"""`talentsim score`: a run or sweep folder set against a targets file.

Reads the folder (:mod:`.folders`), scores every run against every target
(:mod:`talentsim.evidence.score`) and writes score.csv, score.md and a manifest as one
folder, complete or not at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from talentsim.evidence.score import score, split_runs
from talentsim.evidence.targets import load_targets
from talentsim.extras import installed
from talentsim.render.console import table as make_table
from talentsim.render.documents import Document, write_document
from talentsim.render.score_figure import score_figure
from talentsim.reports.folders import Result, ResultError, load_result
from talentsim.runs.outputs import default_score
from talentsim.runs.provenance import manifest as provenance_manifest
from talentsim.storage.atomic import atomic_folder, write_json, write_text
from talentsim.storage.folders import check_output


@dataclass
class Score:
    """A folder's score: the table, what was scored, where it was written."""

    table: pd.DataFrame
    result: Result
    targets: Path
    folder: Path | None = None

    @property
    def within(self) -> tuple[int, int]:
        """Targets within their yardstick, and targets scored."""
        scored = self.table[self.table["runs"] > 0]
        return int(scored["within"].sum()), len(scored)


def score_folder(results: Path, targets: Path) -> Score:
    """Score a run or sweep folder (a posterior ensemble is a sweep) against a targets file.

    Raises:
        ResultError: If the folder is not a run or sweep folder.
        TargetsError: If the targets file cannot be used.
    """
    frame = load_targets(targets)
    result = load_result(results)
    if result.kind not in ("run", "sweep"):
        raise ResultError(
            f"{results} is a {result.kind} folder; score its runs instead: a run folder, or a "
            "sweep folder (for a calibration, `talentsim sweep FOLDER/posterior_sample.yaml` "
            "runs its posterior ensemble)"
        )
    runs = split_runs(result.annual, result.survey, result.cohorts)
    return Score(score(runs, frame), result, Path(targets))


def write_score(score_: Score, out: Path | None = None) -> Path:
    """Write score.csv, score.md and manifest.json as one folder; return it."""
    out = out or default_score(score_.result.label, score_.targets)
    check_output(out, "score", "replace", whole=True)
    with atomic_folder(out) as tmp:
        write_text(tmp / "score.csv", score_.table.to_csv(index=False))
        doc = Document(f"{score_.result.label} against {score_.targets.name}")
        within, scored = score_.within
        doc.text(
            f"Folder `{score_.result.path}` ({_runs_text(score_)}); targets `{score_.targets}`. "
            f"{within} of {scored} targets within their yardstick. " + METHOD
        )
        figures = []
        if installed("reports"):
            figures = [score_figure(score_.table, tmp, doc.title)]
            doc.figure(figures[0])
        else:
            doc.text(
                "No figure: the 'reports' extra is not installed "
                "(pip install 'talentsim[reports]')."
            )
        doc.table(display_table(score_.table), "Simulated (median and 5-95 % over runs).")
        md = write_document(doc, tmp, "md", stem="score")
        manifest = provenance_manifest(
            "score",
            results=str(score_.result.path),
            targets=str(score_.targets),
            targets_sha256=hashlib.sha256(score_.targets.read_bytes()).hexdigest(),
            within=within,
            scored=scored,
            files=sorted(
                ["score.csv", md.name, *(f.name for x in figures for f in (x.png, x.svg))]
            ),
        )
        write_json(tmp / "manifest.json", manifest)
    score_.folder = out
    return out


METHOD = (
    "Shares, ratios and retentions with a sample size: error in the observed figure's "
    "binomial standard errors (within: 2). Flows and stocks: relative error (within: the "
    "tolerance). Growth rates, and ratios or retentions with a tolerance: difference (within: "
    "the tolerance). Rankings: share of runs ranking as observed (within: at least half)."
)


def _runs_text(score_: Score) -> str:
    annual = score_.result.annual
    keys = [k for k in ("point", "replicate") if k in annual.columns]
    return f"{len(annual[keys].drop_duplicates())} runs"


def _number(value: float, kind: str) -> str:
    if pd.isna(value):
        return "-"
    if kind in ("flow", "stock"):
        return f"{value:,.0f}"
    return f"{value:.3f}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The score table as text cells: target, simulated, observed, error, within."""
    rows = []
    for r in table.itertuples(index=False):
        simulated = _number(r.median, r.kind)
        if r.kind != "rank" and r.runs:
            simulated += f" ({_number(r.q05, r.kind)}-{_number(r.q95, r.kind)})"
        rows.append(
            {
                "id": r.id,
                "split": r.split,
                "target": r.target,
                "simulated": simulated,
                "observed": _number(r.observed, r.kind),
                "error": "-" if pd.isna(r.error) else f"{r.error:+.2f} {_unit(r.error_unit)}",
                "within": "yes" if r.within else ("no" if r.runs else "no run"),
            }
        )
    return pd.DataFrame(rows)


def _unit(unit: str) -> str:
    return {"relative": "rel.", "absolute": "abs.", "SE": "SE"}.get(unit, "of runs not so")


def print_score(score_: Score, console: object) -> None:
    """Print the score table."""
    shown = display_table(score_.table)
    within, scored = score_.within
    table = make_table(
        f"{score_.result.label} against {score_.targets.name}: {within} of {scored} within",
        list(shown.columns),
        ["id", "split", "target"],
    )
    for row in shown.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console.print(table)  # type: ignore[attr-defined]
