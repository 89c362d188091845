"""Employers in the US and in China, as a table of arrays, and sampling firms for workers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from talentsim.scenario import FirmsConfig, PayConfig
from talentsim.taxonomy import CN_SECTORS, FIRM_KINDS, US_SECTORS, Country


@dataclass
class FirmTable:
    """Firm attributes, one entry per firm id (0..n-1)."""

    kind: np.ndarray  # index into FIRM_KINDS
    country: np.ndarray  # Country
    sector: np.ndarray  # index into US_SECTORS or CN_SECTORS, by country
    startup: np.ndarray  # bool
    size: np.ndarray  # relative size (Pareto), sets hiring weight
    wage_mult: np.ndarray  # firm wage level relative to its sector
    equity_rate: np.ndarray  # equity granted per year, share of salary
    recruiting: np.ndarray  # how hard it recruits Chinese-born talent (weights hiring)

    def __len__(self) -> int:
        return len(self.kind)

    def sector_key(self) -> np.ndarray:
        """A single code per firm: US sectors first, then Chinese sectors."""
        return np.where(self.country == Country.US, self.sector, len(US_SECTORS) + self.sector)


def build_firms(config: FirmsConfig, pay: PayConfig, rng: np.random.Generator) -> FirmTable:
    """Create the firms of a run.

    Sizes are Pareto with exponent `config.size_alpha`; wage levels log-normal with sd
    `pay.firm_sd` around their sector's level.
    """
    rows = []
    for kind_index, (key, country, sector, startup) in enumerate(FIRM_KINDS):
        kind = getattr(config, key)
        rows.append((kind_index, country, sector, startup, kind))
    counts = [row[4].count for row in rows]
    total = sum(counts)
    kind = np.repeat([r[0] for r in rows], counts).astype(np.int8)
    country = np.repeat([int(r[1]) for r in rows], counts).astype(np.int8)
    sector = np.repeat([r[2] for r in rows], counts).astype(np.int8)
    startup = np.repeat([r[3] for r in rows], counts).astype(bool)
    equity = np.repeat([r[4].equity_rate for r in rows], counts).astype(np.float64)
    recruiting = np.repeat([r[4].recruiting for r in rows], counts).astype(np.float64)
    size = (1.0 - rng.random(total)) ** (-1.0 / config.size_alpha)
    size = np.where(startup, size * 0.1, size)  # start-ups hire an order of magnitude less
    wage_mult = np.exp(pay.firm_sd * rng.standard_normal(total) - 0.5 * pay.firm_sd**2)
    return FirmTable(kind, country, sector, startup, size, wage_mult, equity, recruiting)


class FirmSampler:
    """Draw firms within a sector with probability proportional to a weight."""

    def __init__(self, firms: FirmTable, country: Country, weight: np.ndarray) -> None:
        """Prepare cumulative weights per sector of one country."""
        n_sectors = len(US_SECTORS) if country == Country.US else len(CN_SECTORS)
        self.ids: list[np.ndarray] = []
        self.cdf: list[np.ndarray] = []
        for s in range(n_sectors):
            ids = np.flatnonzero((firms.country == country) & (firms.sector == s))
            if len(ids) == 0:
                raise ValueError(f"no firm in sector {s} of country {country.name}")
            cdf = np.cumsum(weight[ids])
            if not cdf[-1] > 0:
                raise ValueError(f"every firm in sector {s} of {country.name} has weight 0")
            self.ids.append(ids.astype(np.intp))
            self.cdf.append(cdf / cdf[-1])

    def draw_excluding(self, sectors: np.ndarray, u: np.ndarray, exclude: np.ndarray) -> np.ndarray:
        """Like :meth:`draw`, but never the firm in `exclude` (-1 if no other firm exists).

        The excluded firm's slice of the cumulative weights is skipped, so the other firms
        keep their relative chances.
        """
        out = np.empty(len(sectors), dtype=np.intp)
        for s, (ids, cdf) in enumerate(zip(self.ids, self.cdf, strict=True)):
            rows = np.flatnonzero(sectors == s)
            if len(rows) == 0:
                continue
            own = exclude[rows]
            j = np.minimum(np.searchsorted(ids, own), len(ids) - 1)
            mine = ids[j] == own
            low = np.where(j > 0, cdf[np.maximum(j - 1, 0)], 0.0)
            width = np.where(mine, cdf[j] - low, 0.0)
            target = u[rows] * (1.0 - width)
            target = np.where(mine & (target >= low), target + width, target)
            pick = np.minimum(np.searchsorted(cdf, target, side="right"), len(ids) - 1)
            out[rows] = np.where(width >= 1.0, -1, ids[pick])
        return out

    def draw(self, sectors: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One firm id per entry of `sectors`, using the uniforms `u`."""
        out = np.empty(len(sectors), dtype=np.intp)
        for s, (ids, cdf) in enumerate(zip(self.ids, self.cdf, strict=True)):
            mask = sectors == s
            if mask.any():
                pick = np.searchsorted(cdf, u[mask], side="right")
                out[mask] = ids[np.minimum(pick, len(ids) - 1)]
        return out
