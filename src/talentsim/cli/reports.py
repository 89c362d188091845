"""`talentsim report` and `talentsim compare`: reading result folders."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: RESULTS/report for one folder).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md"]),
    default="html",
    show_default=True,
    help="html: one self-contained page; md: Markdown linking the figure files.",
)
def report(results: tuple[Path, ...], out: Path | None, fmt: str) -> None:
    """Figures (PNG and SVG), tables (CSV) and a report of run, sweep or calibration RESULTS.

    Several run folders are set side by side in one report. Exits with 2 on a folder that is
    not a talentsim result; a sweep with failed runs gets a report that says what is missing.
    """
    from talentsim import api

    for output in api.report(list(results), out, fmt):
        for note in output.missing:
            click.echo(f"Warning: {note}", err=True)
        click.echo(f"Report written to {output.document} ({len(output.figures)} figures)")


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/comparisons/<names>-<time>).",
)
@click.option("--quiet", is_flag=True, help="Do not print the table.")
def compare(folders: tuple[Path, ...], out: Path | None, quiet: bool) -> None:
    """Set run FOLDERS side by side against the first (the baseline).

    Differences in returns, people in the US and returnees' sector shares by year, with 95 %
    intervals over replicates (paired t with common random numbers, else Welch t), written
    as compare.csv, compare.md and a figure.
    """
    from talentsim import api
    from talentsim.render.console import console
    from talentsim.reports.compare import print_comparison

    comparison, folder = api.compare(list(folders), out)
    if not quiet:
        print_comparison(comparison, console())
    click.echo(f"Comparison written to {folder}")


@click.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "--targets",
    default="talentsim:evidence",
    show_default=True,
    help="Targets file (CSV; see docs/how-to/score-your-data.md), or "
    "talentsim:NAME for a packaged one (evidence, survey_targets, survey_targets_alt_2015).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/scores/<scenario>-<targets>-<time>).",
)
@click.option("--quiet", is_flag=True, help="Do not print the table.")
def score(results: Path, targets: str, out: Path | None, quiet: bool) -> None:
    """Score a run or sweep folder (RESULTS) against observed figures.

    Each target's simulated median and 5-95 % interval over the runs, the observed value,
    the error (in standard errors, or relative to a tolerance) and whether it is within,
    written as score.csv and score.md. Exits with 2 on a malformed targets file, naming the
    row and column.
    """
    from talentsim import api
    from talentsim.render.console import console
    from talentsim.reports.score import print_score

    scored = api.score(results, targets, out)
    if not quiet:
        print_score(scored, console())
    click.echo(f"Score written to {scored.folder}")


COMMANDS = [report, compare, score]
