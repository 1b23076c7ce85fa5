"""pcp: police performance reporting for Police and Crime Panels."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pcp-cli")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
