"""Outcome conditions: `--where "returns_2025 > 80000"`, parsed safely and evaluated on rows.

A condition is a comparison (or several, joined by `and`, `or`, `not`) of arithmetic on the
sweep's stored outcomes and numbers, e.g. ``survey_2025_technology > survey_2025_finance``
or ``returns_2025 > 1.5 * returns_2015 and in_us_end < 1e6``. It is parsed with Python's
own parser and only these forms are accepted: no names but outcomes, no calls, no
attributes, so evaluating it runs nothing but numpy arithmetic.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from talentsim.errors import TalentsimError

MAX_LENGTH = 1000
MAX_NODES = 200
_COMPARE: dict[type, Callable] = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_ARITHMETIC: dict[type, Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
FORM = (
    'a comparison of outcomes and numbers such as "returns_2025 > 80000" or '
    '"survey_2025_technology > survey_2025_finance" (+ - * / allowed, several joined '
    "by and, or, not)"
)


class ConditionError(TalentsimError):
    """A `--where` expression that is not a usable condition."""


@dataclass(frozen=True)
class Condition:
    """A parsed condition: its text, the outcomes it reads, and its tree."""

    text: str
    names: tuple[str, ...]
    tree: ast.Expression

    def evaluate(self, rows: pd.DataFrame) -> np.ndarray:
        """Whether each row meets the condition (False where an outcome is missing)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            value = _evaluate(self.tree.body, rows)
        return np.asarray(value, dtype=bool) & rows[list(self.names)].notna().all(axis=1).to_numpy()


def parse_condition(text: str, outcomes: list[str]) -> Condition:
    """Parse `text` as a condition on the columns `outcomes`.

    Raises:
        ConditionError: If it is not a comparison of the allowed form, or names an outcome
            that is not stored.
    """
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"--where is {len(text):,} characters long; at most {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ConditionError(f"--where {text!r} cannot be read: give {FORM}") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ConditionError(f"--where has more than {MAX_NODES} terms; simplify it")
    if not _is_logical(tree.body):
        raise ConditionError(f"--where {text!r} is not a comparison: give {FORM}")
    names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
    unknown = [n for n in names if n not in outcomes]
    if unknown:
        raise ConditionError(_unknown(unknown[0], outcomes))
    return Condition(text, tuple(names), tree)


def _unknown(name: str, outcomes: list[str]) -> str:
    from talentsim.scenario.keys import did_you_mean

    close = did_you_mean(name, outcomes)
    hint = f" (did you mean '{close}'?)" if close else ""
    families = sorted({o.rsplit("_", 1)[0] + "_..." if o[-1].isdigit() else o for o in outcomes})
    shown = ", ".join(families[:12]) + (" ..." if len(families) > 12 else "")
    return f"--where names an unknown outcome '{name}'{hint}; this sweep stores: {shown}"


def _is_logical(node: ast.AST) -> bool:
    if isinstance(node, ast.BoolOp):
        return all(_is_logical(v) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _is_logical(node.operand)
    if isinstance(node, ast.Compare):
        ops_ok = all(type(op) in _COMPARE for op in node.ops)
        return ops_ok and all(_is_term(t) for t in [node.left, *node.comparators])
    return False


def _is_term(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _is_term(node.operand)
    if isinstance(node, ast.BinOp):
        return type(node.op) in _ARITHMETIC and _is_term(node.left) and _is_term(node.right)
    return False


def _evaluate(node: ast.AST, rows: pd.DataFrame) -> np.ndarray | float:
    if isinstance(node, ast.BoolOp):
        values = [np.asarray(_evaluate(v, rows), dtype=bool) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, rows)
        if isinstance(node.op, ast.Not):
            return np.logical_not(operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Compare):
        left, result = _evaluate(node.left, rows), np.ones(len(rows), dtype=bool)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, rows)
            result &= np.asarray(_COMPARE[type(op)](left, right), dtype=bool)
            left = right
        return result
    if isinstance(node, ast.BinOp):
        return _ARITHMETIC[type(node.op)](_evaluate(node.left, rows), _evaluate(node.right, rows))
    if isinstance(node, ast.Name):
        return rows[node.id].to_numpy(dtype=float)
    return float(node.value)  # a number (checked by _is_term)
