"""The files of a sensitivity analysis: tables (Parquet, CSV, Markdown), figure, summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from talentsim.render.console import table as make_table
from talentsim.render.documents import markdown_table
from talentsim.render.figures import pyplot, save
from talentsim.render.style import label_map
from talentsim.sensitivity.analysis import (
    CONFIDENCE,
    CONVERGENCE_INDICES,
    INDICES,
    MORRIS_LEVELS,
    RESAMPLES,
    SensitivityResult,
)
from talentsim.storage.atomic import write_json, write_parquet, write_text

METHOD_TEXT = {
    "sobol": "Sobol indices: first order S1 and total ST (Saltelli's scheme over a scrambled "
    "Sobol sequence, Jansen's estimators, no second order)",
    "morris": f"Morris elementary effects on {MORRIS_LEVELS} levels: mu* (their mean absolute "
    "value) and sigma (their standard deviation, a sign of interactions or non-linearity), in "
    "the outcome's units per whole range of the parameter",
}


def write_outputs(result: SensitivityResult, folder: Path) -> list[Path]:
    """Write the sample, tables, figure, sensitivity.md and sensitivity.json to the folder.

    Returns:
        The files written.
    """
    plan = result.plan
    keys = list(plan.problem.keys)
    sample = pd.DataFrame(plan.sample, columns=keys)
    sample.to_csv(folder / plan.sweep.scenario.sweep.table, index=False)
    written = [folder / plan.sweep.scenario.sweep.table]
    for stem, frame in (
        ("indices", result.indices),
        ("convergence", result.convergence),
        ("replicate_noise", result.noise),
        ("points", result.points),
    ):
        write_parquet(folder / f"{stem}.parquet", frame)
        frame.to_csv(folder / f"{stem}.csv", index=False)
        written += [folder / f"{stem}.parquet", folder / f"{stem}.csv"]
    write_json(folder / "sensitivity.json", summary(result))
    write_text(folder / "sensitivity.md", markdown(result))
    figures = write_figure(result, folder)
    return [*written, folder / "sensitivity.json", folder / "sensitivity.md", *figures]


def summary(result: SensitivityResult) -> dict[str, Any]:
    """What was analysed and how: method, N, replicates, parameters, outcomes, versions."""
    from importlib.metadata import version

    plan = result.plan
    return {
        "kind": "sensitivity",
        "scenario": plan.sweep.scenario.name,
        "method": plan.method,
        "n": plan.n,
        "points": len(plan.sample),
        "replicates": plan.replicates,
        "runs": len(plan.sweep.runs),
        "replicate_handling": "mean of the replicates per point, then SALib",
        "parameters": dict(zip(plan.problem.keys, plan.problem.bounds, strict=True)),
        "parameter_source": plan.problem.source,
        "outcomes": result.outcomes,
        "seed": plan.seed,
        "confidence": CONFIDENCE,
        "bootstrap_resamples": RESAMPLES,
        "salib": version("SALib"),
    }


# --------------------------------------------------------------------------- markdown


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Lines of a Markdown table of printed cells."""
    return markdown_table(pd.DataFrame(rows, columns=header)).splitlines()


def _percent(value: float) -> str:
    return f"{value:.1%}" if np.isfinite(value) else "n/a (one replicate)"


def _ci(value: float, conf: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.3g} ± {conf:.2g}"


def markdown(result: SensitivityResult) -> str:
    """sensitivity.md: method, replicate handling, parameters, indices, check and noise."""
    plan = result.plan
    lines = [
        f"# Sensitivity analysis of {plan.sweep.scenario.name} ({plan.method})",
        "",
        f"{METHOD_TEXT[plan.method]}; N = {plan.n} "
        f"{'base samples' if plan.method == 'sobol' else 'trajectories'}, "
        f"{len(plan.sample)} points, {plan.replicates} replicates each "
        f"({len(plan.sweep.runs)} runs). **The replicates of each point are averaged before "
        "the analysis**, so the indices describe the mean outcome of "
        f"{plan.replicates} replicates; the replicate noise is reported below. Intervals: "
        f"{CONFIDENCE:.0%} bootstrap ({RESAMPLES} resamples). Parameters and ranges from the "
        f"scenario's `{plan.problem.source}:` block:",
        "",
    ]
    rows = [[f"`{k}`", f"{lo:g}", f"{hi:g}"] for k, (lo, hi) in _bounds(result)]
    lines += [*_table(["parameter", "low", "high"], rows), ""]
    for outcome, label in result.outcomes.items():
        lines += [f"## {label}", "", *_index_lines(result, outcome), ""]
    lines += ["## Convergence: indices from the first N/2 against all N", ""]
    lines += [*_convergence_lines(result), "", "## Replicate noise", ""]
    lines += _noise_lines(result)
    return "\n".join(lines) + "\n"


def _bounds(result: SensitivityResult) -> list[tuple[str, tuple[float, float]]]:
    return list(zip(result.plan.problem.keys, result.plan.problem.bounds, strict=True))


def _index_lines(result: SensitivityResult, outcome: str) -> list[str]:
    pairs = INDICES[result.plan.method]
    frame = result.indices[result.indices["outcome"] == outcome]
    frame = frame.sort_values(pairs[-1][0] if result.plan.method == "sobol" else pairs[0][0])
    rows = [
        [f"`{r['parameter']}`", *(_ci(r[i], r[c]) for i, c in pairs)]
        for _, r in frame.iloc[::-1].iterrows()
    ]
    return _table(["parameter", *(i for i, _ in pairs)], rows)


def _convergence_lines(result: SensitivityResult) -> list[str]:
    index = CONVERGENCE_INDICES[result.plan.method][0]
    rows = [
        [
            result.outcomes[r["outcome"]],
            f"{r[f'{index}_max_abs_change']:.3g}",
            f"{r[f'{index}_max_relative_change']:.1%}",
            f"`{r[f'{index}_changed_most']}`",
            "yes" if r[f"{index}_same_top"] else "no",
        ]
        for _, r in result.convergence.iterrows()
    ]
    header = [
        "outcome",
        f"max abs change of {index}",
        f"relative to the largest {index}",
        "changed most",
        "same top lever",
    ]
    return [
        f"N/2 = {result.plan.n // 2} against N = {result.plan.n}:",
        "",
        *_table(header, rows),
    ]


def _noise_lines(result: SensitivityResult) -> list[str]:
    rows = [
        [
            result.outcomes[r["outcome"]],
            _percent(r["between_replicates"]),
            _percent(r["noise_in_means"]),
            f"{r['sd_between_replicates']:.3g}",
            f"{r['sd_of_point_means']:.3g}",
        ]
        for _, r in result.noise.iterrows()
    ]
    header = [
        "outcome",
        "variance between replicates",
        "noise in the point means",
        "sd between replicates",
        "sd of point means",
    ]
    lines = [
        "The share of the runs' variance that lies between the replicates of a point (the "
        "residual of a point + replicate analysis of variance), and the share of the variance "
        "of the point means (what the analysis sees) that is noise, q.",
        "",
        *_table(header, rows),
    ]
    if result.plan.sweep.scenario.sweep.common_random_numbers:
        lines += [
            "",
            "Common random numbers: replicate r of every point shares its random streams; the "
            "offset this gives replicate r at every point is left out of the noise (it does not "
            "change the indices), and what remains is correlated between nearby points, so q "
            "is an upper bound of the noise's effect on the indices.",
        ]
    elif result.plan.method == "sobol":
        lines += [
            "",
            "With independent noise, ST ≈ (1 − q)·ST(noise-free) + q and S1 ≈ (1 − q)·S1: "
            "q is the floor of every ST (the dashed line of the figure).",
        ]
    return lines


# --------------------------------------------------------------------------- figure


def write_figure(result: SensitivityResult, folder: Path) -> list[Path]:
    """sensitivity.png and .svg: one panel per outcome, bars with interval error bars.

    Returns:
        The two files.
    """
    plt = pyplot()
    plan = result.plan
    keys = list(plan.problem.keys)
    outcomes = list(result.outcomes)
    fig, axes = plt.subplots(
        1,
        len(outcomes),
        figsize=(3.4 * len(outcomes) + 2.6, 0.42 * len(keys) + 1.8),
        sharey=True,
        squeeze=False,
    )
    floor = plan.method == "sobol" and not plan.sweep.scenario.sweep.common_random_numbers
    for ax, outcome in zip(axes.flat, outcomes, strict=True):
        _panel(ax, result.indices[result.indices["outcome"] == outcome], plan.method, keys)
        ax.set_title(_wrap(result.outcomes[outcome]), fontsize=9)
        q = float(result.noise.set_index("outcome").loc[outcome, "noise_in_means"])
        if floor and np.isfinite(q):
            ax.axvline(q, color="grey", linestyle="--", linewidth=1, label="noise floor q")
        ax.legend(title=None, fontsize=7)
        ax.set_ylabel("")
    fig.suptitle(
        f"{plan.sweep.scenario.name}: {plan.method} sensitivity, N = {plan.n}, "
        f"{plan.replicates} replicates averaged per point ({CONFIDENCE:.0%} intervals)",
        fontsize=10,
    )
    fig.tight_layout()
    caption = f"{METHOD_TEXT[plan.method]}, with {CONFIDENCE:.0%} bootstrap intervals."
    saved = save(fig, folder, "sensitivity", "Sensitivity indices", caption)
    return [saved.png, saved.svg]


def _panel(ax: Any, frame: pd.DataFrame, method: str, keys: list[str]) -> None:
    """Bars of the indices of one outcome with their intervals as error bars."""
    import seaborn as sns

    pairs = INDICES[method]
    names = [i for i, _ in pairs]
    labels = label_map(keys)
    long = frame.melt(id_vars="parameter", value_vars=names, var_name="index")
    long["parameter"] = long["parameter"].map(labels)
    sns.barplot(
        long,
        y="parameter",
        x="value",
        hue="index",
        order=[labels[k] for k in keys],
        hue_order=names,
        errorbar=None,
        orient="h",
        ax=ax,
    )
    bars = list(ax.containers)  # errorbar() adds containers of its own
    for container, (_, conf) in zip(bars, pairs, strict=True):
        half = frame.set_index("parameter").reindex(keys)[conf].to_numpy(float)
        for bar, width in zip(container, half, strict=True):
            y = bar.get_y() + bar.get_height() / 2
            ax.errorbar(bar.get_width(), y, xerr=width, color="black", capsize=2, linewidth=0.8)
    ax.set_xlabel("index (share of variance)" if method == "sobol" else "effect (outcome units)")


def _wrap(text: str, width: int = 40) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


# --------------------------------------------------------------------------- console


def print_summary(result: SensitivityResult, console: Console) -> None:
    """The main index of each parameter and outcome, the check, and the noise."""
    plan = result.plan
    index, conf = INDICES[plan.method][-1 if plan.method == "sobol" else 0]
    table = make_table(
        f"{index} ± {CONFIDENCE:.0%} interval (replicates averaged per point)",
        ["parameter", *result.outcomes],
        ["parameter"],
    )
    wide = result.indices.pivot(index="parameter", columns="outcome")
    for key in plan.problem.keys:
        cells = [_ci(wide.loc[key, (index, o)], wide.loc[key, (conf, o)]) for o in result.outcomes]
        table.add_row(key, *cells)
    console.print(table)
    check = CONVERGENCE_INDICES[plan.method][0]
    column = f"{check}_max_abs_change"
    changes = ", ".join(f"{r['outcome']} {r[column]:.3g}" for _, r in result.convergence.iterrows())
    console.print(f"Largest change of {check} from N/2 to N: {changes}")
    noise = ", ".join(
        f"{r['outcome']} {_percent(r['noise_in_means'])}" for _, r in result.noise.iterrows()
    )
    console.print(f"Replicate noise in the point means: {noise}")
