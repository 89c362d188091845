"""Random streams with common random numbers.

Every random decision of the model draws from its own stream, keyed by (run seed, decision,
step), and draws one number per agent slot. Two scenarios that share a seed therefore give
every agent the same draws for the same decision at the same step: they agree exactly until
an intervention changes something, and differ afterwards by the intervention's effect rather
than by reshuffled noise.

Draws for every slot come from PCG64, re-seeded for each (decision, step) from a key
hashed with SplitMix64 from the run's seed sequence. Draws for a subset of slots (the few
workers who hold an offer, say) come from a counter-based generator: the value for slot i
is the i-th output of SplitMix64 seeded for (decision, step), so it does not depend on
which other slots are drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from enum import IntEnum

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN_INT = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1
_MASK128 = (1 << 128) - 1
_LITTLE_ENDIAN = sys.byteorder == "little"


def _mix(x: int) -> int:
    """SplitMix64's output function on a Python integer (to key a counter-based stream)."""
    z = (x + _GOLDEN_INT) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


#: Columns available per slot from :meth:`Streams.slot_uniform`.
SLOT_COLUMNS = 16
_SLOT_STRIDE = np.uint64((SLOT_COLUMNS * _GOLDEN_INT) & _MASK)  # a slot's step: 16 G mod 2^64
_COLUMN_STEPS = np.arange(SLOT_COLUMNS, dtype=np.uint64) * _GOLDEN  # column c's step: c G


def _mix_in_place(z: np.ndarray) -> None:
    """SplitMix64's output function (Steele, Lea and Flood 2014) on z = x + golden, in place.

    Array arithmetic on unsigned integers wraps modulo 2^64, as the algorithm needs.
    """
    shifted = z >> np.uint64(30)
    z ^= shifted
    z *= _MIX1
    np.right_shift(z, np.uint64(27), out=shifted)
    z ^= shifted
    z *= _MIX2
    np.right_shift(z, np.uint64(31), out=shifted)
    z ^= shifted


class SlotBits:
    """One uniform draw per slot, held as 32-bit integers (u = bits / 2^32).

    Comparing integers against a threshold avoids converting every draw to a float, and a
    64-bit generator output gives two slots' draws, so this is several times cheaper than
    `Generator.random` for the per-step, every-slot decisions.
    """

    def __init__(self, bits: np.ndarray) -> None:
        self.bits = bits

    def below(self, probability: float) -> np.ndarray:
        """For every slot, whether its draw falls below a common probability."""
        if probability <= 0.0:
            return np.zeros(len(self.bits), dtype=bool)
        threshold = np.ceil(probability * 2.0**32)
        if threshold >= 2.0**32:
            return np.ones(len(self.bits), dtype=bool)
        return self.bits < np.uint32(threshold)

    def at(self, slots: np.ndarray) -> np.ndarray:
        """The draws of some slots as floats in [0, 1)."""
        return self.bits[slots] * 2.0**-32


class Draw(IntEnum):
    """The model's random decisions; each value keys its own stream."""

    INIT = 1
    ENTRY = 2
    EXIT = 3
    PROMOTION = 4
    VISA = 5
    FAMILY = 6
    CHINA_OFFER = 7
    OFFER_TERMS = 8
    US_OFFER = 11
    DECISION = 12
    SURVEY = 14
    FIRMS = 16
    REMIGRATION_TERMS = 17
    REMIGRATION_CHOICE = 18
    REMIGRATION_PAY = 19
    US_OFFER_TERMS = 20
    US_OFFER_START = 22  # first date of a new schedule (creation, a move, new hazards)
    FAMILY_START = 23
    PROMOTION_START = 24
    US_OFFER_MOVE = 25  # schedules re-drawn when a worker changes country
    PROMOTION_MOVE = 26
    VISA_ROUTE = 27  # another route to a work status for a worker about to lose theirs
    REASON = 28  # whether a forced returnee names unfavourable conditions abroad


def run_seed_sequence(seed: int, replicate: int) -> np.random.SeedSequence:
    """The seed sequence of one replicate of a scenario."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(replicate,))


class Streams:
    """Per-decision, per-step generators derived from one run's seed sequence."""

    def __init__(self, seed_sequence: np.random.SeedSequence) -> None:
        """Keep the run's seed sequence; streams are made on demand."""
        self.entropy = seed_sequence.entropy
        self.spawn_key = tuple(seed_sequence.spawn_key)
        self.base = int(seed_sequence.generate_state(1, dtype=np.uint64)[0])
        # One bit generator, re-seeded for each every-slot draw: setting a state is ten
        # times cheaper than making a generator.
        self._bits = np.random.PCG64(0)

    def generator(self, draw: Draw, step: int) -> np.random.Generator:
        """A fresh generator for one decision at one step."""
        sequence = np.random.SeedSequence(
            entropy=self.entropy, spawn_key=(*self.spawn_key, int(draw), step)
        )
        return np.random.Generator(np.random.PCG64(sequence))

    def _key(self, draw: Draw, step: int) -> int:
        """A 64-bit key of (run, decision, step), by SplitMix64 hashing."""
        return _mix(_mix(self.base + int(draw) * _GOLDEN_INT) + step * _GOLDEN_INT)

    def slot_bits(self, draw: Draw, step: int, n: int) -> SlotBits:
        """One uniform per slot 0..n-1 as :class:`SlotBits` (prefix-stable in n).

        PCG64 seeded with a 128-bit state and an odd increment hashed from the key.
        """
        key = self._key(draw, step)
        high, low, inc = _mix(key), _mix(key ^ 0x5851F42D4C957F2D), _mix(key + 1)
        self._bits.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": (high << 64) | low,
                "inc": (((inc << 64) | high) << 1 | 1) & _MASK128,
            },
            "has_uint32": 0,
            "uinteger": 0,
        }
        raw = self._bits.random_raw((n + 1) // 2)
        # Low half to even slots, high half to odd ones, whatever the machine's byte order.
        if _LITTLE_ENDIAN:  # a view already has that layout
            return SlotBits(raw.view(np.uint32)[:n])
        halves = np.empty((len(raw), 2), dtype=np.uint32)
        halves[:, 0] = raw & np.uint64(0xFFFFFFFF)
        halves[:, 1] = raw >> np.uint64(32)
        return SlotBits(halves.reshape(-1)[:n])

    def uniform(self, draw: Draw, step: int, n: int, columns: int = 1) -> np.ndarray:
        """Uniform draws in [0, 1), one row per slot 0..n-1 (prefix-stable in n)."""
        gen = self.generator(draw, step)
        if columns == 1:
            return gen.random(n)
        return gen.random((n, columns))

    def normal(self, draw: Draw, step: int, n: int) -> np.ndarray:
        """Standard normal draws, one per slot 0..n-1."""
        return self.generator(draw, step).standard_normal(n)

    def slot_uniform(self, draw: Draw, step: int, slots: np.ndarray, columns: int) -> np.ndarray:
        """Uniforms in (0, 1) for some slots, shape (len(slots), columns).

        Row j belongs to slot slots[j] whatever the other rows are (counter-based).
        """
        if columns > SLOT_COLUMNS:
            raise ValueError(f"at most {SLOT_COLUMNS} columns per slot")
        # splitmix64(seed + counter * golden) with counter = slot * SLOT_COLUMNS + column,
        # regrouped (exactly, modulo 2^64) as slot * stride + a constant per column.
        offsets = _COLUMN_STEPS[:columns] + np.uint64((self._key(draw, step) + _GOLDEN_INT) & _MASK)
        z = np.asarray(slots).astype(np.int64, copy=False).view(np.uint64) * _SLOT_STRIDE
        z = np.add(z[:, None], offsets)
        _mix_in_place(z)
        z >>= np.uint64(11)
        u = z.astype(np.float64)
        u += 0.5
        u *= 2.0**-53
        return u

    def slot_normal(self, draw: Draw, step: int, slots: np.ndarray, columns: int) -> np.ndarray:
        """Standard normals for some slots (Box-Muller on two counter-based uniforms each)."""
        return box_muller(self.slot_uniform(draw, step, slots, 2 * columns))


def box_muller(u: np.ndarray) -> np.ndarray:
    """Standard normals from pairs of uniforms in (0, 1): columns k and k + m of 2m columns."""
    m = u.shape[1] // 2
    return np.sqrt(-2.0 * np.log(u[:, :m])) * np.cos(2.0 * np.pi * u[:, m : 2 * m])


def thresholds_below(
    thresholds: Iterable[np.ndarray | float], values: np.ndarray, *, inclusive: bool = True
) -> np.ndarray:
    """How many thresholds lie at or below (`inclusive`) or strictly below each value.

    With ascending cumulative shares as thresholds, the category of a uniform draw. Counted
    one threshold at a time: for a handful of categories a binary search costs more.
    """
    count = np.zeros(len(values), dtype=np.intp)
    for threshold in thresholds:
        count += (threshold <= values) if inclusive else (threshold < values)
    return count
