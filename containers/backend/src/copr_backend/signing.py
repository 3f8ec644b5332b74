"""Project keys and RPM signatures: keygen's `/gen_key` over HTTP, the `sign` client for the rest."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from .errors import Canceled
from .frontend import ChangeLog

log = logging.getLogger("copr-backend.sign")

UNKNOWN_KEY = "unknown key:"
# Failures of the sign client that trying again cannot fix (the keygen refused the request, or a
# local file problem); anything else means the keygen is down or broken for now.
_PERMANENT = re.compile(r"answered 4\d\d|^cannot (read|write) ")
RETRY_DELAY = 5
# One `sign` run (it has its own HTTP timeouts; this bounds the process) and one gen_key request
# (a 2048-bit key on a busy keygen).
SIGN_TIMEOUT = 600
GEN_KEY_TIMEOUT = 120
ACTION_ATTEMPTS = 5


class SignError(Exception):
    """Signing or key generation failed for good (not a keygen that is merely down)."""


class KeygenDown(SignError):
    """The keygen could not be reached or failed; worth trying again."""


def gpg_email(owner: str, project: str, domain: str) -> str:
    """The e-mail that names a project's key: `<owner>#<project>@copr.<domain>`."""
    return f"{owner}#{project}@copr.{domain}"


def hash_for_chroot(chroot: str) -> str:
    """The signature digest a chroot's RPMs get: sha1 only for EL <= 4 and Fedora < 27."""
    parts = chroot.split("-")
    if len(parts) >= 2:
        distro, release = parts[0], parts[1]
        if distro in ("rhel", "epel", "centos", "oraclelinux") and release.isdigit() and int(release) <= 4:
            return "sha1"
        if distro == "fedora" and release.isdigit() and int(release) < 27:
            return "sha1"
    return "sha256"


Runner = Callable[..., "subprocess.CompletedProcess[str]"]
Poster = Callable[..., Any]


class Signer:
    """Talks to the keygen: creates keys, exports public keys, signs RPMs in place."""

    def __init__(
        self,
        keygen_url: str,
        domain: str,
        command: str,
        run: Runner = subprocess.run,
        post: Poster = requests.post,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.keygen_url = keygen_url.rstrip("/")
        self.domain = domain
        self.command = command
        self._run = run
        self._post = post
        self._sleep = sleep
        self._down = ChangeLog(log)
        self._env = dict(os.environ, COPR_KEYGEN_URL=self.keygen_url)

    def email(self, owner: str, project: str) -> str:
        return gpg_email(owner, project, self.domain)

    # -- one attempt of each operation ------------------------------------------------------------

    def gen_key_once(self, owner: str, project: str) -> bool:
        """POST /gen_key; True when the key was created, False when it existed."""
        body = {"name_real": f"{owner}_{project}", "name_email": self.email(owner, project)}
        try:
            response = self._post(f"{self.keygen_url}/gen_key", json=body, timeout=GEN_KEY_TIMEOUT)
        except requests.RequestException as error:
            raise KeygenDown(f"keygen {self.keygen_url} unreachable: {type(error).__name__}") from None
        if response.status_code >= 500:
            raise KeygenDown(f"keygen gen_key answered {response.status_code}")
        if response.status_code >= 400:
            raise SignError(f"keygen refused gen_key for {body['name_email']}: {response.status_code}")
        return response.status_code == 201

    def _sign_cli(self, args: list[str]) -> str:
        """Run the sign client; its stdout, or KeygenDown/SignError (UNKNOWN_KEY kept in the text)."""
        try:
            result = self._run([self.command, *args], capture_output=True, text=True,
                               env=self._env, timeout=SIGN_TIMEOUT, start_new_session=True)
        except (OSError, subprocess.SubprocessError) as error:
            raise SignError(f"cannot run {self.command}: {error}") from None
        if result.returncode == 0:
            return result.stdout
        message = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        if UNKNOWN_KEY in result.stderr:
            raise SignError(message)
        if result.returncode == 2:
            raise SignError(f"sign usage error: {message}")
        if _PERMANENT.search(message):
            raise SignError(message)
        raise KeygenDown(message)

    def pubkey_once(self, owner: str, project: str) -> str:
        return self._sign_cli(["-u", self.email(owner, project), "-p"])

    def sign_once(self, owner: str, project: str, path: Path, digest: str) -> None:
        self._sign_cli(["-4", "-h", digest, "-u", self.email(owner, project), "-r", str(path)])

    # -- with the retry policies ------------------------------------------------------------------

    def _with_key(self, owner: str, project: str, operation: Callable[[], Any]) -> Any:
        """`operation`, after creating the key when the keygen says there is none."""
        try:
            return operation()
        except KeygenDown:
            raise
        except SignError as error:
            if UNKNOWN_KEY not in str(error):
                raise
        log.info("no key for %s yet: asking keygen for one", self.email(owner, project))
        self.gen_key_once(owner, project)
        return operation()

    def _forever(self, what: str, operation: Callable[[], Any], cancel: threading.Event | None) -> Any:
        """Retry `operation` while the keygen is down (a build waits; it never publishes unsigned)."""
        while True:
            if cancel is not None and cancel.is_set():
                raise Canceled(what)
            try:
                result = operation()
            except KeygenDown as error:
                self._down.report(str(error), logging.WARNING,
                                  f"{what}: {error}; waiting for the keygen")
                self._sleep(RETRY_DELAY)
                continue
            self._down.clear(message="keygen answers again")
            return result

    def pubkey(self, owner: str, project: str, cancel: threading.Event | None = None) -> str:
        """The project's armored public key (made first if needed), waiting for the keygen."""
        return self._forever(f"public key of {owner}/{project}",
                             lambda: self._with_key(owner, project, lambda: self.pubkey_once(owner, project)),
                             cancel)

    def sign_rpms(self, owner: str, project: str, paths: list[Path], chroot: str,
                  cancel: threading.Event | None = None) -> None:
        """Sign each RPM in place with the project's key, waiting for the keygen as long as needed."""
        digest = hash_for_chroot(chroot)
        for path in paths:
            self._forever(f"signing {path.name}",
                          lambda p=path: self._with_key(owner, project,
                                                        lambda: self.sign_once(owner, project, p, digest)),
                          cancel)

    def gen_key(self, owner: str, project: str, attempts: int = ACTION_ATTEMPTS) -> bool:
        """Create the key (an action: a few attempts, then SignError)."""
        for attempt in range(1, attempts + 1):
            try:
                return self.gen_key_once(owner, project)
            except KeygenDown as error:
                if attempt == attempts:
                    raise SignError(f"{error} (after {attempts} attempts)") from None
                self._sleep(min(2 ** attempt, 10))
        raise AssertionError("unreachable")

    def pubkey_bounded(self, owner: str, project: str, attempts: int = ACTION_ATTEMPTS) -> str:
        """The public key with a few attempts (for actions, which must not block the queue)."""
        for attempt in range(1, attempts + 1):
            try:
                return self._with_key(owner, project, lambda: self.pubkey_once(owner, project))
            except KeygenDown as error:
                if attempt == attempts:
                    raise SignError(f"{error} (after {attempts} attempts)") from None
                self._sleep(min(2 ** attempt, 10))
        raise AssertionError("unreachable")
