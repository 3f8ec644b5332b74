"""The key store: GnuPG keys in one homedir, a phrases file per usable key, and RPM signing."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import Settings
from .validation import KeyRequest, valid_email

GEN_TIMEOUT = 120
SIGN_TIMEOUT = 300


class GpgError(RuntimeError):
    """gpg or rpmsign failed; the message carries their diagnostics (never key material)."""


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path`: across gunicorn workers and threads alike."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _uid_email(user_id: str) -> str:
    """The e-mail of a `--with-colons` user id (which escapes ':' and friends as \\xNN)."""
    text = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), user_id)
    start, end = text.rfind("<"), text.rfind(">")
    return text[start + 1 : end] if 0 <= start < end else ""


def _newest_usable_key(colons: str, email: str) -> str | None:
    """From `gpg --with-colons --list-secret-keys`, the fingerprint of the newest usable key
    that has a user id with exactly this e-mail."""
    best: tuple[int, str] | None = None
    key: dict | None = None
    keys: list[dict] = []
    for line in colons.splitlines():
        fields = line.split(":")
        kind = fields[0]
        if kind == "sec":
            key = {"validity": fields[1], "created": int(fields[5] or 0), "fpr": "", "emails": []}
            keys.append(key)
        elif key is None:
            continue
        elif kind == "fpr" and not key["fpr"]:
            key["fpr"] = fields[9]
        elif kind == "uid":
            key["emails"].append(_uid_email(fields[9]))
        elif kind == "ssb":
            key = None  # the records that follow belong to a subkey
    for candidate in keys:
        if candidate["validity"] in ("r", "e", "d", "i") or email not in candidate["emails"]:
            continue
        if best is None or candidate["created"] > best[0]:
            best = (candidate["created"], candidate["fpr"])
    return best[1] if best else None


class Keyring:
    """The keys of every project, as obs-signd on the keygen host would see them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def home(self) -> Path:
        return self.settings.gnupg_home

    def prepare(self) -> None:
        """Create the homedir and the phrases folder (gpg refuses a group-readable homedir)."""
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        for folder in (self.home, self.settings.phrases_dir):
            folder.mkdir(mode=0o700, exist_ok=True)

    def _gpg(self, args: list[str], stdin: str | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess:
        command = [self.settings.gpg, "--homedir", str(self.home), "--batch", "--no-tty",
                   "--no-auto-check-trustdb", *args]
        streams: dict = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
        # Untranslated messages: "No secret key" is how gpg says a key is absent.
        env = dict(os.environ, LC_ALL="C")
        try:
            return subprocess.run(command, capture_output=True, encoding="utf-8", errors="replace",
                                  timeout=timeout, env=env, **streams)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise GpgError(f"running gpg failed: {error}") from None

    def _phrases(self, email: str) -> Path:
        return self.settings.phrases_dir / email

    def fingerprint(self, email: str) -> str | None:
        """The fingerprint of the key with this e-mail in the keyring, or None."""
        result = self._gpg(["--with-colons", "--fingerprint", "--list-secret-keys", f"<{email}>"])
        if result.returncode != 0:
            if "No secret key" in result.stderr or "No public key" in result.stderr:
                return None
            raise GpgError(f"gpg --list-secret-keys failed ({result.returncode}): "
                           f"{result.stderr.strip()}")
        return _newest_usable_key(result.stdout, email)

    def usable(self, email: str) -> str | None:
        """The fingerprint of the key signd would sign with for `email` (key and phrases file
        both present), or None."""
        if not valid_email(email) or not self._phrases(email).is_file():
            return None
        return self.fingerprint(email)

    def _mark_usable(self, email: str) -> None:
        """Write the phrases file: the keys have no passphrase, its presence is what counts."""
        path = self._phrases(email)
        if path.is_file() and path.stat().st_size:
            return
        fd, tmp = tempfile.mkstemp(dir=self.settings.phrases_dir, prefix=".tmp-")
        with os.fdopen(fd, "w") as handle:
            handle.write("1\n")
        os.replace(tmp, path)

    def ensure_key(self, request: KeyRequest) -> tuple[bool, str]:
        """Make sure a key for `request.name_email` exists; return (created, fingerprint)."""
        self.prepare()
        # One generation at a time: two requests for the same project must not make two keys.
        with file_lock(self.settings.lock_file):
            existing = self.fingerprint(request.name_email)
            if existing:
                self._mark_usable(request.name_email)
                return False, existing
            fingerprint = self._generate(request)
            self._mark_usable(request.name_email)
            return True, fingerprint

    def _generate(self, request: KeyRequest) -> str:
        lines = [
            "%no-protection",
            "Key-Type: RSA",
            f"Key-Length: {request.key_length}",
            "Key-Usage: sign",
            f"Name-Real: {request.name_real}",
            f"Name-Email: {request.name_email}",
            f"Expire-Date: {request.expire}",
            "%commit",
        ]
        if request.name_comment:
            lines.insert(5, f"Name-Comment: {request.name_comment}")
        result = self._gpg(["--status-fd", "1", "--gen-key"], stdin="\n".join(lines) + "\n",
                           timeout=GEN_TIMEOUT)
        created = [ln.split()[3] for ln in result.stdout.splitlines()
                   if ln.startswith("[GNUPG:] KEY_CREATED ") and len(ln.split()) > 3]
        if result.returncode != 0 or not created:
            raise GpgError(f"gpg --gen-key failed ({result.returncode}): {result.stderr.strip()}")
        return created[0]

    def public_key(self, email: str) -> str | None:
        """The armored public key signd would hand out for `email`, or None."""
        fingerprint = self.usable(email)
        if fingerprint is None:
            return None
        result = self._gpg(["--armor", "--export", fingerprint])
        if result.returncode != 0 or "BEGIN PGP PUBLIC KEY BLOCK" not in result.stdout:
            raise GpgError(f"gpg --export failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    def sign_rpm(self, email: str, rpm: bytes, digest: str) -> bytes | None:
        """`rpm` signed with the key of `email` using `digest`; None when there is no such key."""
        fingerprint = self.usable(email)
        if fingerprint is None:
            return None
        with tempfile.TemporaryDirectory(prefix="copr-keygen-sign-") as tmp:
            path = Path(tmp) / "package.rpm"
            path.write_bytes(rpm)
            command = [
                self.settings.rpmsign, "--addsign",
                "--define", f"__gpg {self.settings.gpg}",
                "--define", f"_gpg_path {self.home}",
                "--define", f"_gpg_name {fingerprint}",
                "--define", f"_gpg_digest_algo {digest}",
                str(path),
            ]
            env = dict(os.environ, GNUPGHOME=str(self.home), LC_ALL="C")
            try:
                result = subprocess.run(command, capture_output=True, encoding="utf-8",
                                        errors="replace", env=env, stdin=subprocess.DEVNULL,
                                        timeout=SIGN_TIMEOUT)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise GpgError(f"running rpmsign failed: {error}") from None
            if result.returncode != 0:
                errors = [ln for ln in result.stderr.splitlines() if "GPG_TTY" not in ln]
                raise GpgError(f"rpmsign failed ({result.returncode}): " + " ".join(errors).strip())
            return path.read_bytes()
