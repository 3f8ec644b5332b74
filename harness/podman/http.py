"""Reading Podman's HTTP answers: one status check, and its error message."""

from __future__ import annotations

import re
from collections.abc import Collection

import requests

from harness.errors import InfraError

# A removal is done when the thing is gone, whoever removed it.
GONE = (200, 204, 404)


def check(response: requests.Response, what: str, ok: Collection[int] | None = None) -> None:
    """Raise InfraError naming `what` and Podman's message unless the status is in `ok` (by
    default any 2xx)."""
    good = response.status_code in ok if ok is not None else 200 <= response.status_code < 300
    if not good:
        raise InfraError(f"{what} failed (HTTP {response.status_code}): {message(response)}")


def message(response: requests.Response) -> str:
    """Podman's error message of a response (its JSON `message`, else the body)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or response.text).strip()


def api_failure(error: Exception) -> str:
    """One line for a failed Podman API call: the route, not the socket's URL-encoded path."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = re.sub(r"^https?://[^/]+/v[0-9.]+/(libpod/)?", "/", text)[:300]
    gone = isinstance(error, requests.ConnectionError) or isinstance(error.__cause__, requests.ConnectionError)
    return f"the Podman API {'stopped answering' if gone else 'failed'}: {text}"
