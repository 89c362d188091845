"""MkDocs hook of the talentsim manual: pages generated at build time, so they cannot go stale.

- ``reference/parameters.md``: the marker ``<!-- parameter-table -->`` becomes the table of
  every scenario parameter, from the schema (the same generator as docs/ODD.md's table,
  :func:`talentsim.scenario.docgen.parameter_table`).
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- parameter-table -->"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Fill in the generated parts of a page."""
    if MARKER in markdown:
        from talentsim.scenario.docgen import parameter_table

        markdown = markdown.replace(MARKER, parameter_table())
    return markdown
