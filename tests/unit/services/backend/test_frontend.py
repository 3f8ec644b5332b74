"""The backend's frontend client: URLs, auth, retries, and the FE/BE API gate (fake HTTP layer)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests


from copr_backend import frontend


class FakeResponse:
    def __init__(self, status: int = 200, body: Any = None, api: int | None = 9) -> None:
        self.status_code = status
        self.text = json.dumps(body) if body is not None else ""
        self.headers = {} if api is None else {"Copr-FE-BE-API-Version": str(api)}

    def json(self) -> Any:
        return json.loads(self.text)


class FakeTransport:
    """Answers from a script (a response, or an exception to raise); records every request."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.calls: list[tuple[str, str, dict]] = []

    def __call__(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        self.calls.append((method, url, kwargs))
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        return item


def client(transport: FakeTransport, sleeps: list[float] | None = None) -> Any:
    record = sleeps if sleeps is not None else []
    return frontend.FrontendClient("http://fe:5000/", "s3cret", 9, transport=transport,
                                   sleep=record.append)


def too_old_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "too old" in r.getMessage()]


def test_get_has_trailing_slash_and_no_auth() -> None:
    transport = FakeTransport(FakeResponse(body=[{"task_id": "1", "build_id": 1}]))
    assert client(transport).get("pending-jobs") == [{"task_id": "1", "build_id": 1}]
    method, url, kwargs = transport.calls[0]
    assert (method, url) == ("GET", "http://fe:5000/backend/pending-jobs/")
    assert "auth" not in kwargs and "json" not in kwargs


def test_post_sends_json_with_basic_auth() -> None:
    transport = FakeTransport(FakeResponse(body={"can_start": True}))
    assert client(transport).post("starting_build", {"id": 1}) == {"can_start": True}
    method, url, kwargs = transport.calls[0]
    assert (method, url) == ("POST", "http://fe:5000/backend/starting_build/")
    assert kwargs["auth"] == ("user", "s3cret") and kwargs["json"] == {"id": 1}


def test_too_old_frontend_raises_for_dispatchers(caplog: pytest.LogCaptureFixture) -> None:
    transport = FakeTransport(FakeResponse(body=[], api=8))
    fe = client(transport)
    for _ in range(5):
        with pytest.raises(frontend.FrontendTooOld, match=r"too old on Frontend side, 8 < 9"):
            fe.get("pending-jobs", try_indefinitely=False)
    # A waiting backend must not flood its log: one line for the whole wait.
    assert too_old_lines(caplog) == ["Copr FE/BE API is too old on Frontend side, 8 < 9"]
    assert len(transport.calls) == 5


def test_missing_header_counts_as_api_zero(caplog: pytest.LogCaptureFixture) -> None:
    fe = client(FakeTransport(FakeResponse(body=[], api=None)))
    with pytest.raises(frontend.FrontendTooOld):
        fe.get("pending-jobs", try_indefinitely=False)
    assert too_old_lines(caplog) == ["Copr FE/BE API is too old on Frontend side, 0 < 9"]


def test_too_old_is_logged_again_after_a_change(caplog: pytest.LogCaptureFixture) -> None:
    transport = FakeTransport(FakeResponse(body=[], api=8), FakeResponse(body=[], api=8),
                              FakeResponse(body=[], api=9), FakeResponse(body=[], api=7))
    fe = client(transport)
    results = []
    for _ in range(4):
        try:
            results.append(fe.get("pending-jobs", try_indefinitely=False))
        except frontend.FrontendTooOld as error:
            results.append(error.version)
    assert results == [8, 8, [], 7]
    assert too_old_lines(caplog) == ["Copr FE/BE API is too old on Frontend side, 8 < 9",
                                     "Copr FE/BE API is too old on Frontend side, 7 < 9"]


def test_workers_wait_for_a_new_enough_frontend(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    sleeps: list[float] = []
    transport = FakeTransport(*[FakeResponse(body={}, api=8)] * 4, FakeResponse(body={"ok": 1}, api=9))
    assert client(transport, sleeps).post("update", {"builds": []}) == {"ok": 1}
    assert len(transport.calls) == 5 and len(sleeps) == 4 and all(s > 0 for s in sleeps)
    assert len(too_old_lines(caplog)) == 1
    assert any("API version on Frontend side: 9" in r.getMessage() for r in caplog.records)


def test_newer_frontend_is_accepted() -> None:
    fe = client(FakeTransport(FakeResponse(body=[], api=10)))
    assert fe.get("pending-jobs", try_indefinitely=False) == []
    assert fe.api_seen == 10


@pytest.mark.parametrize("failure", [requests.ConnectionError("refused"), FakeResponse(status=502),
                                     FakeResponse(status=408)])
def test_unreachable_frontend(failure: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with pytest.raises(frontend.FrontendUnreachable):
        client(FakeTransport(failure)).get("pending-jobs", try_indefinitely=False)
    sleeps: list[float] = []
    transport = FakeTransport(failure, failure, failure, FakeResponse(body=[1]))
    assert client(transport, sleeps).get("pending-jobs") == [1]
    assert sleeps == [1, 2, 5]
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage() or "answered" in r.getMessage()]
    assert len(unreachable) == 2  # once per client, not once per attempt
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_client_errors_are_not_retried() -> None:
    transport = FakeTransport(FakeResponse(status=404, body={"msg": "Specified task ID not found"}, api=None))
    with pytest.raises(frontend.FrontendRequestError, match="404"):
        client(transport).get("get-srpm-build-task/7")
    assert len(transport.calls) == 1


def test_logs_never_show_the_password(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    transport = FakeTransport(requests.ConnectionError("refused"), FakeResponse(body={}, api=8),
                              FakeResponse(body={}))
    client(transport).post("update", {"builds": []})
    assert "s3cret" not in caplog.text
