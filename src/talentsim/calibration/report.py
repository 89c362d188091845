"""Figures and report.md of a calibration (seaborn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.calibration.abc import CalibrationSetup
from talentsim.render.style import label_map
from talentsim.storage.atomic import write_text, write_with


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pairs_figure(
    plt: Any, draws: pd.DataFrame, keys: list[str], bounds: dict[str, tuple[float, float]]
) -> Any:
    """A corner plot of the draws: histograms on the diagonal, pairs below it.

    Drawn with plain matplotlib (seaborn's pairplot took about 8 s for 14 parameters, most
    of a re-fit's figures).
    """
    labels, k = label_map(keys), len(keys)
    size = min(1.6 * k, 24)
    fig, axes = plt.subplots(k, k, figsize=(size, size), squeeze=False)
    for i, row in enumerate(keys):
        for j, column in enumerate(keys):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                ax.hist(draws[row], bins=20, range=bounds[row], color="C0")
                ax.set_yticks([])
            else:
                ax.scatter(draws[column], draws[row], s=6, alpha=0.4, color="C0", linewidths=0)
                ax.set_ylim(*bounds[row])
            ax.set_xlim(*bounds[column])
            ax.tick_params(labelsize=6)
            if i < k - 1:
                ax.set_xticklabels([])
            else:
                ax.set_xlabel(labels[column], fontsize=7, rotation=30, ha="right")
            if j > 0 or i == 0:
                ax.set_yticklabels([])
            else:
                ax.set_ylabel(labels[row], fontsize=7)
    fig.suptitle("Posterior pairs (weighted resample; axes: the prior's 99 % range)")
    fig.subplots_adjust(hspace=0.08, wspace=0.08, top=0.96)
    return fig


def _save(fig: Any, folder: Path, stem: str) -> None:
    for suffix in ("png", "svg"):
        write_with(
            folder / f"{stem}.{suffix}",
            lambda tmp, s=suffix: fig.savefig(tmp, dpi=120, bbox_inches="tight", format=s),
        )


def write_figures(
    folder: Path,
    posterior: pd.DataFrame,
    keys: list[str],
    bounds: dict[str, tuple[float, float]],
    fit: pd.DataFrame,
) -> None:
    """posterior_marginals, posterior_pairs and fit, as PNG and SVG."""
    import seaborn as sns

    plt = _plt()
    sns.set_theme(style="whitegrid", context="paper")
    cols = min(3, len(keys))
    rows = int(np.ceil(len(keys) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    labels = label_map(keys)
    for ax, key in zip(axes.flat, keys, strict=False):
        sns.histplot(
            x=posterior[key],
            weights=posterior["weight"],
            bins=20,
            stat="density",
            kde=len(posterior) > 5,
            ax=ax,
            color="C0",
        )
        ax.set_xlim(*bounds[key])
        ax.set_title(labels[key], fontsize=9)
        ax.set_xlabel("value (prior's 99 % range on the axis)")
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_visible(False)
    fig.suptitle("Posterior marginals (last generation, weighted)")
    fig.tight_layout()
    _save(fig, folder, "posterior_marginals")
    plt.close(fig)

    rng = np.random.default_rng(0)
    draws = posterior.iloc[
        rng.choice(len(posterior), size=min(400, 4 * len(posterior)), p=posterior["weight"])
    ][keys].reset_index(drop=True)  # resampled rows repeat index labels, which seaborn refuses
    pairs = pairs_figure(plt, draws, keys, bounds)
    _save(pairs, folder, "posterior_pairs")
    plt.close(pairs)

    shares = fit[fit["kind"] == "share"].reset_index(drop=True)
    labels = [f"{r.category} ({r.year})" for r in shares.itertuples()]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(shares) + 1.5))
    y = np.arange(len(shares))
    ax.errorbar(
        shares["target"],
        y + 0.15,
        xerr=1.96 * shares["se"],
        fmt="s",
        color="black",
        label="survey, ± 1.96 standard errors",
        capsize=3,
    )
    ax.errorbar(
        shares["simulated_median"],
        y - 0.15,
        xerr=[
            shares["simulated_median"] - shares["simulated_q05"],
            shares["simulated_q95"] - shares["simulated_median"],
        ],
        fmt="o",
        color="C1",
        label="simulated, median and 90 % predictive interval",
        capsize=3,
    )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("share of surveyed returnees")
    ax.set_title("Fit: virtual survey against the returnee surveys")
    ax.legend(loc="lower right", fontsize=7)
    _save(fig, folder, "fit")
    plt.close(fig)


def _percent(value: float) -> str:
    return "" if pd.isna(value) else f"{100 * value:.1f} %"


def _rank_term(statistic: str) -> str:
    if statistic == "probability":
        return (
            "times, for each ranking, the chance that a survey of the same size from the "
            "simulated returnees does not rank the category first"
        )
    return "for each ranking the simulation gets wrong"


def _share_term(statistic: str) -> str:
    if statistic == "population":
        return "share among the returnees the survey samples from"
    return "survey's share"


def _acceptance_stop(rate: float) -> str:
    return f" or below {rate:.0%} acceptance" if rate else ""


def write_report(
    folder: Path,
    setup: CalibrationSetup,
    summary: pd.DataFrame,
    fit: pd.DataFrame,
    populations: pd.DataFrame,
    command: str,
    draws: int,
) -> None:
    """report.md: settings, the posterior, and the fit target by target."""
    abc = setup.config.abc
    generations = populations[populations["t"] >= 0]
    lines = [
        "# Calibration report",
        "",
        f"Command: `{command}`",
        "",
        f"Targets: `{setup.targets_path.name}` ({len(setup.targets)} rows). Free parameters: "
        f"{len(summary)}. ABC-SMC (pyabc): {abc.population_size} particles, "
        f"{len(generations)} generations (of at most {abc.generations}), final epsilon "
        f"{generations['epsilon'].iloc[-1]:.3g} standard errors (stop at {abc.min_epsilon:g}"
        f"{_acceptance_stop(abc.min_acceptance_rate)}); "
        f"{int(generations['samples'].sum())} simulations of "
        f"{setup.config.population:,} agents.",
        "",
        "The distance is sqrt(sum w z^2 / sum w) over the share targets, z being the miss "
        f"of the simulated {_share_term(abc.share_statistic)} in the target's binomial "
        "standard error, plus "
        f"{abc.rank_penalty:g} {_rank_term(abc.rank_statistic)}.",
        "",
        "## Generations",
        "",
        "| generation | epsilon | simulations | acceptance rate | effective sample size |",
        "|---|---|---|---|---|",
    ]
    for row in generations.itertuples():
        rate = row.particles / row.samples if row.samples else float("nan")
        lines.append(
            f"| {row.t} | {row.epsilon:.3g} | {row.samples} | {rate:.2f} | {row.ess:.0f} |"
        )
    lines += posterior_lines(summary) + fit_lines(setup, fit, draws)
    lines += [
        "",
        "## Files",
        "",
        "- `history.db`: pyabc's history (SQLite); `talentsim calibrate ... --resume` continues it",
        "- `posterior.parquet`, `posterior_summary.parquet`: the last generation's weighted "
        "particles and their summary",
        *shared_file_lines("`posterior_marginals`, `posterior_pairs`, `fit`"),
    ]
    write_text(folder / "report.md", "\n".join(lines))


def shared_file_lines(figures: str) -> list[str]:
    """report.md's list of the outputs every method writes, and the two figures shown."""
    return [
        "- `calibrated.yaml`: the scenario with the posterior means",
        "- `posterior_sample.csv`, `posterior_sample.yaml`: posterior draws; `talentsim sweep "
        "posterior_sample.yaml` runs them as an ensemble",
        "- `predictive.parquet`, `fit.parquet`: the posterior predictive check above",
        f"- figures: {figures} (PNG and SVG)",
        "",
        "![fit](fit.png)",
        "",
        "![posterior marginals](posterior_marginals.png)",
        "",
    ]


def posterior_lines(summary: pd.DataFrame) -> list[str]:
    """report.md's posterior table."""
    lines = [
        "",
        "## Posterior",
        "",
        "| parameter | mean (calibrated.yaml) | median | 5 % | 95 % |",
        "|---|---|---|---|---|",
    ]
    for row in summary.itertuples():
        lines.append(
            f"| `{row.parameter}` | {row.mean:.4g} | {row.median:.4g} | {row.q05:.4g} "
            f"| {row.q95:.4g} |"
        )
    return lines


def fit_lines(setup: CalibrationSetup, fit: pd.DataFrame, draws: int) -> list[str]:
    """report.md's fit tables: shares, rankings and the other kinds."""
    lines = [
        "",
        f"## Fit ({len(setup.targets)} targets; {draws} posterior draws, one run each)",
        "",
        "| year | measure | category | survey | ± 1.96 SE | simulated median | 90 % interval "
        "| error (SE) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in fit[fit["kind"] == "share"].itertuples():
        lines.append(
            f"| {row.year} | {row.measure} | {row.category} | {_percent(row.target)} | "
            f"{_percent(1.96 * row.se)} | {_percent(row.simulated_median)} | "
            f"{_percent(row.simulated_q05)} to {_percent(row.simulated_q95)} | "
            f"{row.error_in_se:+.1f} |"
        )
    ranks = fit[fit["kind"] == "rank"]
    if not ranks.empty:
        lines += [
            "",
            "| year | ranked first in the survey | share of runs where it is first |",
            "|---|---|---|",
        ]
        for row in ranks.itertuples():
            lines.append(
                f"| {row.year} | {row.category} | {_percent(row.share_of_runs_ranked_first)} |"
            )
    others = fit[~fit["kind"].isin(["share", "rank"])]
    if not others.empty:
        lines += [
            "",
            "| year | kind | measure | observed | tolerance | simulated median | 90 % interval "
            "| error (tolerances) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in others.itertuples():
            lines.append(
                f"| {row.year} | {row.kind} | {row.measure} | {row.target:.4g} | {row.se:.3g} | "
                f"{row.simulated_median:.4g} | {row.simulated_q05:.4g} to "
                f"{row.simulated_q95:.4g} | {row.error_in_se:+.1f} |"
            )
    return lines
