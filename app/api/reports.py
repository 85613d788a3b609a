"""A submitter's own report receipts: GET /api/reports/{id}."""

from __future__ import annotations

from flask import Blueprint

from app.api.auth import audit_refusal, current_caller, requires
from app.api.context import services
from app.api.errors import error_response, json_response

bp = Blueprint("reports", __name__, url_prefix="/api")


@bp.get("/reports/<report_id>")
@requires("submit")
def report_receipt(report_id: str):
    """The receipt of one of the caller's own reports; other submitters' reports are not found."""
    receipt = services().ingest.report_receipt(current_caller(), report_id)
    if receipt is None:
        audit_refusal(404)  # the same event for unknown ids and other submitters' reports: no oracle
        return error_response(404, "no report with this id among your submissions")
    return json_response(receipt)
