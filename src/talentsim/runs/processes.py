"""Worker processes that end with the command that started them.

A worker process of a sweep or a calibration is tied to its parent: on Linux the kernel
sends it SIGKILL when the parent ends, however the parent ends (``kill -9`` included), so
a killed command leaves no worker, fork server or resource tracker behind (the fork server
ends when its parent's pipe closes, the resource tracker when its last user has gone). The
command itself turns SIGTERM and SIGHUP into an ordinary exit, so that its clean-up runs
(workers stopped, temporary files removed).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from types import FrameType

#: prctl(2) option: the signal a process gets when its parent thread ends.
PR_SET_PDEATHSIG = 1
_armed_in: int | None = None  # the process id in which the parent-death signal is set


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent ends (Linux; elsewhere nothing).

    If the parent has already gone (between fork and this call), exit at once.
    """
    global _armed_in
    if _armed_in == os.getpid() or not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    _armed_in = os.getpid()
    if os.getppid() != parent or parent == 1:
        os._exit(1)


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def exit_cleanly_on_termination() -> None:
    """Make SIGTERM and SIGHUP raise SystemExit in this (main) thread, so clean-up runs."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) in (signal.SIG_DFL, None):
            signal.signal(number, _exit_on_signal)
