"""CDS Hooks endpoints: discovery, the three services, card feedback, and the feedback summary for admins.

Every CDS call needs a verified client JWT (``cds_client_required``: a bare 401 otherwise). Errors are
OperationOutcomes naming the field, never echoing the request: 400 malformed, 404 unknown service, 412 data
unobtainable, 413 body over ``VARSHARE_CDS_MAX_BODY_BYTES``, 415 not JSON, 503 store unavailable.
"""

from __future__ import annotations

import hashlib

import orjson
from flask import Blueprint, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.auth import requires
from app.api.cds_auth import cds_client_required, current_cds_client
from app.api.context import services
from app.api.errors import json_response, operation_outcome
from app.api.metrics import observe_cards
from app.cds.responses import cards_body, json_body
from app.security.limits import json_exceeds_depth
from app.services.cds import CdsError
from app.services.failures import StoreUnavailable

bp = Blueprint("cds", __name__)
_CODES = {400: "invalid", 404: "not-found", 412: "incomplete", 413: "too-costly", 415: "not-supported",
          503: "transient"}


class _BadBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _outcome(status: int, message: str, location: str | None = None) -> Response:
    issue = {"severity": "error", "code": _CODES.get(status, "processing"), "diagnostics": message}
    if location:
        issue["expression"] = [location]
    return Response(json_body(operation_outcome([issue])), status=status, mimetype="application/json")


def _body() -> tuple[object, str]:
    """The parsed JSON body and the SHA-256 of its raw bytes (for the audit event; the body is never kept)."""
    settings = services().settings
    if request.content_length is not None and request.content_length > settings.cds_max_body_bytes:
        raise _BadBody(413, f"the body is larger than {settings.cds_max_body_bytes} bytes")
    if not (request.mimetype or "").endswith("json"):
        raise _BadBody(415, "send the hook request as application/json")
    request.max_content_length = settings.cds_max_body_bytes
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise _BadBody(413, f"the body is larger than {settings.cds_max_body_bytes} bytes") from None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _BadBody(400, "the body is not valid JSON") from None
    if json_exceeds_depth(raw, settings.max_json_depth):
        raise _BadBody(400, f"the JSON is nested deeper than {settings.max_json_depth} levels")
    return body, hashlib.sha256(raw).hexdigest()


def _answer(run):
    try:
        return run()
    except _BadBody as exc:
        return _outcome(exc.status, exc.message)
    except CdsError as exc:
        return _outcome(exc.status, exc.message, exc.location)
    except StoreUnavailable:
        return _outcome(503, "the store is temporarily unavailable; try again")


@bp.get("/cds-services")
@cds_client_required
def discovery():
    """The discovery document."""
    return Response(json_body(services().cds.discovery()), mimetype="application/json")


@bp.post("/cds-services/<service_id>")
@cds_client_required
def call_service(service_id: str):
    """One hook call: ``{"cards": [...]}`` (audited by the service after the cards are built)."""

    def run() -> Response:
        body, digest = _body()
        cards = services().cds.invoke(service_id, body, current_cds_client(), request_digest=digest)
        observe_cards(service_id, cards)
        return Response(cards_body(cards), mimetype="application/json")

    return _answer(run)


@bp.post("/cds-services/<service_id>/feedback")
@cds_client_required
def feedback(service_id: str):
    """Card outcomes; stored once, answered ``{}``."""
    return _answer(lambda: (services().cds_feedback.record(service_id, _body()[0], current_cds_client()),
                            Response(b"{}", mimetype="application/json"))[1])


@bp.get("/api/cds-feedback")
@requires("read-feedback")
def feedback_summary():
    """Admins and curators: feedback counted per service, card kind and outcome, with override reasons."""
    return json_response(services().cds_feedback.summary())
