"""The engine without Podman: stream decoding, secrets' run labels, and how it reads Podman's
answers (only a 404 means "missing"; any other error is an InfraError naming what failed)."""

import pytest
import requests
from podman.errors import APIError, NotFound

from harness.errors import InfraError
from harness.podman.containers import _unframe
from harness.podman.engine import Engine
from harness.podman.http import GONE, check


def test_unframe_joins_stdout_and_stderr_frames():
    data = b"\x01\x00\x00\x00\x00\x00\x00\x03out" + b"\x02\x00\x00\x00\x00\x00\x00\x04err\n"
    assert _unframe(data) == "outerr\n"
    assert _unframe(b"plain text") == "plain text"


def test_a_runs_secrets_are_found_by_their_name():
    from harness.naming import LABEL_RUN
    from harness.podman.engine import _carries

    assert _carries("copr-harness.ch-1.frontend-env", LABEL_RUN, "ch-1")
    assert _carries("copr-harness.ch-1.frontend-env", LABEL_RUN, "")
    assert not _carries("copr-harness.ch-1.frontend-env", LABEL_RUN, "ch-2")
    assert not _carries("copr-harness.ch-1-x.frontend-env", LABEL_RUN, "ch-1")
    assert not _carries("someone-elses", LABEL_RUN, "")
    assert not _carries("ch-1.a-users-own-secret", LABEL_RUN, "")
    assert not _carries("copr-harness.ch-1.frontend-env", "other.label", "")


def response(status: int, body: bytes = b"") -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made._content = body
    return made


class Images:
    """podman-py's image manager, answering `get` with one fixed outcome."""

    def __init__(self, outcome: BaseException | str) -> None:
        self.outcome = outcome

    def get(self, tag: str):
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return type("Image", (), {"id": self.outcome})()


def engine_with(images: Images) -> Engine:
    engine = Engine.__new__(Engine)  # no connection: only the client's image manager is used
    engine.client = type("Client", (), {"images": images})()
    return engine


def test_an_image_is_missing_only_when_podman_says_not_found():
    assert engine_with(Images("sha256:abc")).image_id("copr-harness/x:1") == "sha256:abc"
    assert engine_with(Images(NotFound("no such image"))).image_id("copr-harness/x:1") is None
    # What podman-py raises for Podman 4.3's "image not known": an APIError carrying the 404.
    not_known = APIError("image not known", response=response(404, b'{"message": "image not known"}'))
    assert engine_with(Images(not_known)).image_id("copr-harness/x:1") is None


def test_a_broken_api_is_not_a_cache_miss():
    """Before: any APIError read as "no image", so a broken service triggered a rebuild."""
    broken = engine_with(Images(APIError("internal error", response=response(500, b"{}"))))
    with pytest.raises(InfraError, match="looking up image copr-harness/x:1 failed: 500 Server Error") as raised:
        broken.image_id("copr-harness/x:1")
    assert raised.value.exit_code == 3


def test_check_passes_2xx_and_names_what_failed_otherwise():
    check(response(200), "anything")
    check(response(204), "anything")
    with pytest.raises(InfraError, match=r"^podman kube play failed \(HTTP 500\): no pause image$"):
        check(response(500, b'{"message": "no pause image"}'), "podman kube play")
    with pytest.raises(InfraError, match=r"removing pod p failed \(HTTP 409\): busy"):
        check(response(409, b"busy"), "removing pod p", ok=GONE)


def test_a_removal_of_something_already_gone_is_done():
    check(response(404, b'{"message": "no such container"}'), "removing container c", ok=GONE)
    with pytest.raises(InfraError):
        check(response(404), "podman import of x.tar")

