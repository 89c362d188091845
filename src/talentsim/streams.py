"""Random streams with common random numbers.

Every random decision of the model draws from its own stream, keyed by (run seed, decision,
step), and draws one number per agent slot. Two scenarios that share a seed therefore give
every agent the same draws for the same decision at the same step: they agree exactly until
an intervention changes something, and differ afterwards by the intervention's effect rather
than by reshuffled noise.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Draw(IntEnum):
    """The model's random decisions; each value keys its own stream."""

    INIT = 1
    ENTRY = 2
    EXIT = 3
    PROMOTION = 4
    VISA = 5
    FAMILY = 6
    CHINA_OFFER = 7
    CHINA_SECTOR = 8
    CHINA_FIRM = 9
    OFFER_PAY = 10
    US_OFFER = 11
    DECISION = 12
    REMIGRATION = 13
    SURVEY = 14
    PEERS = 15
    FIRMS = 16
    REMIGRATION_TERMS = 17
    REMIGRATION_CHOICE = 18


def run_seed_sequence(seed: int, replicate: int) -> np.random.SeedSequence:
    """The seed sequence of one replicate of a scenario."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(replicate,))


class Streams:
    """Per-decision, per-step generators derived from one run's seed sequence."""

    def __init__(self, seed_sequence: np.random.SeedSequence) -> None:
        """Keep the run's seed sequence; streams are made on demand."""
        self.entropy = seed_sequence.entropy
        self.spawn_key = tuple(seed_sequence.spawn_key)

    def generator(self, draw: Draw, step: int) -> np.random.Generator:
        """A fresh generator for one decision at one step."""
        sequence = np.random.SeedSequence(
            entropy=self.entropy, spawn_key=(*self.spawn_key, int(draw), step)
        )
        return np.random.Generator(np.random.PCG64(sequence))

    def uniform(self, draw: Draw, step: int, n: int, columns: int = 1) -> np.ndarray:
        """Uniform draws in [0, 1), one row per slot 0..n-1 (prefix-stable in n)."""
        gen = self.generator(draw, step)
        if columns == 1:
            return gen.random(n)
        return gen.random((n, columns))

    def normal(self, draw: Draw, step: int, n: int) -> np.ndarray:
        """Standard normal draws, one per slot 0..n-1."""
        return self.generator(draw, step).standard_normal(n)
