"""Logging: service lines to stdout (the container log), details to each task's backend.log."""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(level: int = logging.INFO) -> None:
    """Send every logger's records to stdout, one line each."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # requests/urllib3 would log every retry of a down frontend.
    logging.getLogger("urllib3").setLevel(logging.WARNING)


class TaskLog:
    """The log of one task: `event` goes to stdout and backend.log, `detail` to backend.log only."""

    def __init__(self, logger: logging.Logger, prefix: str) -> None:
        self._logger = logger
        self._prefix = prefix
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self.path: Path | None = None

    def open(self, path: Path) -> None:
        """Start writing backend.log at `path` (appending: a re-run keeps the earlier lines)."""
        with self._lock:
            self.path = path
            self._file = path.open("a", encoding="utf-8")

    def close(self) -> None:
        with self._lock:
            if self._file:
                self._file.close()
            self._file = None

    def _write(self, level: str, message: str) -> None:
        with self._lock:
            if self._file:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                self._file.write(f"[{stamp}][{level}] {message}\n")
                self._file.flush()

    def event(self, message: str, level: int = logging.INFO) -> None:
        """A state change: one line in the container log and in backend.log."""
        self._logger.log(level, "%s %s", self._prefix, message)
        self._write(logging.getLevelName(level), message)

    def detail(self, message: str, level: int = logging.INFO) -> None:
        """Detail for the task's own log only."""
        self._write(logging.getLevelName(level), message)

    def warning(self, message: str) -> None:
        self.event(message, logging.WARNING)

    def error(self, message: str) -> None:
        self.event(message, logging.ERROR)
