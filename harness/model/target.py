"""Target files: an existing Copr the suites run against, black-box.

One format for both a Copr the harness did not start (a dev instance, production) and a stack it
runs itself (`copr-harness target` writes one; the suites read the same file through
COPR_STACK). Credentials are never in the file: copr-cli configs and the backend password are
named by path. Paths are relative to the target file.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from harness.errors import InputError
from harness.model.config import FieldError, load_model

# Keys that would put a credential into the target file itself.
SECRET_KEYS = {"token", "login", "password", "api_token", "copr_token", "secret"}
# What Copr's API tokens look like (lowercase letters, 30+), or a long opaque string.
TOKEN_LIKE = re.compile(r"^(?:[a-z]{30,}|[A-Za-z0-9_\-]{40,})$")

# What a target gives; tests declare what they need with @pytest.mark.needs(...).
CAPABILITIES = {
    "hosts": "shell access to the Copr's hosts (testinfra URIs under 'hosts:')",
    "backend_password": "the backend's password (backend_password_file:)",
    "second_user": "a second copr-cli config (two entries under 'users:')",
    "probes": "health probe URLs (probes:)",
    "group": "a group the default user may make projects in (group:, without the @)",
    "containers": "Podman access to the stack's own containers (a copr-harness run on this "
                  "machine: run_id: and podman:// hosts)",
}


class Urls(BaseModel):
    model_config = ConfigDict(extra="forbid")
    frontend: str
    backend: str | None = None  # required in a target file (load_target); a stack may lack it
    distgit: str | None = None

    @field_validator("frontend", "backend", "distgit")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value.rstrip("/") if value else value


def _readable(value: Path, info: ValidationInfo) -> Path:
    """A path relative to the target file, which must be a readable file."""
    base = Path((info.context or {}).get("file", ".")).parent
    path = value if value.is_absolute() else (base / value)
    try:
        path.read_bytes()
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror})") from None
    return path.resolve()


class Target(BaseModel):
    """A Copr to test: where it answers, who the tests act as, what else they may use."""

    model_config = ConfigDict(extra="forbid")
    urls: Urls
    users: dict[str, Path]  # name -> copr-cli config file (holds the token; never inline)
    default_user: str | None = None
    owner: str | None = None  # user or @group post-release makes its project in (default: default_user)
    group: str | None = None
    chroots: list[str] = ["fedora-44-x86_64"]
    hosts: dict[str, str] = {}  # name -> testinfra URI (ssh://..., podman://...)
    expected_packages: dict[str, list[str]] = {}  # host -> NVRs it must run
    package_origins: dict[str, dict[str, str]] = {}  # host -> NVR -> where it came from
    backend_password_file: Path | None = None
    intact_project: str | None = None  # owner/name a post-release run checks is still there
    probes: dict[str, dict] = {}
    data_manifest: Path | None = None
    run_id: str | None = None  # set when the target is a copr-harness run

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: object) -> object:
        _refuse_secrets(data, ())
        return data

    @field_validator("users")
    @classmethod
    def _configs(cls, value: dict[str, Path], info: ValidationInfo) -> dict[str, Path]:
        if not value:
            raise ValueError("name at least one copr-cli config file (name: path)")
        for name, path in value.items():
            try:
                value[name] = _readable(path, info)
            except ValueError as error:
                raise FieldError((name,), str(error)) from None
        return value

    @field_validator("backend_password_file")
    @classmethod
    def _password_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _readable(value, info)

    @field_validator("chroots")
    @classmethod
    def _some_chroot(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one chroot to build for")
        return value

    @field_validator("intact_project")
    @classmethod
    def _full_name(cls, value: str | None) -> str | None:
        if value is not None and value.count("/") != 1:
            raise ValueError(f"write it as owner/project (got {value!r})")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> "Target":
        if self.default_user is None:
            self.default_user = next(iter(self.users))
        elif self.default_user not in self.users:
            raise FieldError(("default_user",),
                             f"'{self.default_user}' is not under users: ({', '.join(self.users)})")
        if self.owner is None:
            self.owner = self.default_user
        return self

    def capabilities(self) -> set[str]:
        """What this target gives tests (the names @pytest.mark.needs uses)."""
        given = set()
        if self.hosts:
            given.add("hosts")
        if self.backend_password_file:
            given.add("backend_password")
        if len(self.users) > 1:
            given.add("second_user")
        if self.probes:
            given.add("probes")
        if self.group:
            given.add("group")
        if self.run_id and any(uri.startswith("podman://") for uri in self.hosts.values()):
            given.add("containers")
        return given

    def description(self) -> dict:
        """The plain dict the suites' fixtures read (paths as text)."""
        return self.model_dump(mode="json")


def _refuse_secrets(data: object, where: tuple[str | int, ...]) -> None:
    """Refuse a credential written into the file, naming the field (never echoing the value)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if str(key).lower() in SECRET_KEYS:
                raise FieldError(where + (key,), "a credential in the target file is refused: "
                                 "name a copr-cli config file by path instead")
            _refuse_secrets(value, where + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _refuse_secrets(value, where + (index,))
    elif isinstance(data, str) and TOKEN_LIKE.match(data):
        raise FieldError(where, "this looks like an API token: a credential in the target file "
                         "is refused, name a copr-cli config file by path instead")


def load_target(path: Path) -> Target:
    """Load and validate a target file; bad input is one InputError line naming the field."""
    target = load_model(path.resolve(), Target)
    if target.urls.backend is None:
        raise InputError(f"{path}: urls.backend: Field required (the URL results are served from)")
    return target
