"""Error responses: an OperationOutcome on the FHIR side, a small JSON error object elsewhere.

No handler ever returns a stack trace or echoes request content; unexpected exceptions are logged with
their type and code locations only and answered with a generic 500.
"""

from __future__ import annotations

import logging

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from app.services.failures import StoreUnavailable

log = logging.getLogger("varshare.errors")

FHIR_JSON = "application/fhir+json"
_ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
                409: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing", 429: "throttled",
                500: "exception", 503: "transient"}


def _is_fhir_path() -> bool:
    return request.path == "/fhir" or request.path.startswith("/fhir/")


def json_response(payload, status: int = 200, *, mimetype: str = "application/json", headers=None) -> Response:
    """Serialise ``payload`` with orjson."""
    # OPT_NON_STR_KEYS: SQLAlchemy row keys are str subclasses, which orjson refuses by default.
    return Response(orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS), status=status, mimetype=mimetype,
                    headers=headers)


def operation_outcome(issues: list[dict]) -> dict:
    """An OperationOutcome from ``[{severity, code, diagnostics, expression?}]`` with no empty elements."""
    cleaned = []
    for issue in issues:
        item = {"severity": issue.get("severity", "error"), "code": issue.get("code", "processing")}
        if issue.get("diagnostics"):
            item["diagnostics"] = issue["diagnostics"]
        if issue.get("expression"):
            item["expression"] = list(issue["expression"])
        cleaned.append(item)
    return {"resourceType": "OperationOutcome", "issue": cleaned}


def error_response(status: int, message: str, *, code: str | None = None, headers=None) -> Response:
    """An error in the format of the area being called (FHIR or plain JSON)."""
    code = code or _ISSUE_CODES.get(status, "processing")
    if _is_fhir_path():
        body = operation_outcome([{"severity": "error", "code": code, "diagnostics": message}])
        return json_response(body, status, mimetype=FHIR_JSON, headers=headers)
    return json_response({"error": {"status": status, "code": code, "message": message}}, status, headers=headers)


def install_error_handlers(app: Flask) -> None:
    """Register handlers so every error leaves in a documented shape."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        message = {
            404: "no such endpoint or resource",
            405: "method not allowed on this endpoint",
            413: "request body too large",
        }.get(exc.code or 500, exc.description or exc.name)
        return error_response(exc.code or 500, message, headers=headers)

    @app.errorhandler(StoreUnavailable)
    def _store_unavailable(_exc: StoreUnavailable):
        # Also what a read whose audit event could not be written answers: nothing leaves unaudited.
        log.warning("store unavailable")
        return error_response(503, "the store is temporarily unavailable; try again", headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.error("unhandled exception", exc_info=(type(exc), exc, exc.__traceback__))
        return error_response(500, "internal error; the request id identifies it in the service log")
