"""Running totals of people and pay, kept up to date by the events that change them.

Counting every worker at every step would be a pass over all slots; instead, each event
that moves a worker (entry, exit, promotion, a new job, a return, a re-migration) takes the
workers out of the totals before the change and puts them back after. In audit mode the
model also recounts from scratch every step and checks the ledger against the count.
"""

from __future__ import annotations

import numpy as np

from talentsim.model.people import People
from talentsim.taxonomy import CHINA_WAGE_GROUP, CN_SECTORS, EDUCATION, LEVELS, SEGMENTS

STOCK_BINS = 2 * len(SEGMENTS)  # (country, segment)
LEVEL_BINS = 2 * len(LEVELS)  # (country, level)
PAY_BINS = CHINA_WAGE_GROUP + len(CN_SECTORS)  # wage groups
DEGREE_BINS = 2 * len(EDUCATION)  # (country, degree)

Counts = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def count(people: People, slots: np.ndarray | slice) -> Counts:
    """Totals over `slots`.

    People by (country, segment) and by (country, level), weight x pay factor by wage
    group, and people by (country, degree).
    """
    return totals(
        people.weight[slots],
        people.country[slots],
        people.segment[slots],
        people.level[slots],
        people.wage_group[slots],
        people.pay_factor[slots],
        people.education[slots],
    )


def totals(
    weight: np.ndarray,
    country: np.ndarray,
    segment: np.ndarray,
    level: np.ndarray,
    wage_group: np.ndarray,
    factor: np.ndarray,
    education: np.ndarray,
) -> Counts:
    """The totals of :func:`count` from the workers' fields (one entry per worker)."""
    country = country.astype(np.intp)
    stock = np.bincount(country * len(SEGMENTS) + segment, weights=weight, minlength=STOCK_BINS)
    levels = np.bincount(country * len(LEVELS) + level, weights=weight, minlength=LEVEL_BINS)
    pay = np.bincount(wage_group, weights=weight * factor, minlength=PAY_BINS)
    degree = np.bincount(
        country * len(EDUCATION) + education, weights=weight, minlength=DEGREE_BINS
    )
    return stock, levels, pay, degree


class Ledger:
    """Totals over active workers (the bins of :func:`count`).

    `stock` by (country, segment), `levels` by (country, level), `pay` by wage group and
    `degree` by (country, degree).
    """

    def __init__(self) -> None:
        self.stock = np.zeros(STOCK_BINS)
        self.levels = np.zeros(LEVEL_BINS)
        self.pay = np.zeros(PAY_BINS)
        self.degree = np.zeros(DEGREE_BINS)
        self.agents = 0  # active agents (unweighted)

    def add(self, people: People, slots: np.ndarray | slice) -> None:
        """Put workers (in their current state) into the totals."""
        self.put(count(people, slots), len(people.weight[slots]))

    def remove(self, people: People, slots: np.ndarray | slice) -> None:
        """Take workers (in their current state) out of the totals."""
        self.take(count(people, slots), len(people.weight[slots]))

    def put(self, counts: Counts, agents: int) -> None:
        """Add the totals of `agents` workers (from :func:`count` or :func:`totals`)."""
        stock, levels, pay, degree = counts
        self.stock += stock
        self.levels += levels
        self.pay += pay
        self.degree += degree
        self.agents += agents

    def take(self, counts: Counts, agents: int) -> None:
        """Subtract the totals of `agents` workers (from :func:`count` or :func:`totals`)."""
        stock, levels, pay, degree = counts
        self.stock -= stock
        self.levels -= levels
        self.pay -= pay
        self.degree -= degree
        self.agents -= agents

    def repay(
        self,
        counts: Counts,
        weight: np.ndarray,
        wage_group: np.ndarray,
        factor: np.ndarray,
    ) -> None:
        """Record new pay factors `factor` of some workers whose other fields stay as they were.

        `counts` are their totals before the change (:func:`totals`). The totals change
        exactly as by :meth:`remove` before the change and :meth:`add` after it: the
        unchanged counts are taken out and put back, since that need not restore a float
        total bit for bit.
        """
        pay = np.bincount(wage_group, weights=weight * factor, minlength=PAY_BINS)
        stock, levels, old_pay, degree = counts
        self.stock -= stock
        self.levels -= levels
        self.pay -= old_pay
        self.degree -= degree
        self.stock += stock
        self.levels += levels
        self.pay += pay
        self.degree += degree

    def promote(
        self,
        weight: np.ndarray,
        country: np.ndarray,
        level: np.ndarray,
        wage_group: np.ndarray,
        pay_factor: np.ndarray,
        raise_factor: float,
    ) -> None:
        """Record a promotion of workers with these fields (from before the change).

        They move up one level and their pay factor is multiplied by `raise_factor`.
        """
        code = country.astype(np.intp) * len(LEVELS) + level
        moved = np.bincount(code, weights=weight, minlength=LEVEL_BINS).reshape(2, -1)
        self.levels -= moved.ravel()
        up = np.zeros_like(moved)
        up[:, 1:] = moved[:, :-1]  # one level up, in the same country
        up[:, -1] += moved[:, -1]  # (nobody is promoted from the top; kept for safety)
        self.levels += up.ravel()
        self.pay += np.bincount(
            wage_group, weights=weight * pay_factor * (raise_factor - 1.0), minlength=PAY_BINS
        )

    def rebuild(self, people: People) -> None:
        """Recount from scratch (after a change that touches everyone)."""
        self.stock, self.levels, self.pay, self.degree = recount(people)
        self.agents = int(np.count_nonzero(people.view("active")))


def recount(people: People) -> Counts:
    """The totals counted over every active worker."""
    return count(people, np.flatnonzero(people.view("active")))
