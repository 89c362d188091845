"""Console output that reads in an 80-column terminal and when piped.

Tables are compact (one space between columns, no cell ever wrapped onto a second line)
and sized to fit 80 columns; when the output is not a terminal (a pipe, a file, a CI log),
nothing is wrapped or cut, whatever the width.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

#: Width used when the output is not a terminal: wide enough that nothing is cut.
PIPE_WIDTH = 240


def console(stderr: bool = False, quiet: bool = False) -> Console:
    """A rich Console for stdout (or stderr) that never wraps tables when piped."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else PIPE_WIDTH
    return Console(stderr=stderr, quiet=quiet, width=width)


def table(title: str, headers: Sequence[str], left: Sequence[str] = ()) -> Table:
    """A compact table: columns right-aligned (but those in `left`), cells never wrapped."""
    result = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        collapse_padding=True,
        pad_edge=False,
        show_edge=False,
        title_justify="left",
        min_width=min(len(title), 80),  # the title on one line
    )
    for header in headers:
        result.add_column(header, justify="left" if header in left else "right", no_wrap=True)
    return result
