"""The frontend's /backend/ routes that dist-git uses: importing, get-import-task, import-completed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import requests

from . import VERSION


class FrontendError(Exception):
    """The frontend could not be reached or answered something unusable."""


class DownloadError(Exception):
    """The SRPM could not be downloaded."""


class Frontend:
    """A client of one frontend; safe to share between threads (one session per thread)."""

    def __init__(self, base_url: str, password: str, timeout: tuple[float, float] = (5, 30),
                 attempts: int = 3) -> None:
        self.base_url = base_url.rstrip("/")
        self._password = password
        self.timeout = timeout
        self.attempts = attempts
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = f"copr-dist-git/{VERSION}"
            self._local.session = session
        return session

    def _get_json(self, path: str) -> Any:
        url = f"{self.base_url}/backend/{path}"
        try:
            response = self._session().get(url, timeout=self.timeout)
        except requests.RequestException as error:
            raise FrontendError(f"GET {url}: {type(error).__name__}: {error}") from None
        if response.status_code != 200:
            raise FrontendError(f"GET {url} answered {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise FrontendError(f"GET {url} answered something that is not JSON") from None

    def importing(self) -> list[dict[str, Any]]:
        """The builds waiting for an import (source status importing), by build id."""
        records = self._get_json("importing/")
        if not isinstance(records, list):
            raise FrontendError("/backend/importing/ did not answer a JSON array")
        return [r for r in records if isinstance(r, dict)]

    def import_task(self, build_id: int) -> dict[str, Any] | None:
        """The import record of one build, or None when the frontend has none (`null`)."""
        record = self._get_json(f"get-import-task/{build_id}")
        if record is not None and not isinstance(record, dict):
            raise FrontendError(f"get-import-task/{build_id} did not answer an object or null")
        return record

    def import_completed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Report an import's result; retried while the frontend is unreachable or failing."""
        url = f"{self.base_url}/backend/import-completed/"
        problem = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._session().post(url, json=payload, auth=("user", self._password),
                                                 timeout=self.timeout)
            except requests.RequestException as error:
                problem = f"POST {url}: {type(error).__name__}"
            else:
                if response.status_code == 401:
                    raise FrontendError(f"POST {url} answered 401: the frontend refused the password")
                if response.status_code < 500:
                    if not response.ok:
                        raise FrontendError(f"POST {url} answered {response.status_code}")
                    try:
                        answer = response.json()
                    except ValueError:
                        answer = {}
                    return answer if isinstance(answer, dict) else {}
                problem = f"POST {url} answered {response.status_code}"
            if attempt < self.attempts:
                time.sleep(attempt)  # back off before trying an unreachable frontend again
        raise FrontendError(problem)


def download(url: str, target: Path, timeout: tuple[float, float] = (5, 120), attempts: int = 3) -> int:
    """Download `url` into `target`; return its size. Connection problems and 5xx are retried."""
    problem = ""
    for attempt in range(1, attempts + 1):
        try:
            with requests.get(url, stream=True, timeout=timeout,
                              headers={"User-Agent": f"copr-dist-git/{VERSION}"}) as response:
                if response.status_code >= 500:
                    problem = f"GET {url} answered {response.status_code}"
                elif response.status_code != 200:
                    raise DownloadError(f"GET {url} answered {response.status_code}")
                else:
                    size = 0
                    with target.open("wb") as out:
                        for chunk in response.iter_content(1 << 20):
                            out.write(chunk)
                            size += len(chunk)
                    return size
        except requests.RequestException as error:
            problem = f"GET {url}: {type(error).__name__}"
        if attempt < attempts:
            time.sleep(attempt)
    raise DownloadError(problem)
