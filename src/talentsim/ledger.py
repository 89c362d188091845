"""Running totals of people and pay, kept up to date by the events that change them.

Counting every worker at every step would be a pass over all slots; instead, each event
that moves a worker (entry, exit, promotion, a new job, a return, a re-migration) takes the
workers out of the totals before the change and puts them back after. In audit mode the
model also recounts from scratch every step and checks the ledger against the count.
"""

from __future__ import annotations

import numpy as np

from talentsim.macro import CHINA_WAGE_GROUP
from talentsim.people import People
from talentsim.taxonomy import CN_SECTORS, LEVELS, SEGMENTS

STOCK_BINS = 2 * len(SEGMENTS)  # (country, segment)
LEVEL_BINS = 2 * len(LEVELS)  # (country, level)
PAY_BINS = CHINA_WAGE_GROUP + len(CN_SECTORS)  # wage groups


def count(people: People, slots: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Totals over `slots`.

    People by (country, segment) and by (country, level), and weight x pay factor by wage
    group.
    """
    weight = people.weight[slots]
    country = people.country[slots].astype(np.intp)
    stock = np.bincount(
        country * len(SEGMENTS) + people.segment[slots], weights=weight, minlength=STOCK_BINS
    )
    levels = np.bincount(
        country * len(LEVELS) + people.level[slots], weights=weight, minlength=LEVEL_BINS
    )
    pay = np.bincount(
        people.wage_group[slots], weights=weight * people.pay_factor[slots], minlength=PAY_BINS
    )
    return stock, levels, pay


class Ledger:
    """Totals over active workers: `stock` by (country, segment), `pay` by wage group."""

    def __init__(self) -> None:
        self.stock = np.zeros(STOCK_BINS)
        self.levels = np.zeros(LEVEL_BINS)
        self.pay = np.zeros(PAY_BINS)
        self.agents = 0  # active agents (unweighted)

    def add(self, people: People, slots: np.ndarray | slice) -> None:
        """Put workers (in their current state) into the totals."""
        stock, levels, pay = count(people, slots)
        self.stock += stock
        self.levels += levels
        self.pay += pay
        self.agents += len(people.weight[slots])

    def remove(self, people: People, slots: np.ndarray | slice) -> None:
        """Take workers (in their current state) out of the totals."""
        stock, levels, pay = count(people, slots)
        self.stock -= stock
        self.levels -= levels
        self.pay -= pay
        self.agents -= len(people.weight[slots])

    def promote(self, people: People, slots: np.ndarray, raise_factor: float) -> None:
        """Record a promotion of `slots` (call before the change).

        They move up one level and their pay factor is multiplied by `raise_factor`.
        """
        weight = people.weight[slots]
        code = people.country[slots].astype(np.intp) * len(LEVELS) + people.level[slots]
        moved = np.bincount(code, weights=weight, minlength=LEVEL_BINS).reshape(2, -1)
        self.levels -= moved.ravel()
        up = np.zeros_like(moved)
        up[:, 1:] = moved[:, :-1]  # one level up, in the same country
        up[:, -1] += moved[:, -1]  # (nobody is promoted from the top; kept for safety)
        self.levels += up.ravel()
        self.pay += np.bincount(
            people.wage_group[slots],
            weights=weight * people.pay_factor[slots] * (raise_factor - 1.0),
            minlength=PAY_BINS,
        )

    def rebuild(self, people: People) -> None:
        """Recount from scratch (after a change that touches everyone)."""
        self.stock, self.levels, self.pay = recount(people)
        self.agents = int(np.count_nonzero(people.view("active")))


def recount(people: People) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The totals counted over every active worker."""
    return count(people, np.flatnonzero(people.view("active")))
