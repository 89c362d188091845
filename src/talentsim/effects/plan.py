"""The plan of a policy-effects study: scenarios x posterior draws x replicates, paired.

Every scenario (the baseline first) runs at the same K posterior draws, R replicates each.
Run (draw k, replicate r) of every scenario is seeded alike, from the baseline's seed and
(k, r), so that a policy's run and the baseline's run of the same draw and replicate share
their random numbers (common random numbers) and their difference is the policy's effect
with that draw's parameters. Each scenario's runs are one sweep with a table design of
the draws, stored under ``runs/<label>/`` (resumable, on any backend).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentsim.errors import TalentsimError
from talentsim.runs.designs import DesignError
from talentsim.runs.outputs import safe_label
from talentsim.runs.sweep import SweepPlan, plan_sweep
from talentsim.scenario.keys import get_value, numeric_keys
from talentsim.scenario.loader import LoadedScenario, resolved_dict
from talentsim.scenario.sweep_block import SweepConfig
from talentsim.storage.folders import check_output, folder_kind, read_small_text

#: The baseline's posterior, shipped with the package (its calibration: results/calibration).
PACKAGED_POSTERIOR = Path(__file__).resolve().parent.parent / "data" / "posterior"
SAMPLE_FILE = "posterior_sample.csv"
DEFAULT_DRAWS = 20
DEFAULT_REPLICATES = 2
#: What a policy scenario must share with the baseline for its runs to pair with it.
SHARED_BLOCKS = ("time", "population")


class EffectsError(TalentsimError):
    """Options, a posterior or scenarios that a policy-effects study cannot use."""


@dataclass(frozen=True)
class Posterior:
    """The posterior draws a study runs at, and where they come from."""

    folder: Path
    draws: pd.DataFrame  # K rows, one column per calibrated key
    sha256: str  # of the sample file, as read
    held: int  # draws the folder holds


@dataclass
class EffectsPlan:
    """Everything an effects study runs, and where."""

    baseline: LoadedScenario
    scenarios: list[LoadedScenario]  # the policies, in the order given
    labels: list[str]  # the baseline's first, then the policies'
    posterior: Posterior
    replicates: int
    folder: Path
    sweeps: list[SweepPlan]  # one per label, the baseline's first

    @property
    def posterior_name(self) -> str:
        """The posterior's folder, or "the baseline's posterior" for the packaged one."""
        folder = self.posterior.folder
        if folder == PACKAGED_POSTERIOR:
            return "the baseline's posterior (packaged: talentsim/data/posterior)"
        return f"the posterior in `{folder}`"

    @property
    def draws(self) -> int:
        """Posterior draws per scenario (K)."""
        return len(self.posterior.draws)

    @property
    def entropy(self) -> int:
        """The entropy of every run's seed sequence: the baseline's seed."""
        return int(self.baseline.scenario.seed)

    @property
    def runs(self) -> int:
        """Runs in all: scenarios x draws x replicates."""
        return sum(len(s.runs) for s in self.sweeps)

    def identity(self) -> dict[str, Any]:
        """What makes the study this one (a folder holding another is refused)."""
        return {
            "baseline_hash": self.baseline.hash,
            "scenario_hashes": [s.hash for s in self.scenarios],
            "labels": self.labels,
            "posterior_sha256": self.posterior.sha256,
            "draws": self.draws,
            "replicates": self.replicates,
        }


def read_posterior(folder: Path | None, draws: int) -> Posterior:
    """The first `draws` draws of a calibration folder's posterior sample.

    Args:
        folder: A folder written by `talentsim calibrate` (None: the baseline's packaged one).
        draws: K, at least 1 and at most the draws the folder holds.

    Raises:
        EffectsError: If the folder is not a calibration output, its sample cannot be read,
            or holds fewer than `draws` draws.
    """
    if draws < 1:
        raise EffectsError(f"--draws must be at least 1, got {draws}")
    folder = Path(folder) if folder is not None else PACKAGED_POSTERIOR
    what = "a folder written by `talentsim calibrate` (manifest.json and posterior_sample.csv)"
    if not folder.is_dir():
        raise EffectsError(f"--posterior {folder}: no such folder; give {what}")
    kind = folder_kind(folder)
    if kind != "calibration":
        found = f"a talentsim {kind} result" if kind else "no talentsim manifest.json"
        raise EffectsError(
            f"--posterior {folder} is not a calibration output ({found}); give {what}"
        )
    path = folder / SAMPLE_FILE
    text = read_small_text(path, limit=20 * 2**20)
    if text is None and (path.is_file() or path.is_symlink()):
        raise EffectsError(
            f"{path} cannot be read as a posterior sample: not a regular text file of at most "
            "20 MB (its content is not shown)"
        )
    if text is None:
        raise EffectsError(
            f"--posterior {folder} has no {SAMPLE_FILE} (a calibration folder of an "
            "earlier version, or an unfinished one); run the calibration again"
        )
    sample = _parse_sample(path, text)
    if draws > len(sample):
        raise EffectsError(
            f"--draws {draws} is more than the {len(sample)} posterior draws {path} holds; "
            f"give --draws {len(sample)} or less"
        )
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Posterior(folder, sample.head(draws).reset_index(drop=True), sha, len(sample))


def _parse_sample(path: Path, text: str) -> pd.DataFrame:
    import io

    unreadable = EffectsError(
        f"{path} cannot be read as a posterior sample (a header of calibrated scenario keys, "
        "then one number per cell); its content is not shown"
    )
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        raise unreadable from None
    known = numeric_keys()
    if (
        frame.empty
        or any(str(c) not in known for c in frame.columns)
        or not all(
            pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
            for c in frame.columns
        )
        or not np.isfinite(frame.to_numpy(dtype=float)).all()
    ):
        raise unreadable
    fixed = [
        c for c in frame.columns if str(c).split(".")[0] in (*SHARED_BLOCKS, "seed", "replicates")
    ]
    if fixed:
        raise EffectsError(
            f"{path} sets {fixed[0]}, which is not a calibrated parameter: a posterior sample "
            "may not change the run's period, pool or seeds (the pairs would not match)"
        )
    return frame


def check_scenarios(
    baseline: LoadedScenario, scenarios: list[LoadedScenario], keys: list[str]
) -> None:
    """Each policy must pair with the baseline: same run length and pool, extends it.

    Args:
        baseline: The baseline.
        scenarios: The policies.
        keys: The posterior's calibrated keys (set by the draws in every run).

    Raises:
        EffectsError: Naming the scenario and what differs.
    """
    if not scenarios:
        raise EffectsError("give at least one policy scenario after the baseline")
    hashes = [s.hash for s in scenarios]
    for i, loaded in enumerate(scenarios):
        if loaded.hash in hashes[:i]:
            raise EffectsError(
                f"{_where(loaded)} is given twice (the same resolved scenario); give each "
                "policy once"
            )
    base = resolved_dict(baseline.scenario)
    base_file = _identity(baseline.files[0]) if baseline.files else None
    for loaded in scenarios:
        data, name = resolved_dict(loaded.scenario), _where(loaded)
        for block in SHARED_BLOCKS:
            if data[block] != base[block]:
                differing = sorted(k for k in base[block] if data[block].get(k) != base[block][k])
                what = "run length" if block == "time" else "pool"
                raise EffectsError(
                    f"{name}: its {what} differs from the baseline's ({block}."
                    f"{', '.join(differing)}); a policy's runs pair with the baseline's only "
                    f"over the same period and pool: set the same {block} (or give it with --set)"
                )
        if base_file is not None and base_file not in {_identity(f) for f in loaded.files}:
            raise EffectsError(
                f"{name} does not extend the baseline's model ({baseline.files[0]}); a policy "
                "scenario must `extends:` the baseline (directly or through others) so that "
                "its effect is the policy's alone"
            )
        for key in keys:
            if get_value(loaded.scenario, key) != get_value(baseline.scenario, key):
                raise EffectsError(
                    f"{name} sets {key}, which the posterior's draws set in every run, so its "
                    "change would be lost; express the policy as a timeline intervention "
                    "(`timeline:` with scale, add or set from a year) instead"
                )


def _identity(file: str) -> str:
    """A scenario file by its content: the packaged baseline and a copy of it are the same."""
    try:
        return hashlib.sha256(Path(file).read_bytes()).hexdigest()
    except OSError:
        return str(Path(file).resolve())


def _where(loaded: LoadedScenario) -> str:
    return loaded.files[0] if loaded.files else f"scenario {loaded.scenario.name!r}"


def unique_labels(loaded: list[LoadedScenario]) -> list[str]:
    """Folder-safe labels of the scenarios (their names, numbered when repeated)."""
    names = [safe_label(item.scenario.name) for item in loaded]
    labels: list[str] = []
    for name in names:
        label, k = name, 1
        while label in labels or (label != name and label in names):
            k += 1
            label = f"{name}-{k}"
        labels.append(label)
    return labels


def plan_effects(
    baseline: LoadedScenario,
    scenarios: list[LoadedScenario],
    posterior: Posterior,
    replicates: int,
    folder: Path,
) -> EffectsPlan:
    """The sweeps of a study (nothing is written).

    Raises:
        EffectsError: For scenarios that cannot pair with the baseline, or a folder that
            holds something else.
    """
    if replicates < 1:
        raise EffectsError(f"--replicates must be at least 1, got {replicates}")
    keys = list(posterior.draws.columns)
    check_scenarios(baseline, scenarios, keys)
    check_output(folder, "effects", "reuse")
    labels = unique_labels([baseline, *scenarios])
    entropy = int(baseline.scenario.seed)
    sweeps = []
    for label, loaded in zip(labels, [baseline, *scenarios], strict=True):
        block = SweepConfig(
            design="table",
            table=f"posterior-{posterior.sha256[:12]}-k{len(posterior.draws)}.csv",
            replicates=replicates,
        )
        design = dataclasses.replace(
            loaded, scenario=loaded.scenario.model_copy(update={"sweep": block})
        )
        try:
            sweeps.append(
                plan_sweep(design, folder / "runs" / label, posterior.draws, entropy=entropy)
            )
        except DesignError as err:
            where = err.key.removeprefix("sweep.parameters.").removeprefix("sweep")
            raise EffectsError(
                f"{_where(loaded)}: a draw of the posterior makes an invalid scenario"
                + (f" at {where}" if where else "")
                + " (the sample's values are not shown); check the posterior folder"
            ) from None
    plan = EffectsPlan(baseline, scenarios, labels, posterior, replicates, folder, sweeps)
    _check_same_study(plan)
    return plan


def _check_same_study(plan: EffectsPlan) -> None:
    text = read_small_text(plan.folder / "manifest.json")
    if text is None:
        return
    try:
        old = json.loads(text).get("study")
    except (ValueError, AttributeError):
        old = None
    if old != plan.identity():
        raise EffectsError(
            f"{plan.folder} holds another effects study (other scenarios, posterior, draws or "
            "replicates); choose another --out"
        )


def default_folder(
    baseline: LoadedScenario, scenarios: list[LoadedScenario], posterior: Posterior, replicates: int
) -> Path:
    """results/effects/<baseline>-<hash of the study>: the same command finds it again."""
    from talentsim.runs.outputs import ROOT

    key = "|".join(
        [
            baseline.hash,
            *(s.hash for s in scenarios),
            posterior.sha256,
            str(len(posterior.draws)),
            str(replicates),
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return ROOT / "effects" / f"{safe_label(baseline.scenario.name)}-{digest}"


def plan_study(
    baseline: LoadedScenario,
    scenarios: list[LoadedScenario],
    posterior: str | Path | None,
    draws: int | None,
    replicates: int | None,
    out: str | Path | None,
) -> EffectsPlan:
    """The plan of a study from the command's options (defaults filled in).

    Raises:
        EffectsError: For bad options, posterior or scenarios.
    """
    draws = DEFAULT_DRAWS if draws is None else draws
    sample = read_posterior(Path(posterior) if posterior else None, draws)
    replicates = replicates or DEFAULT_REPLICATES
    folder = Path(out) if out else default_folder(baseline, scenarios, sample, replicates)
    return plan_effects(baseline, scenarios, sample, replicates, folder)
