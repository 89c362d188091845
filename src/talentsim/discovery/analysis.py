"""Scenario discovery on a sweep: which swept conditions make an outcome happen.

The condition is judged per point of the sweep, from its replicates, in one of two ways:

- ``probability`` (default): the share of the point's replicates that meet the condition;
  the point is a case of interest when at least half of them do;
- ``mean``: the condition on the point's mean outcomes over its replicates.

PRIM (the EMA Workbench's, Friedman and Fisher 1999, as used for scenario discovery by Bryant
and Lempert 2010) peels the box of the swept parameters towards the cases; the box reported
is the one of highest coverage (then density) whose density reaches `density` (or the
densest, if none does), with its limits and their quasi-p-values (a one-sided binomial test of each
restriction). CART is the alternative: the leaves of a classification tree, each a box.
Feature scoring (extra trees) ranks every swept parameter for every stored outcome.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from talentsim.discovery.condition import Condition
from talentsim.discovery.inputs import SweepData
from talentsim.errors import TalentsimError

BY = ("probability", "mean")
METHODS = ("prim", "cart")
CASE_SHARE = 0.5  # a point is a case when at least this share of its replicates is
SCORE_SEED = 0  # extra trees' seed


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the Workbench's warnings about its own use of pandas (not the user's to act on)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="ema_workbench")
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        yield


def workbench(module: str) -> Any:
    """A module of ema_workbench.analysis, imported without its optional-backend warnings."""
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ipyparallel is not needed here
        importlib.import_module("ema_workbench")
    return importlib.import_module(f"ema_workbench.analysis.{module}")


class DiscoveryError(TalentsimError):
    """A discovery that cannot be made (no case, or every point a case)."""


@dataclass
class Discovery:
    """What a discovery found."""

    condition: Condition
    by: str
    method: str
    points: pd.DataFrame  # point, the parameters, share (of replicates), case
    boxes: pd.DataFrame  # PRIM: the peeling trajectory; CART: the leaves
    chosen: int  # the reported box (row of `boxes`)
    limits: pd.DataFrame  # parameter, low, high, full_low, full_high (PRIM: qp values)
    scores: pd.DataFrame  # feature scores: parameters x outcomes
    algorithm: Any = None  # the PRIM box (its figures) or the CART object

    @property
    def stats(self) -> dict[str, float]:
        """Coverage, density, mass and restricted dimensions of the reported box."""
        row = self.boxes.iloc[self.chosen]
        return {k: float(row[k]) for k in ("coverage", "density", "mass", "res_dim")}


def point_cases(data: SweepData, condition: Condition, by: str) -> pd.DataFrame:
    """Per point: its parameters, the share of its replicates meeting the condition, case."""
    runs = data.runs
    if by == "probability":
        met = pd.Series(condition.evaluate(runs), index=runs.index)
        share = met.groupby(runs["point"]).mean()
        case = share >= CASE_SHARE
    else:
        means = runs.groupby("point")[data.outcomes].mean()
        case = pd.Series(condition.evaluate(means), index=means.index)
        share = pd.Series(condition.evaluate(runs), index=runs.index).groupby(runs["point"]).mean()
    frame = data.design.set_index("point").loc[share.index].reset_index()
    frame["share"] = share.to_numpy()
    frame["case"] = case.to_numpy()
    return frame


def _check_cases(points: pd.DataFrame, condition: Condition) -> None:
    cases = int(points["case"].sum())
    if cases == 0 or cases == len(points):
        which = "no point" if cases == 0 else "every point"
        raise DiscoveryError(
            f"the condition {condition.text!r} holds at {which} of the sweep's {len(points)} "
            "(by the rule chosen with --by), so there is nothing to tell apart; choose a "
            "threshold inside the range of the outcome"
        )


def prim_boxes(x: pd.DataFrame, y: np.ndarray, density: float) -> tuple[Any, pd.DataFrame, int]:
    """PRIM's peeling trajectory, and the box of highest coverage with at least `density`."""
    prim = workbench("prim")
    box = prim.Prim(x, y.astype(int), mass_min=0.05, peel_alpha=0.05).find_box()
    columns = ["id", "n", "k", "coverage", "density", "mass", "res_dim"]
    trajectory = box.peeling_trajectory.reset_index(drop=True)[columns]
    dense = trajectory[trajectory["density"] >= density]
    if len(dense):  # the most coverage, then (among equals) the most density
        chosen = int(dense.sort_values(["coverage", "density"], ascending=False).index[0])
    else:
        chosen = int(trajectory["density"].idxmax())
    return box, trajectory, chosen


def prim_limits(box: Any, chosen: int, x: pd.DataFrame) -> pd.DataFrame:
    """The restricted parameters of a PRIM box: limits, the full range, quasi-p-values."""
    _, limits = box.inspect(chosen, style="data")[0]
    rows = []
    for name in limits.index:
        low, high, qp_low, qp_high = limits.loc[name].to_numpy(dtype=float)
        rows.append(
            {
                "parameter": name,
                "low": low,
                "high": high,
                "full_low": float(x[name].min()),
                "full_high": float(x[name].max()),
                "qp_low": qp_low,
                "qp_high": qp_high,
            }
        )
    return pd.DataFrame(
        rows, columns=["parameter", "low", "high", "full_low", "full_high", "qp_low", "qp_high"]
    )


def cart_boxes(x: pd.DataFrame, y: np.ndarray) -> tuple[Any, pd.DataFrame, int, pd.DataFrame]:
    """CART's leaves as boxes; the reported one is the leaf of highest density (then mass)."""
    cart = workbench("cart")
    tree = cart.CART(x, y.astype(int), mass_min=0.05)
    tree.build_tree()
    leaves = pd.DataFrame(tree.stats).reset_index(drop=True)
    leaves = leaves.rename(columns={"res dim": "res_dim"})
    chosen = int(leaves.sort_values(["density", "mass"], ascending=False).index[0])
    lims = tree.boxes[chosen]
    rows = []
    for name in x.columns:
        low, high = float(lims[name].iloc[0]), float(lims[name].iloc[1])
        full = float(x[name].min()), float(x[name].max())
        if (low, high) != full:
            rows.append(
                {
                    "parameter": name,
                    "low": low,
                    "high": high,
                    "full_low": full[0],
                    "full_high": full[1],
                }
            )
    limits = pd.DataFrame(rows, columns=["parameter", "low", "high", "full_low", "full_high"])
    return tree, leaves, chosen, limits


def feature_scores(data: SweepData) -> pd.DataFrame:
    """Extra-trees feature scores of every swept parameter for every outcome (point means)."""
    feature_scoring = workbench("feature_scoring")
    means = data.runs.groupby("point")[data.outcomes].mean()
    x = data.design.set_index("point").loc[means.index, data.parameters].reset_index(drop=True)
    outcomes = {
        name: means[name].to_numpy(dtype=float)
        for name in data.outcomes
        if np.isfinite(means[name]).all() and means[name].nunique() > 1
    }
    if not outcomes:
        return pd.DataFrame(index=data.parameters)
    # seeded: the same sweep gives the same scores
    return feature_scoring.get_feature_scores_all(x, outcomes, random_state=SCORE_SEED)


def discover(
    data: SweepData,
    condition: Condition,
    method: str = "prim",
    by: str = "probability",
    density: float = 0.8,
) -> Discovery:
    """Scenario discovery of `condition` on a sweep.

    Raises:
        DiscoveryError: If no point or every point is a case.
    """
    points = point_cases(data, condition, by)
    _check_cases(points, condition)
    x = points[data.parameters].reset_index(drop=True)
    y = points["case"].to_numpy()
    with quiet():
        if method == "prim":
            algorithm, boxes, chosen = prim_boxes(x, y, density)
            limits = prim_limits(algorithm, chosen, x)
        else:
            algorithm, boxes, chosen, limits = cart_boxes(x, y)
        scores = feature_scores(data)
    return Discovery(condition, by, method, points, boxes, chosen, limits, scores, algorithm)
