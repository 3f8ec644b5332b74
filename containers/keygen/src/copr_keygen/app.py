"""The keygen's HTTP API.

`/ping` and `/gen_key` behave as upstream's. `/pubkey/<email>` and `/sign/<email>` stand in for
obs-signd, which upstream reaches over its own protocol: here the `sign` client of the backend
calls them over HTTP, inside the stack network only (the keygen publishes no port).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

import flask

from . import access
from .config import Settings
from .keyring import GpgError, Keyring
from .validation import BadRequest, check_rpm, parse_gen_key, parse_hash

log = logging.getLogger("copr_keygen")


def _text(body: str, status: int) -> flask.Response:
    return flask.Response(body, status=status, mimetype="text/plain")


def _setup_logging() -> None:
    # gunicorn leaves the root logger without handlers: give ours one, so messages reach
    # the container's log next to gunicorn's.
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s copr-keygen: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def create_app(settings: Settings | None = None,
               resolve: Callable[[tuple[str, ...]], set[access.Address]] = access.backend_addresses,
               ) -> flask.Flask:
    """The Flask application serving one key store (gunicorn: `copr_keygen.app:create_app()`);
    `resolve` gives the backend's current addresses."""
    settings = settings or Settings.from_env()
    keyring = Keyring(settings)
    keyring.prepare()
    _setup_logging()
    app = flask.Flask("copr_keygen")

    @app.before_request
    def only_the_backend() -> flask.Response | None:
        """403 for any client but the backend (and loopback)."""
        remote = flask.request.remote_addr
        if access.allowed(remote, resolve(settings.backend_hosts)):
            return None
        log.warning("refused %s %s from %s: not the backend (%s)", flask.request.method,
                    flask.request.path, remote, " ".join(settings.backend_hosts) or "none configured")
        return _text("only the backend may use the keygen\n", 403)

    @app.get("/ping")
    def ping() -> flask.Response:
        """Liveness: 200 `pong`."""
        return _text("pong\n", 200)

    @app.post("/gen_key")
    def gen_key() -> flask.Response:
        """Create the key of a project: 201 created, 200 it already existed, 400 bad request."""
        charset = flask.request.mimetype_params.get("charset", "utf-8")
        try:
            request = parse_gen_key(flask.request.get_data(), charset,
                                    default_length=settings.key_length,
                                    default_expire=settings.expire)
        except BadRequest as error:
            log.info("gen_key refused: %s", error)
            return _text(f"{error}\n", 400)
        started = time.monotonic()
        created, fingerprint = keyring.ensure_key(request)
        if created:
            log.info("gen_key %s: created %s (RSA %d, expires %s) in %.2fs", request.name_email,
                     fingerprint, request.key_length, request.expire, time.monotonic() - started)
            return _text("", 201)
        log.info("gen_key %s: exists as %s", request.name_email, fingerprint)
        return _text("", 200)

    @app.get("/pubkey/<name_email>")
    def pubkey(name_email: str) -> flask.Response:
        """The armored public key of a project, as `sign -p` prints it."""
        armored = keyring.public_key(name_email)
        if armored is None:
            return _text(f"unknown key: {name_email}", 404)
        return flask.Response(armored, status=200, mimetype="application/pgp-keys")

    @app.post("/sign/<name_email>")
    def sign(name_email: str) -> flask.Response:
        """The RPM in the body, signed with the project's key (`?hash=sha256|sha1`)."""
        try:
            digest = parse_hash(flask.request.args.get("hash"))
            data = flask.request.get_data()
            check_rpm(data)
        except BadRequest as error:
            return _text(f"{error}\n", 400)
        started = time.monotonic()
        signed = keyring.sign_rpm(name_email, data, digest)
        if signed is None:
            return _text(f"unknown key: {name_email}", 404)
        log.info("signed %d bytes for %s (%s) in %.2fs", len(data), name_email, digest,
                 time.monotonic() - started)
        return flask.Response(signed, status=200, mimetype="application/x-rpm")

    @app.errorhandler(GpgError)
    def gpg_failed(error: GpgError) -> flask.Response:
        log.error("%s", error)
        return _text(f"{error}\n", 500)

    return app
