"""`talentsim discover`: a sweep folder and a condition in, a discovery folder out."""

from __future__ import annotations

from pathlib import Path

from talentsim.discovery.analysis import BY, METHODS, Discovery, DiscoveryError, discover
from talentsim.discovery.condition import parse_condition
from talentsim.discovery.inputs import read_sweep
from talentsim.discovery.report import write_outputs
from talentsim.runs.outputs import ROOT, fresh_folder, safe_label, stamp
from talentsim.runs.provenance import manifest
from talentsim.storage.atomic import atomic_folder, write_json
from talentsim.storage.folders import check_output


def default_folder(sweep: Path, method: str) -> Path:
    """results/discoveries/<sweep folder>-<method>-<UTC time>."""
    return fresh_folder(ROOT / "discoveries" / f"{safe_label(Path(sweep).name)}-{method}-{stamp()}")


def check_options(method: str, by: str, density: float) -> None:
    """Refuse an unknown method or rule, or a density outside (0, 1].

    Raises:
        DiscoveryError: Naming the option.
    """
    if method not in METHODS:
        raise DiscoveryError(f"--method {method!r} is unknown; choose one of {', '.join(METHODS)}")
    if by not in BY:
        raise DiscoveryError(f"--by {by!r} is unknown; choose one of {', '.join(BY)}")
    if not 0 < density <= 1:
        raise DiscoveryError(f"--density must be in (0, 1], got {density}")


def make_discovery(
    sweep: Path,
    where: str,
    method: str = "prim",
    by: str = "probability",
    density: float = 0.8,
    out: Path | None = None,
    allow_missing: bool = False,
) -> tuple[Discovery, Path]:
    """Read the sweep, find the conditions of `where`, write the folder (whole, or nothing).

    Raises:
        TalentsimError: For bad options, a folder that is not a usable sweep, a condition that
            cannot be used, or an output folder that may not be written.
    """
    check_options(method, by, density)
    data = read_sweep(Path(sweep), allow_missing)
    condition = parse_condition(where, data.outcomes)
    out = Path(out) if out else default_folder(Path(sweep), method)
    check_output(out, "discovery", "replace", whole=True)
    found = discover(data, condition, method, by, density)
    with atomic_folder(out) as tmp:
        written = write_outputs(found, data, tmp)
        record = manifest(
            "discovery",
            sweep=str(Path(sweep)),
            sweep_manifest_hash=_sweep_hash(Path(sweep)),
            condition=where,
            method=method,
            by=by,
            density=density,
            points=len(found.points),
            runs=len(data.runs),
            missing=data.missing,
            files=sorted(p.name for p in written),
        )
        write_json(tmp / "manifest.json", record)
    return found, out


def _sweep_hash(folder: Path) -> str | None:
    import json

    from talentsim.storage.folders import read_small_text

    text = read_small_text(folder / "manifest.json")
    try:
        return json.loads(text or "{}").get("scenario_hash")
    except ValueError:
        return None
