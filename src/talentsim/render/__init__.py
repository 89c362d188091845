"""Rendering: figures (matplotlib, seaborn), Markdown and HTML documents, console tables.

May import: :mod:`talentsim.storage` (atomic writes), :mod:`talentsim.errors`,
:mod:`talentsim.taxonomy`.
"""
