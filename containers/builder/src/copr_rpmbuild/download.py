"""HTTP downloads with retries: the task record and source files (upstream: SafeRequest)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from .errors import BuildError, TaskError
from .sandbox import create_file

# dist-git and the frontend restart during a release window: network steps retry for about 30 s.
NETWORK_ATTEMPTS = 6


class Log(Protocol):
    def write(self, text: str) -> None: ...


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, 4, 8, then 15)."""
    return float(min(2 ** (attempt - 1), 15))


def download(url: str, target: Path, log: Log, timeout: float,
             attempts: int = NETWORK_ATTEMPTS) -> None:
    """Fetch a URL (http, https or file) into `target`."""
    log.write(f"Downloading {url}")
    parsed = urlparse(url)
    if parsed.scheme == "file":
        try:
            with open(unquote(parsed.path), "rb") as source, os.fdopen(create_file(target), "wb") as copy:
                shutil.copyfileobj(source, copy)
        except OSError as error:
            raise BuildError(f"cannot read {url}: {error.strerror}") from None
        return
    if parsed.scheme not in ("http", "https"):
        raise BuildError(f"cannot download {url}: only http, https and file URLs are supported")
    import requests  # imported late: the helper commands (log, cancel) start faster without it

    for attempt in range(1, attempts + 1):
        try:
            with requests.get(url, stream=True, timeout=timeout) as response:
                if response.status_code >= 500 and attempt < attempts:
                    raise requests.ConnectionError(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise BuildError(f"downloading {url} failed: HTTP {response.status_code}")
                # The target folder is the build user's: create the file without following a link.
                with os.fdopen(create_file(target), "wb") as handle:
                    for chunk in response.iter_content(65536):
                        handle.write(chunk)
                return
        except requests.RequestException as error:
            if attempt == attempts:
                raise BuildError(f"downloading {url} failed: {error}") from None
            log.write(f"  attempt {attempt} failed ({error}); retrying")
            time.sleep(backoff(attempt))


def fetch_task(url: str, timeout: float, attempts: int = 5) -> Any:
    """GET a task record from the frontend, retrying server errors and lost connections."""
    import requests

    for attempt in range(1, attempts + 1):
        try:
            response = requests.get(url, timeout=timeout)
            if (response.status_code >= 500 or response.status_code == 408) and attempt < attempts:
                raise requests.ConnectionError(f"HTTP {response.status_code}")
            if response.status_code >= 400:
                raise TaskError(f"GET {url} answered HTTP {response.status_code}: {response.text[:200]}")
            try:
                return response.json()
            except ValueError:
                raise TaskError(f"No valid build_config at {url}: the answer is not JSON") from None
        except requests.RequestException as error:
            if attempt == attempts:
                raise TaskError(f"GET {url} failed: {error}") from None
            time.sleep(attempt)
    raise TaskError(f"GET {url} failed")
