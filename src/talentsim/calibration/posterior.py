"""What a calibration leaves behind.

The posterior, a calibrated scenario, an ensemble to sweep, posterior predictive checks
against the targets, figures and a report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc
import yaml

from talentsim.calibration.abc import CalibrationSetup, prior_bounds, summary_statistics
from talentsim.evidence.statistics import RunTables, run_statistics
from talentsim.runs.designs import point_scenario
from talentsim.runs.executors import Executor
from talentsim.runs.provenance import manifest
from talentsim.runs.replicate import simulate
from talentsim.runs.runner import annualise
from talentsim.scenario.loader import LoadedScenario
from talentsim.scenario.schema import Scenario
from talentsim.storage.atomic import write_json, write_parquet, write_text

SAMPLE_SIZE = 50  # posterior draws in the ensemble and the predictive check


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of weighted values (midpoint interpolation of the weighted CDF)."""
    order = np.argsort(values)
    v, w = np.asarray(values)[order], np.asarray(weights)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, v))


def posterior_frame(history: pyabc.History, names: dict[str, str]) -> pd.DataFrame:
    """The last generation's particles (dotted keys) with their normalised weights."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    frame = frame.rename(columns=names).reset_index(drop=True)
    frame = frame[[names[n] for n in names]]
    frame["weight"] = weights / weights.sum()
    frame["generation"] = history.max_t
    return frame


def posterior_summary(posterior: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Median and 90 % credible interval of each parameter."""
    w = posterior["weight"].to_numpy()
    rows = []
    for key in keys:
        v = posterior[key].to_numpy()
        rows.append(
            {
                "parameter": key,
                "median": weighted_quantile(v, w, 0.5),
                "q05": weighted_quantile(v, w, 0.05),
                "q95": weighted_quantile(v, w, 0.95),
                "mean": float(np.dot(v, w)),
            }
        )
    return pd.DataFrame(rows)


def posterior_sample(
    posterior: pd.DataFrame, keys: list[str], size: int, seed: int
) -> pd.DataFrame:
    """Draws from the weighted particles (with replacement)."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(posterior), size=size, replace=True, p=posterior["weight"])
    return posterior.iloc[picks][keys].reset_index(drop=True)


def predictive_task(
    base: Scenario, task: tuple[int, dict[str, float], list[str], pd.DataFrame | None]
) -> dict:
    """One posterior predictive run: the statistics of the target rows."""
    index, values, keys, others = task
    scenario = point_scenario(base, values)
    result = simulate(scenario, seed=10_000 + index)
    # A predictive check compares what surveys would report: the sample share and the
    # sample's ranking, whatever statistics the ABC's distance used.
    statistics = summary_statistics(
        result.survey, keys, rank_statistic="sample", share_statistic="sample"
    )
    if others is not None:
        annual = annualise(result.timeseries).set_index("year")
        statistics.update(run_statistics(RunTables(annual, result.survey, result.cohorts), others))
    return {"draw": index, **statistics}


def predictive_check(
    setup: CalibrationSetup, sample: pd.DataFrame, executor: Executor
) -> pd.DataFrame:
    """Run every posterior draw once at the calibration's settings; one row per draw."""
    keys, others = setup.simulator.keys, setup.simulator.others
    tasks = [(i, dict(row), keys, others) for i, row in enumerate(sample.to_dict("records"))]
    rows = [result for _, result in executor.run(predictive_task, setup.simulator.base, tasks)]
    return pd.DataFrame(rows).sort_values("draw").reset_index(drop=True)


def fit_table(setup: CalibrationSetup, predictive: pd.DataFrame) -> pd.DataFrame:
    """Each target beside the simulated median, 90 % interval and error in standard errors."""
    rows = []
    for target in setup.targets.itertuples():
        simulated = predictive[target.key].dropna()
        row = {
            "kind": target.kind,
            "year": int(target.year),
            "measure": target.measure,
            "category": target.category,
            "target": float(target.value),
            "se": float(target.scale) if target.kind != "rank" else np.nan,
            "n": float(target.n) if not pd.isna(target.n) else np.nan,
        }
        if target.kind != "rank":  # the error in the target's SE (or its tolerance)
            median = float(simulated.median()) if len(simulated) else np.nan
            row.update(
                simulated_median=median,
                simulated_q05=float(simulated.quantile(0.05)) if len(simulated) else np.nan,
                simulated_q95=float(simulated.quantile(0.95)) if len(simulated) else np.nan,
                error_in_se=(median - float(target.value)) / float(target.scale),
            )
        else:
            row.update(share_of_runs_ranked_first=float(simulated.mean()))
        rows.append(row)
    return pd.DataFrame(rows)


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path.resolve(), start.resolve())


def _nested(values: dict[str, float]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in values.items():
        node = tree
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = float(f"{value:.6g}")
    return tree


def _extends(loaded: LoadedScenario, folder: Path) -> str:
    source = Path(loaded.files[0])
    package = Path(__file__).resolve().parents[1] / "data" / "scenarios"
    if source.resolve().parent == package:
        return f"talentsim:{source.stem}"
    return _relative(source, folder)


def calibrated_yaml(
    loaded: LoadedScenario, summary: pd.DataFrame, folder: Path, header: list[str]
) -> str:
    """A scenario that extends the calibrated one with the posterior means.

    Means, not medians: where the targets constrain a narrow ridge across the parameters,
    the marginal medians can fall off it together (docs/ODD.md, Section 10.4).
    """
    values = dict(zip(summary["parameter"], summary["mean"], strict=True))
    lines = [f"# {line}" if line else "#" for line in header]
    lines += ["# Posterior, mean (median) [5 %, 95 %]:"]
    lines += [
        f"#   {r.parameter}: {r.mean:.4g} ({r.median:.4g}) [{r.q05:.4g}, {r.q95:.4g}]"
        for r in summary.itertuples()
    ]
    body = {
        "name": f"{loaded.scenario.name[:100]}_calibrated",
        "description": "Posterior means of the calibration in this folder.",
        "extends": _extends(loaded, folder),
        **_nested(values),
    }
    return "\n".join(lines) + "\n" + yaml.safe_dump(body, sort_keys=False)


def ensemble_yaml(loaded: LoadedScenario, folder: Path, size: int) -> str:
    """A sweep over the posterior draws in posterior_sample.csv (one run per draw)."""
    body = {
        "name": f"{loaded.scenario.name[:100]}_posterior",
        "description": f"{size} draws from the calibration's posterior, one run each.",
        "extends": _extends(loaded, folder),
        "sweep": {"design": "table", "table": "posterior_sample.csv", "replicates": 1},
    }
    header = "# The calibration's posterior as an ensemble: talentsim sweep posterior_sample.yaml\n"
    return header + yaml.safe_dump(body, sort_keys=False)


def with_effective_sample_size(history: pyabc.History, populations: pd.DataFrame) -> pd.DataFrame:
    """Add each generation's effective sample size, (sum w)^2 / sum w^2, as column `ess`.

    A small one (weights piled on a few particles) makes the posterior's intervals rough.
    """
    ess = {}
    for t in populations["t"]:
        if t >= 0:
            weights = history.get_distribution(t=int(t))[1]
            ess[t] = float(weights.sum() ** 2 / np.square(weights).sum())
    return populations.assign(ess=populations["t"].map(ess))


def calibration_manifest(
    setup: CalibrationSetup,
    loaded: LoadedScenario,
    populations: pd.DataFrame,
    command: str,
    timing: dict[str, Any],
) -> dict[str, Any]:
    """What produced a calibration: scenario, hash, targets, seed, versions, commit, timing.

    `timing` holds this invocation's start (``started_utc``), the seconds it spent in
    ABC-SMC (``abc_seconds``) and the simulations it ran (``simulations``), and the whole
    history's time from its start to its last generation (``history_seconds``, the same
    whether or not the calibration was resumed).
    """
    digest = hashlib.sha256(setup.targets_path.read_bytes()).hexdigest()
    seconds, sims = timing["abc_seconds"], timing["simulations"]
    return {
        **manifest(
            "calibration",
            loaded,
            targets=str(setup.targets_path),
            targets_sha256=digest,
            abc_seed=setup.config.abc.seed,
            population=setup.config.population,
            parameters=list(setup.config.parameters),
            generations=int(populations["t"].max()) + 1,
            simulations_total=int(populations["samples"].sum()),
        ),
        "command": command,
        **timing,
        "abc_seconds": round(seconds, 1),
        "simulations_per_second": round(sims / seconds, 2) if seconds > 0 else None,
    }


def write_posterior_outputs(
    setup: CalibrationSetup,
    posterior: pd.DataFrame,
    loaded: LoadedScenario,
    folder: Path,
    executor: Executor,
    header: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What every method writes from its posterior (dotted keys and a `weight` column).

    posterior.parquet and its summary, calibrated.yaml, the ensemble (posterior_sample.csv
    and .yaml), the posterior predictive check (predictive.parquet, fit.parquet) and the
    figures. Returns the summary, the fit and the predictive runs.
    """
    from talentsim.calibration.report import write_figures

    keys = list(setup.config.parameters)
    write_parquet(folder / "posterior.parquet", posterior)
    summary = posterior_summary(posterior, keys)
    write_parquet(folder / "posterior_summary.parquet", summary)
    write_text(folder / "calibrated.yaml", calibrated_yaml(loaded, summary, folder, header))
    seed = setup.config.npe.seed if setup.config.method == "npe" else setup.config.abc.seed
    sample = posterior_sample(posterior, keys, SAMPLE_SIZE, seed)
    write_text(folder / "posterior_sample.csv", sample.to_csv(index=False))
    write_text(folder / "posterior_sample.yaml", ensemble_yaml(loaded, folder, SAMPLE_SIZE))
    predictive = predictive_check(setup, sample, executor)
    write_parquet(folder / "predictive.parquet", predictive)
    fit = fit_table(setup, predictive)
    write_parquet(folder / "fit.parquet", fit)
    bounds = {key: prior_bounds(setup.config.parameters[key]) for key in keys}
    write_figures(folder, posterior, keys, bounds, fit)
    return summary, fit, predictive


def write_outputs(
    setup: CalibrationSetup,
    history: pyabc.History,
    loaded: LoadedScenario,
    folder: Path,
    executor: Executor,
    command: str,
    timing: dict[str, Any],
) -> dict[str, Any]:
    """Write every output of an ABC-SMC calibration to `folder`.

    Those of :func:`write_posterior_outputs`, report.md and manifest.json. Returns the
    posterior summary, the fit and the generations.
    """
    from talentsim.calibration.report import write_report

    posterior = posterior_frame(history, setup.names)
    populations = with_effective_sample_size(history, history.get_all_populations())
    header = [
        f"Calibrated with `{command}` on {dt.date.today().isoformat()}.",
        f"Targets: {setup.targets_path.name}; {len(populations) - 1} generations of "
        f"{setup.config.abc.population_size} particles; final epsilon "
        f"{populations['epsilon'].iloc[-1]:.3g} (standard errors).",
    ]
    summary, fit, predictive = write_posterior_outputs(
        setup, posterior, loaded, folder, executor, header
    )
    write_report(folder, setup, summary, fit, populations, command, len(predictive))
    history_seconds = (
        populations["population_end_time"].max() - history.get_abc().start_time
    ).total_seconds()
    manifest = calibration_manifest(
        setup,
        loaded,
        populations[populations["t"] >= 0],
        command,
        {**timing, "history_seconds": round(history_seconds, 1)},
    )
    write_json(folder / "manifest.json", manifest)
    return {"summary": summary, "fit": fit, "populations": populations}
