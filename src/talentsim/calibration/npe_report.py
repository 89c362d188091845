"""report.md and the coverage figure of a calibration by neural posterior estimation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.calibration.abc import CalibrationSetup
from talentsim.calibration.coverage import Coverage
from talentsim.calibration.report import (
    _plt,
    _save,
    fit_lines,
    posterior_lines,
    shared_file_lines,
)
from talentsim.render.style import label_map
from talentsim.storage.atomic import write_text

#: A re-fit is trusted when this share of its draws lies in the trained region.
REFIT_INSIDE = 0.95

_VERDICTS = {
    "overconfident": "**overconfident**: its intervals hold the true values less often than "
    "they claim; read its intervals as too narrow",
    "underconfident": "**underconfident**: its intervals hold the true values more often than "
    "they claim (conservative); they are wider than the simulations warrant",
    "calibrated": "**calibrated**: its intervals hold the true values about as often as they claim",
}


def support_table(stats: pd.DataFrame, observed: np.ndarray, keys: list[str]) -> pd.DataFrame:
    """Where each observed statistic falls among the training simulations' (a percentile).

    An observed value outside the simulations' range is one the model does not produce
    anywhere in the priors: the estimator extrapolates there and its posterior is not to be
    trusted on that statistic's account.
    """
    rows = []
    for key, value in zip(keys, observed, strict=True):
        column = stats[key].dropna().to_numpy()
        rows.append(
            {
                "statistic": key,
                "observed": float(value),
                "simulated_q01": float(np.quantile(column, 0.01)),
                "simulated_q99": float(np.quantile(column, 0.99)),
                "percentile": float((column < value).mean() + 0.5 * (column == value).mean()),
            }
        )
    return pd.DataFrame(rows)


def write_coverage_figure(folder: Path, coverage: Coverage) -> None:
    """coverage.png/svg: TARP's expected coverage, and each parameter's, against the diagonal."""
    plt = _plt()
    fig, (joint, marginal) = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax in (joint, marginal):
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="exact")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("credibility level")
        ax.set_ylabel("share of held-out simulations covered")
    joint.plot(coverage.tarp_alpha, coverage.tarp_ecp, color="C0", label="posterior (TARP)")
    joint.set_title(f"Joint (TARP): ATC {coverage.atc:+.3f}")
    joint.legend(loc="upper left", fontsize=8)
    table = coverage.per_parameter
    labels = label_map(list(dict.fromkeys(table["parameter"])))
    for key, rows in table.groupby("parameter", sort=False):
        marginal.plot(rows["level"], rows["coverage"], marker="o", linewidth=1, alpha=0.7)
        marginal.annotate(
            labels[key], (rows["level"].iloc[-1], rows["coverage"].iloc[-1]), fontsize=6
        )
    marginal.set_title(f"Each parameter's central intervals: {coverage.verdict}")
    fig.suptitle(f"Coverage on {coverage.held_out} simulations held out of training")
    fig.tight_layout()
    _save(fig, folder, "coverage")
    plt.close(fig)


#: How a ranking target conditions the estimator, by `npe.rank_statistic`.
_RANKINGS = {
    "sample": "whether a category ranks first in the sample",
    "probability": "the chance that a survey of the target's size ranks the category first",
}


def _coverage_lines(coverage: Coverage | None, rounds: int) -> list[str]:
    if coverage is None:
        return ["", "## Coverage", "", "No held-out simulations (`npe.held_out: 0`): unchecked."]
    rough = " (fewer than 100: a rough check)" if coverage.held_out < 100 else ""
    source = "the priors" if rounds == 1 else f"round {rounds}'s truncated priors"
    lines = [
        "",
        "## Coverage",
        "",
        f"On {coverage.held_out} simulations from {source} held out of training{rough}: the "
        f"posterior is {_VERDICTS[coverage.verdict]} (read from each parameter's 90 % "
        "intervals against their binomial noise). Jointly, TARP's area between the coverage "
        f"curve and the diagonal (ATC) is {coverage.atc:+.3f} (negative: overconfident; "
        f"positive: underconfident), Kolmogorov-Smirnov p = {coverage.ks_pvalue:.2f}.",
        "",
        "| parameter | 50 % interval covers | 90 % interval covers | 95 % interval covers |",
        "|---|---|---|---|",
    ]
    table = coverage.per_parameter.pivot(index="parameter", columns="level", values="coverage")
    for key in dict.fromkeys(coverage.per_parameter["parameter"]):
        row = table.loc[key]
        lines.append(f"| `{key}` | {row[0.5]:.2f} | {row[0.9]:.2f} | {row[0.95]:.2f} |")
    se = coverage.per_parameter.query("level == 0.9")["se"].iloc[0]
    lines += ["", f"(Binomial standard error of a 90 % coverage: {se:.3f}.)", ""]
    lines += ["![coverage](coverage.png)"]
    return lines


def _support_lines(support: pd.DataFrame) -> list[str]:
    outside = support[(support["percentile"] < 0.01) | (support["percentile"] > 0.99)]
    lines = [
        "",
        "## The observed statistics among the simulated ones",
        "",
        f"{len(support)} statistics condition the estimator. Each observed value's percentile "
        "among the training simulations' (drawn from the priors): one outside the 1-99 % "
        "range is one that the model rarely produces anywhere in the priors, where the "
        f"estimator extrapolates. Outside: {len(outside)}.",
        "",
        "| statistic | observed | simulations' 1 % to 99 % | percentile |",
        "|---|---|---|---|",
    ]
    for row in support.itertuples():
        lines.append(
            f"| `{row.statistic}` | {row.observed:.4g} | {row.simulated_q01:.4g} to "
            f"{row.simulated_q99:.4g} | {100 * row.percentile:.1f} |"
        )
    return lines


def _training_line(setup: CalibrationSetup, info: dict[str, Any]) -> str:
    settings = setup.config.npe
    if "reused" in info:
        line = (
            f"Amortised re-fit: the estimator trained in `{info['reused']}` conditioned on "
            f"these targets, with no new training simulation ({info['npe_seconds']:.0f} s)."
        )
        inside = info.get("inside_trained_region")
        if inside is not None:
            verdict = "valid" if inside >= REFIT_INSIDE else "**not to be trusted**"
            line += (
                f" {100 * inside:.1f} % of its posterior draws lie inside the region the "
                f"last round was trained on (the re-fit is {verdict}: an estimator "
                "trained on a truncated prior knows the posterior only inside that region)."
            )
        return line
    parts = []
    for stage, done in enumerate(info["rounds"], start=1):
        origin = (
            "the priors" if stage == 1 else f"the priors truncated to round {stage - 1}'s region"
        )
        parts.append(
            f"round {stage}: {done['run'] + done['stored_before']} simulations from {origin} "
            f"({done['run']} run now in {done['seconds']:.0f} s, {done['stored_before']} stored "
            f"before, {done['failed']} failed), an ensemble of {settings.ensemble} "
            f"{settings.estimator} estimators trained on {done['training_simulations']} of "
            f"them in {done['training_seconds']:.0f} s (epochs {done['epochs']})"
        )
    mass = info.get("region_prior_mass")
    region = f" The last round's region holds {100 * mass:.2f} % of the prior." if mass else ""
    return (
        f"Simulations of {setup.config.population:,} agents; "
        + "; ".join(parts)
        + f". The last {settings.held_out} of the last round are held out for coverage."
        + region
    )


def _method(setup: CalibrationSetup) -> str:
    if setup.config.npe.rounds == 1:
        return "one round from the priors (amortised over what they produce)"
    return (
        f"{setup.config.npe.rounds} rounds, each after the first from the priors truncated to "
        "the previous round's posterior region (truncated sequential NPE: valid for observed "
        "figures inside the last region)"
    )


def _refine_lines(setup: CalibrationSetup, refined: dict[str, Any] | None) -> list[str]:
    if refined is None:
        return []
    rank_penalty = setup.distance.rank_penalty
    return [
        "",
        "## Refinement",
        "",
        f"{refined['simulations']} simulations drawn from the estimator's posterior "
        f"({refined['run']} run now, {refined['stored_before']} stored before); the "
        f"{refined['kept']} closest by the ABC distance (at most "
        f"{refined['distance_threshold']:.2f}, against a median of "
        f"{refined['distance_median_all']:.2f} over all; rank penalty {rank_penalty:g}) are "
        "the posterior, weighted by prior over proposal density: effective sample size "
        f"{refined['effective_sample_size']:.0f}. The coverage checks below are the "
        "estimator's; the refined posterior is an ABC posterior at that threshold.",
    ]


def write_npe_report(
    folder: Path,
    setup: CalibrationSetup,
    summary: pd.DataFrame,
    fit: pd.DataFrame,
    coverage: Coverage | None,
    support: pd.DataFrame,
    info: dict[str, Any],
    command: str,
    draws: int,
) -> None:
    """report.md: settings, training, the posterior, coverage, support and the fit."""
    lines = [
        "# Calibration report (neural posterior estimation)",
        "",
        f"Command: `{command}`",
        "",
        f"Targets: `{setup.targets_path.name}` ({len(setup.targets)} rows). Free parameters: "
        f"{len(summary)}. Method: neural posterior estimation (sbi), {_method(setup)}.",
        "",
        _training_line(setup, info),
        "",
        "The estimator is conditioned on the statistics a survey reports (sample shares, and "
        f"{_RANKINGS[setup.config.npe.rank_statistic]}) and on the other targets' statistics; "
        "measures weighted 0 and those in `npe.leave_out` are left out.",
    ]
    lines += _refine_lines(setup, info.get("refine"))
    lines += posterior_lines(summary) + _coverage_lines(coverage, setup.config.npe.rounds)
    lines += _support_lines(support)
    lines += fit_lines(setup, fit, draws)
    lines += [
        "",
        "## Files",
        "",
        "- `simulations/`: the training and held-out simulations, a sweep (`talentsim "
        "calibrate ... --resume` continues it); its `runs.parquet` holds each run's "
        "statistics (`statistic:` columns)",
        "- `estimator.json`, `estimator_K.pt`: the trained ensemble (weights only); "
        "`talentsim calibrate ... --reuse DIR` conditions it on other targets",
        "- `posterior.parquet`, `posterior_summary.parquet`: posterior draws (equal weights) "
        "and their summary",
        *shared_file_lines("`posterior_marginals`, `posterior_pairs`, `fit`, `coverage`"),
    ]
    write_text(folder / "report.md", "\n".join(lines))
