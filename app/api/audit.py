"""Audit access over FHIR: ``GET /fhir/AuditEvent`` (searchset) and ``GET /fhir/AuditEvent/{id}``.

Any tenant may search; what it sees is decided by the service (everything for admins and curators, otherwise
the events it caused and those concerning its own submissions and cases). Errors are OperationOutcomes.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, request

from app.api.auth import audit_refusal, current_caller, requires
from app.api.context import services
from app.api.errors import FHIR_JSON, error_response, json_response
from app.audit.resources import build_searchset
from app.services.audit_access import AuditQueryError

bp = Blueprint("audit", __name__, url_prefix="/fhir")


def _url(params: list[tuple[str, str]]) -> str:
    base = services().settings.public_base_url.rstrip("/")
    return f"{base}{request.path}" + (f"?{urlencode(params)}" if params else "")


@bp.get("/AuditEvent")
@requires("read")
def search_audit_events() -> Response:
    """A searchset Bundle of the AuditEvents the caller may see, newest first, with a next link (and the total when
    it was counted)."""
    params = list(request.args.items(multi=True))
    try:
        page = services().audit_access.search(current_caller(), params)
    except AuditQueryError as exc:
        return error_response(400, str(exc), code="invalid")
    next_url = None
    if page.next_cursor is not None:
        next_url = _url([(k, v) for k, v in params if k != "_cursor"] + [("_cursor", str(page.next_cursor))])
    base = services().settings.public_base_url.rstrip("/")
    bundle = build_searchset(page.resources, page.total, base, _url(params), next_url)
    return json_response(bundle, mimetype=FHIR_JSON)


@bp.get("/AuditEvent/<event_id>")
@requires("read")
def read_audit_event(event_id: str) -> Response:
    """One AuditEvent the caller may see (404 otherwise, whether or not it exists)."""
    try:
        page = services().audit_access.search(current_caller(), [("_id", event_id)])
    except AuditQueryError:  # not an id at all (not ASCII digits, or beyond a 64-bit integer)
        return error_response(404, "no AuditEvent with this id")
    if not page.resources:
        audit_refusal(404)  # unknown, or another tenant's event: the same answer and the same audit event
        return error_response(404, "no AuditEvent with this id")
    return json_response(page.resources[0], mimetype=FHIR_JSON)
