"""copr-harness: an end-to-end test harness for the Copr build system."""

from importlib import metadata

try:
    __version__ = metadata.version("copr-harness")  # pyproject.toml's version, the one place
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
