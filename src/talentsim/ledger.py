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
from talentsim.taxonomy import CN_SECTORS, SEGMENTS

STOCK_BINS = 2 * len(SEGMENTS)  # (country, segment)
PAY_BINS = CHINA_WAGE_GROUP + len(CN_SECTORS)  # wage groups


def count(people: People, slots: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray]:
    """People by (country, segment) and weight x pay factor by wage group, over `slots`."""
    weight = people.weight[slots]
    code = people.country[slots].astype(np.intp) * len(SEGMENTS) + people.segment[slots]
    stock = np.bincount(code, weights=weight, minlength=STOCK_BINS)
    pay = np.bincount(
        people.wage_group[slots], weights=weight * people.pay_factor[slots], minlength=PAY_BINS
    )
    return stock, pay


class Ledger:
    """Totals over active workers: `stock` by (country, segment), `pay` by wage group."""

    def __init__(self) -> None:
        self.stock = np.zeros(STOCK_BINS)
        self.pay = np.zeros(PAY_BINS)
        self.agents = 0  # active agents (unweighted)

    def add(self, people: People, slots: np.ndarray | slice) -> None:
        """Put workers (in their current state) into the totals."""
        stock, pay = count(people, slots)
        self.stock += stock
        self.pay += pay
        self.agents += len(people.weight[slots])

    def remove(self, people: People, slots: np.ndarray | slice) -> None:
        """Take workers (in their current state) out of the totals."""
        stock, pay = count(people, slots)
        self.stock -= stock
        self.pay -= pay
        self.agents -= len(people.weight[slots])

    def rebuild(self, people: People) -> None:
        """Recount from scratch (after a change that touches everyone)."""
        self.stock, self.pay = recount(people)
        self.agents = int(np.count_nonzero(people.view("active")))


def recount(people: People) -> tuple[np.ndarray, np.ndarray]:
    """The totals counted over every active worker."""
    return count(people, np.flatnonzero(people.view("active")))
