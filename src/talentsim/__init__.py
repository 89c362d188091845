"""talentsim: an agent-based model of Chinese-born tech talent returning from the US."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("talentsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
