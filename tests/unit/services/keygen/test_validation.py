"""Unit tests of the keygen's request checks (containers/keygen/src/copr_keygen/validation.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest


from copr_keygen.validation import (  # noqa: E402
    BadRequest, KeyRequest, check_rpm, parse_gen_key, parse_hash, valid_email,
)


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize("email", [
    "copr#copr@copr.fedorahosted.org",
    "@copr#copr@copr.fedorahosted.org",  # a group project
    "user.name-1#proj_x.y-z@copr.example.org",
    "u#p@",  # the rule asks for one '@', nothing after it
])
def test_valid_emails(email: str) -> None:
    assert valid_email(email)


@pytest.mark.parametrize("email", [
    "",
    "foo@example.com",  # no '#'
    "#proj@copr.example.org",  # no owner
    "@#proj@copr.example.org",
    "@@owner#proj@copr.example.org",  # only one leading '@' is a group mark
    "owner#proj",  # no '@'
    "owner#proj@copr@example.org",  # two '@'
    "owner#pr#oj@copr.example.org",
    "own/er#proj@copr.example.org",  # would leave the phrases folder
    "owner#pr/oj@copr.example.org",
    "owner#proj@copr.example.org\n",
    "own er#proj@copr.example.org",
    "owner#proj@copr.example.org>",
])
def test_invalid_emails(email: str) -> None:
    assert not valid_email(email)


@pytest.mark.parametrize("value", [None, 42, ["a#b@c"], b"a#b@c"])
def test_non_string_email_is_invalid(value: object) -> None:
    assert not valid_email(value)


def test_minimal_request_gets_defaults() -> None:
    request = parse_gen_key(body(name_real="owner_proj", name_email="owner#proj@copr.example.org"),
                            default_length=2048, default_expire="5y")
    assert request == KeyRequest("owner_proj", "owner#proj@copr.example.org", None, 2048, "5y")


def test_full_request() -> None:
    request = parse_gen_key(body(name_real="owner_proj", name_email="@g#p@copr.example.org",
                                 name_comment="a comment", key_length=1024, expire="2y"))
    assert (request.name_comment, request.key_length, request.expire) == ("a comment", 1024, "2y")


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("key_length", "4096", 4096),
    ("key_length", None, 2048),
    ("expire", 0, "0"),
    ("expire", 365, "365"),
    ("expire", "2030-01-31", "2030-01-31"),
    ("expire", None, "5y"),
    ("name_comment", "", None),
])
def test_optional_fields(field: str, value: object, expected: object) -> None:
    fields = {"name_real": "o_p", "name_email": "o#p@copr.example.org", field: value}
    assert getattr(parse_gen_key(body(**fields)), field) == expected


def test_body_charset() -> None:
    raw = json.dumps({"name_real": "Jiří_p", "name_email": "o#p@c"}, ensure_ascii=False)
    assert parse_gen_key(raw.encode("iso-8859-2"), "iso-8859-2").name_real == "Jiří_p"


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "not JSON"),
    (b"{name_real: x}", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b'["o#p@c"]', "JSON object"),
    (body(name_email="o#p@c"), "missing field 'name_real'"),
    (body(name_real="o_p"), "missing field 'name_email'"),
    (body(name_real="o_p", name_email=None), "missing field 'name_email'"),
    (body(name_real="o_p", name_email="o@p.org"), "invalid name_email"),
    (body(name_real="", name_email="o#p@c"), "'name_real' is empty"),
    (body(name_real=5, name_email="o#p@c"), "'name_real' must be a string"),
    (body(name_real="o_p\nKey-Length: 512", name_email="o#p@c"), "control characters"),
    (body(name_real="o <x@y>", name_email="o#p@c"), "must not contain < >"),
    (body(name_real="o_p", name_email="o#p@c", name_comment="(x)"), "must not contain ( )"),
    (body(name_real="x" * 300, name_email="o#p@c"), "longer than"),
    (body(name_real="o_p", name_email="o#p@c", key_length="big"), "whole number"),
    (body(name_real="o_p", name_email="o#p@c", key_length=True), "whole number"),
    (body(name_real="o_p", name_email="o#p@c", key_length=512), "between 1024 and 4096"),
    (body(name_real="o_p", name_email="o#p@c", key_length=8192), "between 1024 and 4096"),
    (body(name_real="o_p", name_email="o#p@c", expire="soon"), "'expire'"),
    (body(name_real="o_p", name_email="o#p@c", expire=-1), "'expire'"),
    (body(name_real="o_p", name_email="o#p@c", expire="5y\n%commit"), "'expire'"),
])
def test_bad_requests(raw: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as error:
        parse_gen_key(raw)
    assert message in str(error.value)


@pytest.mark.parametrize(("value", "expected"), [(None, "sha256"), ("", "sha256"),
                                                  ("sha256", "sha256"), ("sha1", "sha1")])
def test_hash(value: str | None, expected: str) -> None:
    assert parse_hash(value) == expected


@pytest.mark.parametrize("value", ["md5", "SHA256", "sha512"])
def test_unsupported_hash(value: str) -> None:
    with pytest.raises(BadRequest, match="unsupported hash"):
        parse_hash(value)


def test_check_rpm() -> None:
    check_rpm(b"\xed\xab\xee\xdb" + b"\0" * 92)
    with pytest.raises(BadRequest, match="empty"):
        check_rpm(b"")
    with pytest.raises(BadRequest, match="not an RPM"):
        check_rpm(b"PK\x03\x04")
