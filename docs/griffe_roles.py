"""Griffe extension of the talentsim manual: Sphinx roles in docstrings as inline code.

The package's docstrings use Sphinx roles (``:class:`~talentsim.errors.TalentsimError```);
mkdocstrings does not read them, so they would show as raw text. Each becomes inline code:
``~a.b.C`` shows ``C``, ``a.b.C`` and ``.b.C`` show as written (without the leading dot).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj):`(~?)\.?([^`]+)`")


def _code(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring as inline code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:  # noqa: D102
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_code, obj.docstring.value)
