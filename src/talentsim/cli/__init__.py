"""The `talentsim` command line: a click group of thin commands.

Each command parses its options, calls one library function and prints; every
:class:`talentsim.errors.TalentsimError` becomes one paragraph and its exit status in
:class:`.main.Commands`. Imports are made inside the commands, so that `talentsim --help`
starts fast. May import everything in talentsim.
"""

from talentsim.cli.main import main

__all__ = ["main"]
