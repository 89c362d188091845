"""Writing result folders safely: atomic files and folders, output-folder rules, locks.

Everything talentsim writes goes through here: a file or a folder is written under a
temporary name and renamed into place (:mod:`.atomic`), so a killed or failed command
leaves complete files only; an output folder is used only if it is new, empty or a
talentsim result of the same kind (:mod:`.folders`), so that ``--overwrite`` never deletes
what talentsim did not write; a folder that one command writes into is locked against a
second one (:mod:`.folders`).

May import: :mod:`talentsim.errors` only.
"""
