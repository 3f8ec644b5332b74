"""The mock Copr dist-git: imports SRPMs into git + lookaside and serves them read-only."""

__all__ = ["COPR_COMMON_VERSION", "VERSION"]

try:
    from .build_constants import COPR_COMMON_VERSION, VERSION  # written when the RPM is built
except ImportError:  # running from the source tree (unit tests)
    VERSION = "0+source"
    COPR_COMMON_VERSION = ""
