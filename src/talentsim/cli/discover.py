"""`talentsim discover`: the conditions under which an outcome happens, from a sweep."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("sweep", type=click.Path(path_type=Path))
@click.option(
    "--where",
    required=True,
    metavar="EXPRESSION",
    help='The outcome condition, e.g. "returns_2025 > 80000" or '
    '"survey_2025_technology > survey_2025_finance".',
)
@click.option(
    "--method",
    type=click.Choice(["prim", "cart"]),
    default="prim",
    show_default=True,
    help="PRIM boxes (peeling trajectory, quasi-p-values) or a CART tree's leaves.",
)
@click.option(
    "--by",
    type=click.Choice(["probability", "mean"]),
    default="probability",
    show_default=True,
    help="probability: a point is a case when half its replicates meet the condition or "
    "more; mean: the condition on the point's mean outcomes.",
)
@click.option(
    "--density",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=0.8,
    show_default=True,
    help="PRIM: report the box of highest coverage whose density reaches this.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/discoveries/<sweep>-<method>-<UTC time>).",
)
@click.option("--allow-missing", is_flag=True, help="Go on when runs failed or are missing.")
@click.option("--quiet", is_flag=True, help="Do not print the box.")
def discover(
    sweep: Path,
    where: str,
    method: str,
    by: str,
    density: float,
    out: Path | None,
    allow_missing: bool,
    quiet: bool,
) -> None:
    """Scenario discovery on a SWEEP folder: where in the swept space does WHERE happen?

    Reads the sweep's stored outcomes (one row per run, never the time series), judges the
    condition per point from its replicates, finds the box of parameter values where it
    happens (PRIM or CART, from the EMA Workbench) and scores every swept parameter for
    every stored outcome. Writes report.md, the box, the trajectory, the scores and figures.
    Exits with 2 on bad input (an unknown outcome, an expression that is not a comparison,
    a folder that is not a sweep, failed or missing runs without --allow-missing).
    """
    from talentsim import api

    found, folder = api.discover(
        sweep, where, method=method, by=by, density=density, out=out, allow_missing=allow_missing
    )
    if not quiet:
        stats = found.stats
        click.echo(
            f"{method.upper()} box for {where!r}: coverage {stats['coverage']:.0%}, density "
            f"{stats['density']:.0%}, mass {stats['mass']:.0%}"
        )
        for row in found.limits.itertuples(index=False):
            click.echo(
                f"  {row.parameter}: {row.low:.4g} to {row.high:.4g} "
                f"(of {row.full_low:.4g} to {row.full_high:.4g})"
            )
        if found.limits.empty:
            click.echo("  (no parameter restricted)")
    click.echo(f"Discovery in {folder} (report.md)")


COMMANDS = [discover]
