"""Output folders: which folders a command may write into, replace or resume, and locks.

Every result folder talentsim writes holds a ``manifest.json`` whose ``kind`` says what it
is (run, sweep, calibration, report, comparison). A command writes only into a folder that
is new or empty, or that holds a result of its own kind; ``--overwrite`` replaces a run
folder only if everything in it is something talentsim writes there. A folder that a
long command fills (a sweep, a calibration) is locked while it runs, so that a second
command into it stops at once and says who holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from talentsim.errors import TalentsimError

MANIFEST = "manifest.json"
LOCK = ".lock"
#: What talentsim writes into a folder of each kind (a `report` folder inside is its own).
ENTRIES: dict[str, frozenset[str]] = {
    "run": frozenset(
        {
            "timeseries.parquet",
            "annual.parquet",
            "survey.parquet",
            "cohorts.parquet",
            "scenario.yaml",
            MANIFEST,
        }
    ),
}
#: Largest manifest read to tell a folder's kind (a manifest is a few kilobytes).
MANIFEST_LIMIT = 1 << 20


class OutputError(TalentsimError):
    """An output folder that a command may not write into (exit status 2)."""


def folder_kind(folder: Path) -> str | None:
    """The `kind` in a folder's manifest.json, or None if it has no readable one."""
    text = read_small_text(Path(folder) / MANIFEST)
    try:
        kind = json.loads(text).get("kind") if text is not None else None
    except (ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _shown(names: list[str], limit: int = 4) -> str:
    listed = ", ".join(sorted(names)[:limit])
    return listed + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _check_parents(out: Path) -> None:
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(
                    f"cannot create the output folder {out}: {parent} is a file, not a folder; "
                    "choose another --out"
                )
            return


def _is_our_lock(entry: Path) -> bool:
    return entry.name == LOCK and entry.is_file() and not entry.is_symlink()


def _holds_cwd(out: Path) -> bool:
    here = Path.cwd().resolve()
    target = out.resolve()
    return target == here or target in here.parents


def check_output(
    out: Path, kind: str, mode: str = "new", hint: str = "", whole: bool = False
) -> None:
    """Check that a command may write its `kind` of result to `out`.

    Args:
        out: The output folder.
        kind: What the command writes (run, sweep, calibration, report, comparison).
        mode: ``new``: `out` must be new or empty; ``replace``: it may also be a folder of
            this kind holding only what talentsim writes there (``--overwrite``);
            ``reuse``: it may be any folder of this kind (resume, refresh).
        hint: What to do when `out` already holds a result of this kind and `mode` is
            ``new`` (e.g. "pass --overwrite to replace it").
        whole: The command writes `out` as a whole (a temporary folder renamed into
            place), so `out` may not be the current folder or hold it.

    Raises:
        OutputError: Naming the folder and why it cannot be used.
    """
    out = Path(os.path.abspath(out))
    try:
        out.resolve(strict=False)
    except (OSError, RuntimeError):
        raise OutputError(f"{out} cannot be resolved (a loop of symbolic links?)") from None
    _check_parents(out)
    if out.is_symlink() and (whole or not out.exists()):
        raise OutputError(
            f"{out} is a symbolic link; give the folder itself (a {kind} folder is written "
            "as a whole, and the link would be replaced)"
            if out.exists()
            else f"{out} is a symbolic link to nothing; choose another --out"
        )
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file; --out takes a folder")
    if whole and _holds_cwd(out):
        raise OutputError(
            f"{out} is the current folder or holds it, and a {kind} folder is replaced as a "
            "whole; give a new folder instead, e.g. --out ./results/my-run"
        )
    if not out.exists():
        return
    entries = [e.name for e in out.iterdir() if not _is_our_lock(e)]
    if not entries:
        return
    found = folder_kind(out)
    if found is None:
        raise OutputError(
            f"{out} is not empty and is not a talentsim {kind} folder (it holds "
            f"{_shown(entries)}); talentsim writes only into a new or empty folder or one of "
            "its own results of the same kind, so choose another --out"
        )
    if found != kind:
        raise OutputError(
            f"{out} holds a talentsim {found} result, not {_article(kind)} {kind}; choose "
            "another --out"
        )
    if mode == "new":
        raise OutputError(
            f"{out} already holds a talentsim {kind}; {hint or 'choose another --out'}"
        )
    if mode == "replace":
        unknown = [e for e in entries if not _written_by_talentsim(out, kind, e)]
        if unknown:
            raise OutputError(
                f"{out} holds a talentsim {kind} but also files talentsim did not write there "
                f"({_shown(unknown)}); --overwrite never deletes those: move them away or "
                "choose another --out"
            )


def _manifest(folder: Path) -> dict | None:
    text = read_small_text(folder / MANIFEST)
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def owned_entries(folder: Path, kind: str) -> set[str]:
    """The entries talentsim writes in a folder of `kind`: fixed, or listed in its manifest."""
    known = set(ENTRIES.get(kind, ()))
    files = (_manifest(folder) or {}).get("files")
    if isinstance(files, list):
        known |= {str(name) for name in files} | {MANIFEST}
    return known


def _written_by_talentsim(folder: Path, kind: str, name: str) -> bool:
    path = folder / name
    if path.is_symlink():
        return False
    if name == "report" and path.is_dir():
        return folder_kind(path) == "report" and all(
            _written_by_talentsim(path, "report", entry.name) for entry in path.iterdir()
        )
    return path.is_file() and name in owned_entries(folder, kind)


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8")[:4096])
        return (
            f"process {int(info['pid'])} on {str(info['host'])[:64]}, started "
            f"{str(info['started_utc'])[:25]}"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that did not say who it is"


@contextlib.contextmanager
def folder_lock(folder: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (created if need be) while the block runs.

    The lock is the operating system's (flock), so it ends with the process that holds
    it, however that process ends; a second command sees who holds it.

    Raises:
        OutputError: If another process holds the lock.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    if (path.exists() or path.is_symlink()) and not _is_our_lock(path):
        raise OutputError(
            f"{path} is not a lock file talentsim wrote (a folder or a link); move it away or "
            "choose another --out"
        )
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as err:
        raise OutputError(f"cannot lock {folder}: {err.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"{folder} is in use by another talentsim {what} ({_holder(path)}); wait for "
                "it to finish or stop it, then run this command again, or choose another --out"
            ) from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv)[:500],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        yield
    finally:
        os.close(fd)


def read_small_text(path: Path, limit: int = MANIFEST_LIMIT) -> str | None:
    """The text of a regular file of at most `limit` bytes; None for anything else.

    Symbolic links, devices, pipes and folders are not read (a manifest that is a link to
    /dev/zero or a FIFO must neither exhaust memory nor hang).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        data = os.read(fd, limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > limit:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
