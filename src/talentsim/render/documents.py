"""Reports as documents: headings, paragraphs, figures and tables, written as HTML or Markdown.

HTML is self-contained (figures embedded as base64 PNG); Markdown links the figure files
saved next to it.
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from talentsim.render.figures import Figure
from talentsim.storage.atomic import write_text

FORMATS = ("html", "md")
CSS = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #222;
       line-height: 1.45; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
.missing { background: #fff3cd; border: 1px solid #e0c36b; padding: 0.6em 1em; }
code { background: #f4f4f4; padding: 0 0.2em; }
"""


@dataclass
class Block:
    """One piece of a document."""

    kind: str  # heading, text, missing, figure, table
    text: str = ""
    level: int = 2
    figure: Figure | None = None
    table: pd.DataFrame | None = None


@dataclass
class Document:
    """A report: a title and blocks, rendered to HTML or Markdown."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        """Add a heading."""
        self.blocks.append(Block("heading", text, level=level))

    def text(self, text: str) -> None:
        """Add a paragraph (Markdown-style `code` is rendered in HTML too)."""
        self.blocks.append(Block("text", text))

    def missing(self, text: str) -> None:
        """Add a highlighted paragraph saying what is missing."""
        self.blocks.append(Block("missing", text))

    def figure(self, figure: Figure) -> None:
        """Add a figure with its caption."""
        self.blocks.append(Block("figure", figure=figure))

    def table(self, table: pd.DataFrame, caption: str) -> None:
        """Add a table (cells as they should be printed) with a caption."""
        self.blocks.append(Block("table", caption, table=table))


def markdown_table(table: pd.DataFrame) -> str:
    """A DataFrame as a GitHub-flavoured Markdown table (cells printed with str)."""
    columns = [str(c) for c in table.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table.itertuples(index=False):
        cells = [str(v).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(doc: Document, folder: Path) -> str:
    """The document as Markdown; figures are linked relative to `folder`."""
    lines = [f"# {doc.title}", ""]
    for block in doc.blocks:
        if block.kind == "heading":
            lines += ["#" * block.level + " " + block.text, ""]
        elif block.kind == "text":
            lines += [block.text, ""]
        elif block.kind == "missing":
            lines += [f"> **Missing.** {block.text}", ""]
        elif block.kind == "figure" and block.figure is not None:
            fig = block.figure
            png = os.path.relpath(fig.png, folder)
            svg = os.path.relpath(fig.svg, folder)
            lines += [f"![{fig.title}]({png})", "", f"*{fig.caption}* ([SVG]({svg}))", ""]
        elif block.kind == "table" and block.table is not None:
            lines += [f"*{block.text}*", "", markdown_table(block.table), ""]
    return "\n".join(lines)


def _inline(text: str) -> str:
    """Escape text for HTML, rendering `code` spans."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _embedded(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def render_html(doc: Document) -> str:
    """The document as one self-contained HTML page (figures embedded as PNG)."""
    body = [f"<h1>{_inline(doc.title)}</h1>"]
    for block in doc.blocks:
        if block.kind == "heading":
            body.append(f"<h{block.level}>{_inline(block.text)}</h{block.level}>")
        elif block.kind == "text":
            body.append(f"<p>{_inline(block.text)}</p>")
        elif block.kind == "missing":
            body.append(f'<p class="missing"><strong>Missing.</strong> {_inline(block.text)}</p>')
        elif block.kind == "figure" and block.figure is not None:
            fig = block.figure
            body.append(
                f'<figure><img alt="{html.escape(fig.title)}" src="{_embedded(fig.png)}">'
                f"<figcaption>{_inline(fig.caption)}</figcaption></figure>"
            )
        elif block.kind == "table" and block.table is not None:
            table = block.table.to_html(index=False, border=0, escape=True)
            body.append(f"<p><em>{_inline(block.text)}</em></p>{table}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(doc.title)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_document(doc: Document, folder: Path, fmt: str, stem: str = "report") -> Path:
    """Write the document as folder/stem.html or folder/stem.md (atomically)."""
    path = folder / f"{stem}.{fmt}"
    text = render_html(doc) if fmt == "html" else render_markdown(doc, folder)
    return write_text(path, text)
