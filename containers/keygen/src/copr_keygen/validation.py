"""What the keygen accepts from clients: key e-mails, /gen_key bodies, digest names, RPMs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# The key e-mail the backend makes is "<owner>#<project>@copr.<domain>", a group owner
# starting with '@'. The e-mail also names the phrases file, so this rule keeps '/' out of it.
_OWNER_RE = re.compile(r"[\w.-]+")
_PROJECT_AT_DOMAIN_RE = re.compile(r"[-\w.@]+")
# gpg's Expire-Date: 0 (never), a number of days, <n>d/w/m/y, or an ISO date.
_EXPIRE_RE = re.compile(r"0|[1-9][0-9]*[dwmy]?|[0-9]{4}-[0-9]{2}-[0-9]{2}")
MIN_KEY_LENGTH, MAX_KEY_LENGTH = 1024, 4096
MAX_TEXT = 256
HASHES = ("sha1", "sha256")
RPM_LEAD_MAGIC = b"\xed\xab\xee\xdb"


class BadRequest(ValueError):
    """A request the service answers with 400; the message says what is wrong."""


@dataclass(frozen=True)
class KeyRequest:
    """A parsed, checked /gen_key request, defaults filled in."""

    name_real: str
    name_email: str
    name_comment: str | None
    key_length: int
    expire: str


def valid_email(name_email: object) -> bool:
    """Whether `name_email` follows the keygen's rule for key e-mails (`owner#project@domain`)."""
    if not isinstance(name_email, str) or "#" not in name_email:
        return False
    owner, rest = name_email.split("#", 1)
    owner = owner[1:] if owner.startswith("@") else owner
    return (
        _OWNER_RE.fullmatch(owner) is not None
        and _PROJECT_AT_DOMAIN_RE.fullmatch(rest) is not None
        and rest.count("@") == 1
    )


def _text(query: dict[str, Any], field: str, forbidden: str, required: bool) -> str | None:
    """A free-text field that goes into a GnuPG user id, checked so it cannot break out of it."""
    value = query.get(field)
    if value is None:
        if required:
            raise BadRequest(f"missing field '{field}'")
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{field}' must be a string")
    if required and not value.strip():
        raise BadRequest(f"'{field}' is empty")
    if len(value) > MAX_TEXT:
        raise BadRequest(f"'{field}' is longer than {MAX_TEXT} characters")
    # A line break would end the line of gpg's parameter file and start a new parameter.
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise BadRequest(f"'{field}' contains control characters")
    bad = sorted({ch for ch in value if ch in forbidden})
    if bad:
        raise BadRequest(f"'{field}' must not contain {' '.join(bad)}")
    return value


def _key_length(value: object, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("'key_length' must be a whole number")
    if not MIN_KEY_LENGTH <= value <= MAX_KEY_LENGTH:
        raise BadRequest(f"'key_length' must be between {MIN_KEY_LENGTH} and {MAX_KEY_LENGTH}")
    return value


def _expire(value: object, default: str) -> str:
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and _EXPIRE_RE.fullmatch(value):
        return value
    raise BadRequest("'expire' must be 0, a number of days, <n>d/w/m/y, or a YYYY-MM-DD date")


def parse_gen_key(body: bytes, charset: str = "utf-8", *, default_length: int = 2048,
                  default_expire: str = "5y") -> KeyRequest:
    """Parse a /gen_key body (JSON); raise BadRequest saying what is wrong with it."""
    try:
        query = json.loads(body.decode(charset or "utf-8"))
    except (UnicodeDecodeError, LookupError, ValueError) as error:
        raise BadRequest(f"the body is not JSON: {error}") from None
    if not isinstance(query, dict):
        raise BadRequest("the body must be a JSON object")
    name_real = _text(query, "name_real", "<>", required=True)
    if "name_email" not in query or query["name_email"] is None:
        raise BadRequest("missing field 'name_email'")
    name_email = query["name_email"]
    if not valid_email(name_email):
        raise BadRequest(f"invalid name_email: {name_email!r}")
    assert name_real is not None
    return KeyRequest(
        name_real=name_real,
        name_email=name_email,
        name_comment=_text(query, "name_comment", "<>()", required=False) or None,
        key_length=_key_length(query.get("key_length"), default_length),
        expire=_expire(query.get("expire"), default_expire),
    )


def parse_hash(value: str | None) -> str:
    """The digest algorithm of a signing request (sha256 when not given)."""
    if value is None or value == "":
        return "sha256"
    if value not in HASHES:
        raise BadRequest(f"unsupported hash '{value}' (use one of: {', '.join(HASHES)})")
    return value


def check_rpm(data: bytes) -> None:
    """Raise BadRequest unless `data` starts like an RPM package."""
    if not data:
        raise BadRequest("the body is empty: send the RPM file")
    if not data.startswith(RPM_LEAD_MAGIC):
        raise BadRequest("the body is not an RPM package")
