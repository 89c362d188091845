"""The error every talentsim failure the user can act on is an instance of.

A :class:`TalentsimError` carries a one-paragraph message that says what is wrong, where
(file, key, line) and what to do; the command line prints it and exits with the error's
``exit_code`` (2 for bad input, 1 for a result that could not be written). Nothing here
imports the rest of talentsim, so every module may import it.
"""

from __future__ import annotations


class TalentsimError(ValueError):
    """A failure explained in one paragraph (bad input, unless `exit_code` says otherwise).

    Attributes:
        message: The paragraph, without a leading "Error:".
        exit_code: The command line's exit status for it.
    """

    exit_code = 2

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class KeyedError(TalentsimError):
    """Bad input at a dotted scenario key (a sweep, calibration or sensitivity setting).

    Attributes:
        key: The dotted key at fault, e.g. ``sweep.parameters.visas.h1b_approval_rate``.
        detail: What is wrong with it.
    """

    def __init__(self, key: str, detail: str) -> None:
        self.key = key
        self.detail = detail
        super().__init__(f"{key}: {detail}")


class WriteError(TalentsimError):
    """A result that could not be written (disk full, no permission): exit status 1."""

    exit_code = 1
