"""Code shared by the mock Copr services (frontend, backend, dist-git, keygen, builder)."""

from .version import __version__  # noqa: F401  (written at package build time)
