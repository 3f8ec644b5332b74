"""API errors in upstream's shapes: {"error": message} with the status code that says what."""

import logging

import flask
from werkzeug.exceptions import HTTPException

from . import app

log = logging.getLogger("coprs.errors")


class ApiError(Exception):
    code = 500

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ObjectNotFound(ApiError):
    code = 404


class AccessRestricted(ApiError):
    code = 403


class BadRequest(ApiError):
    code = 400


class Conflict(ApiError):
    code = 409


class InvalidForm(BadRequest):
    """Field errors, one '<field>: <message>' line each."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("\n".join(f"{field}: {msg}" for field, msg in errors.items()))


@app.errorhandler(ApiError)
def _api_error(error: ApiError):
    return flask.jsonify({"error": error.message}), error.code


@app.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if flask.request.path.startswith("/api_3") and error.code == 404:
        return flask.jsonify({"error": "Such API endpoint doesn't exist"}), 404
    if flask.request.path.startswith("/api_3"):
        return flask.jsonify({"error": error.description}), error.code
    return error


@app.errorhandler(Exception)
def _unexpected(error: Exception):
    log.exception("unexpected error on %s %s", flask.request.method, flask.request.path)
    return flask.jsonify(
        {"error": "Request wasn't successful, there is probably a bug in the Copr code."}
    ), 500
