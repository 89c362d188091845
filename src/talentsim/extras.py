"""Optional parts of talentsim, and the message when one is not installed.

`pip install talentsim` brings what running and sweeping scenarios on this machine needs;
figures, the cluster backend, calibration, sensitivity, scenario discovery, the browser view
and neural calibration are extras (``pip install 'talentsim[calibrate]'``, or ``[all]``). A
command or API function that needs one calls :func:`require` before it imports anything from
it, so a missing extra is one clear paragraph (exit status 2), never an ImportError.
Nothing here imports the rest of talentsim.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib.util import find_spec
from typing import Any, TypeVar

from talentsim.errors import TalentsimError

F = TypeVar("F", bound=Callable[..., Any])

#: Extra -> the modules it provides that talentsim imports (checked without importing them).
EXTRAS: dict[str, tuple[str, ...]] = {
    "reports": ("matplotlib", "seaborn"),
    "cluster": ("distributed",),
    "calibrate": ("pyabc", "matplotlib", "seaborn"),
    "sensitivity": ("SALib", "matplotlib", "seaborn"),
    "discovery": ("ema_workbench", "matplotlib", "seaborn"),
    "viz": ("solara", "matplotlib", "altair"),
    "npe": ("sbi", "torch"),
}


class MissingExtraError(TalentsimError):
    """A command needs an extra that is not installed (exit status 2).

    Attributes:
        extra: The extra to install, e.g. ``"calibrate"``.
        modules: The modules of it that are missing.
    """

    def __init__(self, extra: str, modules: list[str], needed_by: str) -> None:
        self.extra = extra
        self.modules = modules
        super().__init__(
            f"{needed_by} needs talentsim's '{extra}' extra, which is not installed "
            f"(missing: {', '.join(modules)}). Install it with: "
            f"pip install 'talentsim[{extra}]' (or 'talentsim[all]' for every extra; "
            "`make install` in a clone of the repository installs them all)."
        )


def missing(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here (empty: it is installed).

    Raises:
        KeyError: For an extra talentsim does not have.
    """
    return [module for module in EXTRAS[extra] if find_spec(module) is None]


def installed(extra: str) -> bool:
    """Whether every module of `extra` can be imported."""
    return not missing(extra)


def require(extra: str, needed_by: str) -> None:
    """Refuse to go on without `extra`.

    Args:
        extra: A key of :data:`EXTRAS`.
        needed_by: What needs it, for the message (e.g. ``"talentsim calibrate"``).

    Raises:
        MissingExtraError: When one of its modules is missing.
    """
    absent = missing(extra)
    if absent:
        raise MissingExtraError(extra, absent, needed_by)


def needs(extra: str, what: str) -> Callable[[F], F]:
    """Decorate a function so that it calls :func:`require` before anything else."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            require(extra, what)
            return function(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate
