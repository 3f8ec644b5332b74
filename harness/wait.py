"""The one wait helper: poll a check with tenacity until it passes or a timeout runs out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from harness.errors import InfraError

T = TypeVar("T")


class NotYet(Exception):
    """Raised by a check to say: not ready yet, poll again (the message says what is missing)."""


class WaitTimeout(InfraError):
    """A wait ran out of time."""


def until(
    check: Callable[[], T],
    *,
    what: str,
    timeout: float,
    interval: float = 0.2,
    max_interval: float = 2.0,
    retry_on: tuple[type[BaseException], ...] = (NotYet,),
    context: Callable[[], str] | None = None,
) -> T:
    """Call `check` until it returns without raising one of `retry_on`; return its result.

    On timeout raise WaitTimeout naming `what`, the last reason given, and `context()` (for
    example a container's last log lines).
    """
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_exponential(multiplier=interval, min=interval, max=max_interval),
        retry=retry_if_exception_type(retry_on),
        reraise=False,
    )
    try:
        return retrying(check)
    except RetryError as error:
        last = error.last_attempt.exception()
        message = f"timed out after {timeout:.0f}s waiting for {what}"
        if last is not None:
            message += f" (last: {last})"
        if context is not None:
            extra = context().rstrip()
            if extra:
                message += "\n" + extra
        raise WaitTimeout(message) from None
