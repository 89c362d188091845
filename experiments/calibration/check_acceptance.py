"""Acceptance of the calibrated baseline: a posterior predictive check at full size.

Usage: python experiments/calibration/check_acceptance.py FOLDER [OUT.md]

FOLDER is either the result of `talentsim sweep` over the calibration's posterior sample
(posterior_sample.yaml: one run of the calibrated baseline per posterior draw), or of
`talentsim run --replicates R` of the calibrated baseline (its replicates are the runs).
Prints, and writes as Markdown, the median technology share in 2015 and 2017 against the
survey targets in standard errors, and how often finance ranks first in 2015 and technology
in 2017. Exits with 1 if the acceptance goal is not met.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from talentsim.evidence.targets import load_targets

NAMED = ("technology", "finance", "education", "manufacturing")  # "other" is not ranked


def first(runs: pd.DataFrame, year: int) -> pd.Series:
    """The named sector with the largest share in each run's survey of `year`."""
    columns = [f"survey_{year}_{sector}" for sector in NAMED]
    return runs[columns].idxmax(axis=1).str.removeprefix(f"survey_{year}_")


def load_runs(folder: Path) -> pd.DataFrame:
    """One row per run with `survey_<year>_<sector>` columns, from a sweep or a run folder."""
    if (folder / "runs.parquet").exists():
        runs = pd.read_parquet(folder / "runs.parquet")
        return runs[runs["status"] == "ok"]
    survey = pd.read_parquet(folder / "survey.parquet")
    sectors = survey[survey["measure"] == "employment sector of returnees"]
    wide = sectors.pivot_table(index="replicate", columns=["year", "category"], values="share")
    wide.columns = [f"survey_{year}_{sector}" for year, sector in wide.columns]
    return wide.reset_index()


def main() -> None:
    """Check the sweep folder named on the command line; exit 1 if acceptance is not met."""
    folder = Path(sys.argv[1])
    runs = load_runs(folder)
    targets = load_targets()
    tech = targets[(targets["kind"] == "share") & (targets["category"] == "technology")]
    kind = (
        "posterior draws, one run each"
        if (folder / "runs.parquet").exists()
        else "replicates of the calibrated point, the posterior means"
    )
    lines = [
        f"Acceptance check: {len(runs)} runs of the calibrated baseline ({folder}: {kind}).",
        "",
        "| year | survey | simulated median | 90 % of runs | error (SE) | within 2 SE |",
        "|---|---|---|---|---|---|",
    ]
    ok = True
    for row in tech.itertuples():
        shares = runs[f"survey_{row.year}_technology"]
        median = float(np.median(shares))
        z = (median - row.value) / row.se
        ok &= abs(z) <= 2
        lines.append(
            f"| {row.year} | {row.value:.1%} ± {1.96 * row.se:.1%} | {median:.1%} | "
            f"{np.quantile(shares, 0.05):.1%} to {np.quantile(shares, 0.95):.1%} | {z:+.2f} | "
            f"{'yes' if abs(z) <= 2 else 'no'} |"
        )
    finance_2015 = float((first(runs, 2015) == "finance").mean())
    tech_2017 = float((first(runs, 2017) == "technology").mean())
    ok &= finance_2015 >= 0.8 and tech_2017 >= 0.8
    lines += [
        "",
        f"Finance ranks first in 2015 in {finance_2015:.0%} of runs; technology ranks "
        f"first in 2017 in {tech_2017:.0%} of runs (goal: at least 80 % each).",
        "",
        f"Acceptance: {'met' if ok else 'NOT met'}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if len(sys.argv) > 2:
        Path(sys.argv[2]).write_text(text)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
