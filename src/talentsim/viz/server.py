"""Serving the page: check the address, then run Solara's own server on the app module.

Nothing here imports Solara, so the command line can check its input (and say that the
`viz` extra is missing) before anything starts.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from talentsim.errors import TalentsimError
from talentsim.viz.model import SCENARIO_ENV

APP_MODULE = "talentsim.viz.app"
#: Solara settings for the server: no usage statistics sent anywhere.
QUIET_ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
COOKIE_WARNING = "Cookies with samesite=none require https"
#: Packages the page needs (the `viz` extra).
REQUIRED = ("solara", "mesa.visualization", "matplotlib", "altair")


class ServeError(TalentsimError):
    """The page cannot be served as asked (the message says why and what to do)."""


def missing_packages() -> list[str]:
    """The packages of the `viz` extra that cannot be imported."""
    missing = []
    for name in REQUIRED:
        try:
            found = importlib.util.find_spec(name) is not None
        except ImportError:
            found = False
        if not found:
            missing.append(name)
    return missing


def check_address(host: str, port: int) -> None:
    """Bind a socket to (host, port) and release it: raise ServeError if that fails.

    SO_REUSEADDR is set, as the server sets it, so a port left in TIME_WAIT by an earlier
    server counts as free; a port another process listens on does not.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise ServeError(
            f"cannot serve on {host}: the host name does not resolve ({err.strerror}); use "
            "--host with an address of this machine, such as 127.0.0.1"
        ) from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            raise ServeError(_bind_message(host, port, err)) from None


def _bind_message(host: str, port: int, err: OSError) -> str:
    """What went wrong binding (host, port), and what to do about it."""
    if err.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another talentsim viz or other server?); "
            "stop it or choose another port with --port"
        )
    if err.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot serve on {host}:{port}: {host} is not an address of this machine; use "
            "--host 127.0.0.1 (this machine only) or one of its own addresses"
        )
    if err.errno == errno.EACCES:
        return (
            f"cannot serve on {host}:{port}: permission denied (ports below 1024 need "
            "privileges); choose a port of 1024 or more with --port"
        )
    return f"cannot serve on {host}:{port}: {err.strerror or err}"


def url(host: str, port: int) -> str:
    """The address to open in a browser."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def server_command(host: str, port: int) -> list[str]:
    """The command that runs Solara's server on the app (production mode, no browser)."""
    return [
        sys.executable,
        "-W",  # solara warns on every page load that a plain-http cookie falls back to lax
        f"ignore:{COOKIE_WARNING}:UserWarning",
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",  # no request to PyPI: the page works offline
        "--log-level",
        "warning",
    ]


def serve(scenario_file: Path, host: str, port: int) -> int:
    """Run the server in the foreground until it stops, Ctrl+C or SIGTERM.

    Ctrl+C and SIGTERM stop the server too (it is a child process).

    Returns:
        0 when stopped by Ctrl+C or SIGTERM, else the server's exit status (1 if a signal
        ended it).
    """
    env = {**os.environ, SCENARIO_ENV: str(scenario_file), **QUIET_ENV}
    process = subprocess.Popen(server_command(host, port), env=env)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        status = process.wait()
    except KeyboardInterrupt:
        _stop(process)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    return status if status >= 0 else 1


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen) -> None:
    """Terminate the server (kill it if it has not stopped within 10 s)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
