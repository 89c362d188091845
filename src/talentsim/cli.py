"""The `talentsim` command line: run, validate, schema, scenarios.

Bad input (a scenario that does not validate, a bad --set, an output folder in the way)
prints one paragraph to stderr and exits with status 2, before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from talentsim import __version__
from talentsim.loader import (
    LoadedScenario,
    ScenarioError,
    builtin_names,
    builtin_path,
    load_scenario,
)
from talentsim.results import (
    OutputExistsError,
    build_manifest,
    check_output_folder,
    default_run_folder,
    write_run,
)
from talentsim.runner import run_scenario, steps_per_replicate
from talentsim.scenario import Scenario
from talentsim.summary import print_summary


class InputError(click.ClickException):
    """Bad input: printed as one paragraph, exit status 2."""

    exit_code = 2


def _load(scenario: str | None, overrides: list[str]) -> LoadedScenario:
    try:
        return load_scenario(scenario, overrides)
    except ScenarioError as err:
        raise InputError(str(err)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="talentsim")
def main() -> None:
    """talentsim: an agent-based model of Chinese-born tech talent returning from the US.

    Run `talentsim run` for the baseline scenario, `talentsim COMMAND --help` for details.
    """


@main.command()
@click.argument("scenario", required=False)
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the first replicate.")
@click.option("--replicates", type=click.IntRange(min=1), help="Number of replicates.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a scenario key, e.g. --set population.size=20000 (repeatable).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/runs/<scenario>-<time>).",
)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def run(
    scenario: str | None,
    seed: int | None,
    replicates: int | None,
    overrides: tuple[str, ...],
    out: Path | None,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Run SCENARIO (a file or a built-in name; the baseline by default).

    Writes timeseries.parquet, annual.parquet, survey.parquet, the resolved scenario.yaml
    and manifest.json to the output folder, and prints a summary.
    """
    extra = list(overrides)
    if seed is not None:
        extra.append(f"seed={seed}")
    if replicates is not None:
        extra.append(f"replicates={replicates}")
    loaded = _load(scenario, extra)
    config = loaded.scenario
    out = out or default_run_folder(config.name)
    try:
        check_output_folder(out, overwrite)
    except OutputExistsError as err:
        raise InputError(str(err)) from None

    console = Console(stderr=True, quiet=quiet)
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    total = config.replicates * steps_per_replicate(config)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{config.name} x {config.replicates}", total=total)
        result = run_scenario(config, on_step=lambda: progress.advance(task))
    manifest = build_manifest(loaded, result, started, time.perf_counter() - clock)
    folder = write_run(loaded, result, out, manifest, overwrite=overwrite)
    if not quiet:
        print_summary(result, Console())
    click.echo(f"Results written to {folder}")


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a key before validating (repeatable).",
)
def validate(files: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario FILES; print each one's name and hash, or what is wrong."""
    failed = 0
    for file in files:
        try:
            loaded = load_scenario(file, list(overrides))
        except ScenarioError as err:
            failed += 1
            click.echo(f"Error: {err}", err=True)
            continue
        click.echo(f"ok  {file}  (scenario '{loaded.scenario.name}', hash {loaded.hash[:12]})")
    if failed:
        raise SystemExit(2)


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output.",
)
def schema(out: Path | None) -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    document = Scenario.model_json_schema(by_alias=True)
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://talentsim.org/schema/scenario.json",
        **document,
    }
    text = json.dumps(document, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)


@main.command()
def scenarios() -> None:
    """List the scenarios shipped with talentsim and the question each asks."""
    for name in builtin_names():
        comment = []
        for line in builtin_path(name).read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("#").strip())
        text = " ".join(comment)
        question = text[: text.index("?") + 1] if "?" in text else text
        click.echo(f"{name:28s} {question}")
