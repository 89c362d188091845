"""Atomic writes: a temporary sibling, then a rename; stale temporaries are swept away.

A temporary name carries this machine's name and the writing process's id
(``.NAME.HOST-PID-TOKEN.tmp``), so that the next talentsim command writing to the same
folder can remove what a killed process left behind, and never what a live one (or one on
another machine sharing the folder) is writing.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import socket
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from talentsim.errors import WriteError

#: Temporary names: .NAME.HOST-PID-TOKEN.tmp, with an optional .SUFFIX after it.
TEMPORARY = re.compile(r"^\..+\.([0-9a-f]{6})-(\d+)-[0-9a-f]{8}\.tmp(\.[A-Za-z0-9]+)?$")
#: Errors that mean "cannot write here", reported as a paragraph rather than a traceback.
WRITE_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EACCES,
    errno.EROFS,
    errno.EPERM,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.ELOOP,
    errno.ENAMETOOLONG,
}


def host_tag() -> str:
    """Six hex digits naming this machine in temporary names."""
    return f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFFFF:06x}"


def temporary_name(path: Path, suffix: str = "") -> Path:
    """A fresh temporary sibling of `path` (hidden, tagged with host and process)."""
    token = secrets.token_hex(4)
    return path.with_name(f".{path.name}.{host_tag()}-{os.getpid()}-{token}.tmp{suffix}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove temporaries in `folder` left by dead talentsim processes of this machine.

    Returns:
        The paths removed.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    here = host_tag()
    for entry in folder.iterdir():
        match = TEMPORARY.match(entry.name)
        if not match or match.group(1) != here or _alive(int(match.group(2))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def write_failure(err: OSError, path: Path) -> WriteError:
    """The paragraph for a write that failed for want of space or permission."""
    reason = os.strerror(err.errno) if err.errno else str(err)
    return WriteError(
        f"cannot write {path}: {reason} (errno {err.errno}). Nothing was left half-written "
        "there; free some space (or fix the permissions) and run the same command again"
    )


@contextlib.contextmanager
def atomic_path(path: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path to write; rename it to `path` if the block succeeds.

    Raises:
        WriteError: If the disk is full or the folder cannot be written.
    """
    path = Path(path)
    tmp = temporary_name(path, suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        if err.errno in WRITE_ERRNOS:
            raise write_failure(err, path) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_with(path: Path, writer: Callable[[Path], Any], suffix: str = "") -> Path:
    """Call ``writer(tmp)`` and rename the temporary file it wrote to `path`."""
    with atomic_path(path, suffix) as tmp:
        writer(tmp)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write a UTF-8 text file atomically."""
    return write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> Path:
    """Write JSON (indented, with a final newline) atomically."""
    return write_text(path, json.dumps(data, indent=2) + "\n")


def write_parquet(path: Path, frame: Any, compression: str = "zstd") -> Path:
    """Write a DataFrame to Parquet (no index) atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    return write_with(path, lambda tmp: pq.write_table(table, tmp, compression=compression))


@contextlib.contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary folder to fill; on success it replaces `out`, else it is removed.

    An existing `out` (checked by the caller as replaceable) is moved aside first and
    removed only once the new folder is in place.

    Raises:
        WriteError: If the disk is full or the folder cannot be written.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out.parent)
    tmp = temporary_name(out)
    try:
        tmp.mkdir()
        yield tmp
        os.chmod(tmp, 0o755)
        _swap_in(tmp, out)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if err.errno in WRITE_ERRNOS:
            raise write_failure(err, out) from None
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(new: Path, out: Path) -> None:
    if out.is_dir() and not out.is_symlink() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        os.replace(new, out)
        return
    old = temporary_name(out)
    os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
