"""`talentsim run`, `validate`, `schema` and `scenarios`: one scenario at a time."""

from __future__ import annotations

from pathlib import Path

import click

from talentsim.cli.common import InputError, load, overrides_option, progress, quiet_option

#: The JSON Schema's id: `schema --out` replaces only a file that holds it (docgen's).
SCHEMA_ID = "https://talentsim.org/schema/scenario.json"


@click.command()
@click.argument("scenario", required=False)
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the first replicate.")
@click.option("--replicates", type=click.IntRange(min=1), help="Number of replicates.")
@overrides_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: results/runs/<scenario>-<time>).",
)
@click.option("--overwrite", is_flag=True, help="Replace --out if it holds a talentsim run.")
@quiet_option
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
    from talentsim import api
    from talentsim.render.console import console
    from talentsim.reports.summary import print_summary, runs_the_baseline
    from talentsim.runs.outputs import default_output
    from talentsim.runs.runner import steps_per_replicate

    extra = list(overrides)
    extra += [f"seed={seed}"] if seed is not None else []
    extra += [f"replicates={replicates}"] if replicates is not None else []
    loaded = load(scenario, extra)
    out = out or default_output("run", loaded)
    api.check_run(loaded, out=out, overwrite=overwrite)  # before the progress bar starts
    config = loaded.scenario
    total = config.replicates * steps_per_replicate(config)
    bar = progress(quiet, total, f"{config.name} x {config.replicates}", "steps")
    with bar:
        task = bar.task_ids[0]
        result = api.run(
            loaded,
            out=out,
            overwrite=overwrite,
            on_step=lambda: bar.advance(task),
        )
    if not quiet:
        print_summary(result, console(), baseline=runs_the_baseline(loaded))
    click.echo(f"Results written to {result.folder}")


@click.command()
@click.argument("files", nargs=-1, required=True)
@overrides_option
def validate(files: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario FILES; print each one's name and hash, or what is wrong."""
    from talentsim.errors import TalentsimError
    from talentsim.scenario.loader import load_scenario

    failed = 0
    for file in files:
        try:
            loaded = load_scenario(file, list(overrides))
        except TalentsimError as err:
            failed += 1
            click.echo(f"Error: {err}", err=True)
            continue
        click.echo(f"ok  {file}  (scenario '{loaded.scenario.name}', hash {loaded.hash[:12]})")
    if failed:
        raise SystemExit(2)


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output.",
)
def schema(out: Path | None) -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from importlib import resources

    from talentsim.storage.atomic import write_text
    from talentsim.storage.folders import read_small_text

    # generated from the schema by docgen and shipped (tests/test_docs.py keeps it current)
    text = (resources.files("talentsim") / "data" / "scenario.schema.json").read_text("utf-8")
    if out is None:
        click.echo(text, nl=False)
        return
    if not out.parent.is_dir():
        raise InputError(f"cannot write {out}: the folder {out.parent} does not exist")
    if out.exists() or out.is_symlink():
        previous = read_small_text(out, 1 << 22)
        if previous is None or SCHEMA_ID not in previous[:400]:
            raise InputError(
                f"{out} exists and is not a scenario schema written by talentsim; choose "
                "another --out (talentsim replaces only a schema it wrote)"
            )
    write_text(out, text)


@click.command()
def scenarios() -> None:
    """List the scenarios shipped with talentsim and the question each asks."""
    from talentsim.scenario.files import builtin_names, builtin_path

    for name in builtin_names():
        comment = []
        for line in builtin_path(name).read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("#").strip())
        text = " ".join(comment)
        question = text[: text.index("?") + 1] if "?" in text else text
        click.echo(f"{name:28s} {question}")


COMMANDS = [run, validate, schema, scenarios]
