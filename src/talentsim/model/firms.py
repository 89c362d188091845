"""Employers in the US and in China, as a table of arrays, and sampling firms for workers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from talentsim.scenario.economy import FirmsConfig, PayConfig
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


#: Buckets per unit of the sampler's keys in its guide table (a power of two).
_GUIDE_BUCKETS = 4096
#: Keys a bucket of the guide table may span before a binary search is cheaper.
_GUIDE_MAX_WIDTH = 8


class FirmSampler:
    """Draw firms within a sector with probability proportional to a weight.

    The sectors' cumulative weights are laid end to end, sector s on (s, s + 1], so that
    one binary search serves workers of every sector at once.
    """

    def __init__(self, firms: FirmTable, country: Country, weight: np.ndarray) -> None:
        """Prepare cumulative weights per sector of one country."""
        n_sectors = len(US_SECTORS) if country == Country.US else len(CN_SECTORS)
        ids, keys, first, last = [], [], [], []
        for s in range(n_sectors):
            members = np.flatnonzero((firms.country == country) & (firms.sector == s))
            if len(members) == 0:
                raise ValueError(f"no firm in sector {s} of country {country.name}")
            cdf = np.cumsum(weight[members])
            if not cdf[-1] > 0:
                raise ValueError(f"every firm in sector {s} of {country.name} has weight 0")
            first.append(sum(len(i) for i in ids))
            ids.append(members)
            keys.append(cdf / cdf[-1])
            last.append(first[-1] + len(members) - 1)
        self.ids = np.concatenate(ids).astype(np.intp)
        self.cdf = np.concatenate(keys)  # within-sector cumulative shares
        self.sector = np.repeat(np.arange(n_sectors), [len(i) for i in ids])
        self.keys = self.sector + self.cdf
        self.first = np.array(first)
        self.last = np.array(last)
        self.position = np.full(len(firms), -1, dtype=np.intp)  # firm id -> index here
        self.position[self.ids] = np.arange(len(self.ids))
        self._build_guide(n_sectors)

    def _build_guide(self, n_sectors: int) -> None:
        """A guide table for :meth:`_search`: where to start looking for each bucket.

        The keys lie in [0, n_sectors]; bucket b of width 1/_GUIDE_BUCKETS starts its search
        at the number of keys <= (b - 1) / _GUIDE_BUCKETS. A key <= x is then among the
        `_guide_width` keys from there, for any x in bucket b (a power of two makes the
        bucket edges exact, and the bucket of x is computed with room of a whole bucket).
        """
        edges = np.arange((n_sectors + 1) * _GUIDE_BUCKETS + 3)
        self._guide = np.searchsorted(self.keys, (edges - 1) / _GUIDE_BUCKETS, side="right")
        ends = np.searchsorted(self.keys, (edges + 2) / _GUIDE_BUCKETS, side="right")
        self._guide_width = int((ends - self._guide).max())
        self._padded_keys = np.append(self.keys, np.full(self._guide_width, np.inf))

    def _search(self, values: np.ndarray) -> np.ndarray:
        """`np.searchsorted(self.keys, values, side="right")` for values in [0, n_sectors].

        The count of keys <= each value, by the guide table: faster than a binary search
        over all keys, whose branches the processor cannot predict.
        """
        if self._guide_width > _GUIDE_MAX_WIDTH:
            return np.searchsorted(self.keys, values, side="right")
        bucket = (values * _GUIDE_BUCKETS).astype(np.intp)
        np.clip(bucket, 0, len(self._guide) - 1, out=bucket)
        start = self._guide[bucket]
        count = start.copy()
        for offset in range(self._guide_width):
            count += self._padded_keys[start + offset] <= values
        return count

    def _pick(self, sectors: np.ndarray, shares: np.ndarray) -> np.ndarray:
        """The firm at cumulative share `shares` of each entry's sector."""
        pick = self._search(sectors + shares)
        return self.ids[np.minimum(pick, self.last[sectors])]

    def draw(self, sectors: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One firm id per entry of `sectors`, using the uniforms `u`."""
        return self._pick(sectors, u)

    def draw_excluding(self, sectors: np.ndarray, u: np.ndarray, exclude: np.ndarray) -> np.ndarray:
        """Like :meth:`draw`, but never the firm in `exclude` (-1 if no other firm exists).

        The excluded firm's slice of the cumulative weights is skipped, so the other firms
        keep their relative chances.
        """
        j = self.position[exclude]
        mine = (j >= 0) & (self.sector[np.maximum(j, 0)] == sectors)
        j = np.where(mine, j, 0)
        low = np.where(mine & (j > self.first[sectors]), self.cdf[np.maximum(j - 1, 0)], 0.0)
        width = np.where(mine, self.cdf[j] - low, 0.0)
        target = u * (1.0 - width)
        target = np.where(mine & (target >= low), target + width, target)
        return np.where(width >= 1.0, -1, self._pick(sectors, target))
