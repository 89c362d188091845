"""Neural posterior estimation (sbi): train an ensemble, store its weights, condition it.

Each estimator of the ensemble is a conditional density estimator of the parameters given
the statistics, trained by maximum likelihood on simulations from the priors (sbi's NPE,
single round: the posterior is amortised, so conditioning it on other observed statistics
needs no new simulation). The ensemble pools its members' draws equally. Weights are stored
as PyTorch state dicts and read back with ``weights_only=True``: loading a folder never runs
code from it. sbi and torch are imported here only, so the rest of talentsim runs without.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from talentsim.calibration.free_space import FreeSpace
from talentsim.calibration.training import prior_draws, prior_log_density
from talentsim.errors import KeyedError
from talentsim.scenario.calibration_block import NpeSettings, Prior
from talentsim.storage.atomic import write_json, write_with

#: What a folder with a trained estimator holds besides the weights.
ESTIMATOR = "estimator.json"
#: The largest ensemble `npe.ensemble` allows (a stored description claiming more is refused).
MAX_MEMBERS = 20


class NpeError(KeyedError):
    """An estimator that cannot be trained, read or reused; `key` names the setting."""


@dataclass
class Simulations:
    """Training pairs: parameter values (rows) and the statistics they produced."""

    theta: np.ndarray  # (n, parameters)
    x: np.ndarray  # (n, statistics)
    parameters: list[str]
    statistics: list[str]

    def valid(self) -> Simulations:
        """The pairs whose statistics are all finite (a survey with no respondents is not)."""
        keep = np.isfinite(self.x).all(axis=1)
        return Simulations(self.theta[keep], self.x[keep], self.parameters, self.statistics)


class PriorForSbi:
    """The calibration's priors in free space (:mod:`.free_space`), as sbi's custom prior."""

    def __init__(self, priors: dict[str, Prior], seed: int) -> None:
        """Priors in parameter order; `seed` seeds the draws sbi asks for."""
        import torch

        self.priors = priors
        self.space = FreeSpace.of(priors)
        self._seed = np.random.SeedSequence(seed)
        moments = self.space.to_free(prior_draws(priors, 20_000, seed).to_numpy())
        self.mean = torch.as_tensor(moments.mean(axis=0), dtype=torch.float32)
        self.variance = torch.as_tensor(moments.var(axis=0), dtype=torch.float32)

    def sample(self, sample_shape: Any = ()) -> Any:  # noqa: D102
        import torch

        shape = tuple(sample_shape)
        n = int(np.prod(shape)) if shape else 1
        seed = int(self._seed.spawn(1)[0].generate_state(1)[0])
        free = self.space.to_free(prior_draws(self.priors, n, seed).to_numpy())
        free = free.astype(np.float32)
        return torch.from_numpy(free.reshape(*shape, len(self.priors)) if shape else free[0])

    def log_prob(self, value: Any) -> Any:  # noqa: D102
        import torch

        array = np.asarray(value, dtype=float)
        flat = array.reshape(-1, len(self.priors))
        density = prior_log_density(self.priors, self.space.from_free(flat))
        density = (density + self.space.log_jacobian(flat)).reshape(array.shape[:-1])
        return torch.as_tensor(density, dtype=torch.float32)


class NoTracker:
    """sbi's training tracker, discarding its metrics.

    By default sbi writes TensorBoard logs into ./sbi-logs, outside the output folder; the
    epochs and losses that matter go into the manifest.
    """

    log_dir = None

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:  # noqa: D102
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:  # noqa: D102
        pass

    def log_params(self, params: dict[str, Any]) -> None:  # noqa: D102
        pass

    def add_figure(self, name: str, figure: Any, step: int | None = None) -> None:  # noqa: D102
        pass

    def flush(self) -> None:  # noqa: D102
        pass


def sbi_prior(priors: dict[str, Prior], seed: int) -> Any:
    """The priors in free space, wrapped for sbi (their support is unbounded there)."""
    from sbi.utils.user_input_checks import process_prior

    with warnings.catch_warnings():  # sbi asks for bounds, which free space has none of
        warnings.filterwarnings("ignore", "No prior bounds were passed", UserWarning)
        wrapped, _, _ = process_prior(PriorForSbi(priors, seed))
    return wrapped


def _builder(settings: NpeSettings) -> Any:
    from sbi.neural_nets import posterior_nn

    return posterior_nn(model=settings.estimator)


@dataclass
class Ensemble:
    """Trained estimators (sbi posteriors in free space) and the map back to the parameters."""

    members: list[Any]
    space: FreeSpace

    def sample(self, observed: np.ndarray, n: int, seed: int) -> np.ndarray:
        """`n` posterior draws given the observed statistics, pooled equally over members."""
        import torch

        torch.manual_seed(seed)
        x_o = torch.as_tensor(observed, dtype=torch.float32)
        draws = [
            m.sample((c,), x=x_o, show_progress_bars=False).numpy()
            for m, c in zip(self.members, self._counts(n), strict=True)
            if c > 0
        ]
        return self.space.from_free(np.concatenate(draws).astype(float))

    def sample_batched(self, xs: np.ndarray, n: int, seed: int) -> np.ndarray:
        """`n` draws for each row of `xs`, pooled: shape (n, rows, parameters)."""
        import torch

        torch.manual_seed(seed)
        x = torch.as_tensor(xs, dtype=torch.float32)
        with warnings.catch_warnings():  # sbi caps its batch size to spare memory, and says so
            warnings.filterwarnings("ignore", "Capping max_sampling_batch_size", UserWarning)
            draws = [
                m.sample_batched((c,), x=x, show_progress_bars=False).numpy()
                for m, c in zip(self.members, self._counts(n), strict=True)
                if c > 0
            ]
        return self.space.from_free(np.concatenate(draws, axis=0).astype(float))

    def log_prob(self, theta: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """The pooled posterior's log density of rows of parameters (in free space)."""
        import torch

        u = torch.as_tensor(self.space.to_free(theta), dtype=torch.float32)
        x_o = torch.as_tensor(observed, dtype=torch.float32)
        with torch.no_grad():
            logs = torch.stack([m.log_prob(u, x=x_o, norm_posterior=False) for m in self.members])
        return (torch.logsumexp(logs, dim=0) - np.log(len(self.members))).numpy().astype(float)

    def _counts(self, n: int) -> list[int]:
        edges = np.linspace(0, n, len(self.members) + 1).round().astype(int)
        return [int(c) for c in np.diff(edges)]


def train(
    data: Simulations, priors: dict[str, Prior], settings: NpeSettings
) -> tuple[Ensemble, dict[str, Any]]:
    """Train the ensemble on the valid pairs; return it and what training did."""
    import torch
    from sbi.inference import NPE

    valid = data.valid()
    space = FreeSpace.of(priors)
    theta = torch.as_tensor(space.to_free(valid.theta), dtype=torch.float32)
    x = torch.as_tensor(valid.x, dtype=torch.float32)
    members, epochs, losses = [], [], []
    clock = time.perf_counter()
    for member in range(settings.ensemble):
        torch.manual_seed(settings.seed + member)
        inference = NPE(
            prior=sbi_prior(priors, settings.seed + member),
            density_estimator=_builder(settings),
            show_progress_bars=False,
            tracker=NoTracker(),
        )
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            # sbi prints when training stops, and warns of z-scoring a statistic whose
            # quartiles meet (a ranking's chance, mostly 0 or 1): harmless for bounded ones
            warnings.filterwarnings("ignore", "Data has extreme outliers", UserWarning)
            net = inference.append_simulations(theta, x).train(show_train_summary=False)
        members.append(inference.build_posterior(net))
        epochs.append(int(inference.summary["epochs_trained"][-1]))
        losses.append(float(inference.summary["best_validation_loss"][-1]))
    info = {
        "training_seconds": round(time.perf_counter() - clock, 1),
        "training_simulations": len(valid.theta),
        "invalid_simulations": len(data.theta) - len(valid.theta),
        "epochs": epochs,
        "best_validation_loss": [round(v, 4) for v in losses],
    }
    return Ensemble(members, space), info


def save(
    folder: Path,
    ensemble: Ensemble,
    data: Simulations,
    settings: NpeSettings,
    extra: dict[str, Any] | None = None,
) -> None:
    """Store the members' weights (estimator_K.pt) and what they were trained on."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    for k, member in enumerate(ensemble.members):
        state = member.posterior_estimator.state_dict()
        write_with(folder / f"estimator_{k}.pt", lambda tmp, s=state: torch.save(s, tmp))
    write_json(
        folder / ESTIMATOR,
        {
            "members": len(ensemble.members),
            "estimator": settings.estimator,
            "seed": settings.seed,
            "parameters": data.parameters,
            "statistics": data.statistics,
            **(extra or {}),
        },
    )


def read_description(folder: Path) -> dict[str, Any]:
    """The stored estimator's description (estimator.json).

    Raises:
        NpeError: If the folder holds no trained estimator.
    """
    path = folder / ESTIMATOR
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
        members = int(description["members"])
        if not 1 <= members <= MAX_MEMBERS:
            raise ValueError
        files = [folder / f"estimator_{k}.pt" for k in range(members)]
        if not all(f.is_file() for f in files):
            raise ValueError
        for key in ("parameters", "statistics"):
            if not all(isinstance(v, str) for v in description[key]):
                raise ValueError
    except (OSError, ValueError, KeyError, TypeError):
        raise NpeError(
            "--reuse",
            f"{folder} holds no trained estimator (a readable {ESTIMATOR} with its "
            "estimator_K.pt files, as `calibration.method: npe` writes them)",
        ) from None
    return description


def load(
    folder: Path, data: Simulations, priors: dict[str, Prior], settings: NpeSettings
) -> Ensemble:
    """The stored members, rebuilt around the training data's shapes and given their weights.

    Raises:
        NpeError: If a weights file cannot be read as this estimator's.
    """
    import torch
    from sbi.inference import DirectPosterior

    description = read_description(folder)
    valid = data.valid()
    space = FreeSpace.of(priors)
    theta = torch.as_tensor(space.to_free(valid.theta[:50]), dtype=torch.float32)
    x = torch.as_tensor(valid.x[:50], dtype=torch.float32)
    members = []
    for k in range(int(description["members"])):
        net = _builder(settings)(theta, x)
        try:
            state = torch.load(folder / f"estimator_{k}.pt", weights_only=True)
            net.load_state_dict(state)
        except Exception:  # torch raises many kinds for a file that is not these weights
            raise NpeError(
                "--reuse", f"{folder / f'estimator_{k}.pt'} is not the weights of this estimator"
            ) from None
        members.append(DirectPosterior(net, sbi_prior(priors, settings.seed + k)))
    return Ensemble(members, space)
