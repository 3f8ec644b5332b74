"""The backend's client of the frontend's `/backend/` routes, with the FE/BE API gate.

Every response from those routes carries `Copr-FE-BE-API-Version`. A frontend that offers less
than the backend's MIN_FE_BE_API is not talked to: dispatchers see an empty queue for the cycle,
workers wait and try again. Neither fails nor drops a job because of it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import requests

API_HEADER = "Copr-FE-BE-API-Version"
TIMEOUT = 30
# Workers wait this long between attempts while the frontend is down or too old.
RETRY_DELAYS = (1, 2, 5, 10)
TOO_OLD_DELAY = 2

log = logging.getLogger("copr-backend.frontend")


class FrontendError(Exception):
    """The frontend did not give a usable answer."""


class FrontendUnreachable(FrontendError):
    """Connection failed, timed out, or the frontend answered 5xx/408 (worth trying again)."""


class FrontendRequestError(FrontendError):
    """The frontend refused the request (4xx): trying again will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class FrontendTooOld(FrontendError):
    """The frontend's FE/BE API is older than this backend needs."""

    def __init__(self, version: int, minimum: int) -> None:
        super().__init__(too_old_message(version, minimum))
        self.version = version
        self.minimum = minimum


def too_old_message(version: int, minimum: int) -> str:
    return f"Copr FE/BE API is too old on Frontend side, {version} < {minimum}"


class Response(Protocol):
    """What the client needs of an HTTP response (requests.Response has it)."""

    status_code: int
    headers: Any
    text: str

    def json(self) -> Any: ...


Transport = Callable[..., Response]


def _requests_transport(method: str, url: str, **kwargs: Any) -> Response:
    return requests.request(method, url, **kwargs)


def api_version(response: Response) -> int:
    """The FE/BE API version a response announces (0 when missing or unreadable)."""
    try:
        return int(response.headers.get(API_HEADER) or 0)
    except (TypeError, ValueError):
        return 0


class ChangeLog:
    """Logs a condition when it changes, not on every poll (a waiting backend must not flood)."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._lock = threading.Lock()
        self._last: object = None

    def report(self, state: object, level: int, message: str) -> None:
        with self._lock:
            if state == self._last:
                return
            self._last = state
        self._logger.log(level, message)

    def clear(self, level: int = logging.INFO, message: str | None = None) -> None:
        """The condition ended: log `message` if it had been reported."""
        with self._lock:
            was = self._last
            self._last = None
        if was is not None and message:
            self._logger.log(level, message)


class FrontendClient:
    """JSON over HTTP to `<base_url>/backend/<path>/`; Basic auth ("user", password) on writes."""

    def __init__(
        self,
        base_url: str,
        password: str,
        min_api: int,
        transport: Transport = _requests_transport,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "copr-backend",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.min_api = min_api
        self._auth = ("user", password)
        self._transport = transport
        self._sleep = sleep
        self._headers = {"User-Agent": user_agent}
        self._api_lock = threading.Lock()
        self._api_seen: int | None = None
        self._too_old = ChangeLog(log)
        self._unreachable = ChangeLog(log)

    def url(self, path: str) -> str:
        """The route's URL; the backend always sends the trailing slash."""
        return f"{self.base_url}/backend/{path.strip('/')}/"

    def get(self, path: str, *, try_indefinitely: bool = True) -> Any:
        """GET a route (no auth) and return its JSON."""
        return self._call("GET", path, None, try_indefinitely)

    def post(self, path: str, data: Any, *, try_indefinitely: bool = True) -> Any:
        """POST JSON to a write route (authenticated) and return its JSON."""
        return self._call("POST", path, data, try_indefinitely)

    @property
    def api_seen(self) -> int | None:
        """The FE/BE API version of the last answer (None before the first one)."""
        return self._api_seen

    def _call(self, method: str, path: str, data: Any, try_indefinitely: bool) -> Any:
        attempt = 0
        while True:
            try:
                response = self._once(method, path, data)
            except FrontendUnreachable as error:
                if not try_indefinitely:
                    raise
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                attempt += 1
                log.debug("%s %s: %s; trying again in %ss", method, path, error, delay)
                self._sleep(delay)
                continue
            version = api_version(response)
            self._note_api(version)
            if version < self.min_api:
                if not try_indefinitely:
                    raise FrontendTooOld(version, self.min_api)
                self._sleep(TOO_OLD_DELAY)
                continue
            if not response.text.strip():
                return None
            try:
                return response.json()
            except ValueError:
                raise FrontendRequestError(response.status_code, "the answer is not JSON") from None

    def _once(self, method: str, path: str, data: Any) -> Response:
        """One exchange; FrontendUnreachable for what is worth trying again, FrontendRequestError
        for other refusals."""
        url = self.url(path)
        kwargs: dict[str, Any] = {"timeout": TIMEOUT, "headers": self._headers}
        if method != "GET":
            kwargs["auth"] = self._auth
            kwargs["json"] = data
        try:
            response = self._transport(method, url, **kwargs)
        except requests.RequestException as error:
            reason = f"{type(error).__name__}"
            self._unreachable.report(reason, logging.WARNING,
                                     f"frontend {self.base_url} is unreachable: {reason}")
            raise FrontendUnreachable(f"{method} {url}: {reason}") from None
        status = response.status_code
        if status >= 500 or status == 408:
            self._unreachable.report(status, logging.WARNING,
                                     f"frontend {self.base_url} answered {status}")
            raise FrontendUnreachable(f"{method} {url}: answered {status}")
        self._unreachable.clear(message=f"frontend {self.base_url} answers again")
        if status >= 400:
            first = (response.text.strip().splitlines() or [""])[0][:200]
            raise FrontendRequestError(status, f"{method} {url}: {first}")
        return response

    def _note_api(self, version: int) -> None:
        with self._api_lock:
            changed, self._api_seen = version != self._api_seen, version
        if version < self.min_api:
            self._too_old.report(version, logging.WARNING, too_old_message(version, self.min_api))
            return
        self._too_old.clear()
        if changed:
            log.info("Copr FE/BE API version on Frontend side: %d (this backend needs >= %d)",
                     version, self.min_api)
