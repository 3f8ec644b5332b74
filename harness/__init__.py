"""copr-harness: an end-to-end test harness for the Copr build system."""

__version__ = "0.1.0"
