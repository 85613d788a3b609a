"""GET /api/privacy-policy: the de-identification policy in force, public so any privacy office can read it.

It holds no secret and no data, only the rules (what is kept, what is dropped, k, dates, ages, linkage)."""

from __future__ import annotations

from flask import Blueprint

from app.api.context import services
from app.api.errors import json_response
from app.services.privacy import privacy_policy

bp = Blueprint("privacy", __name__, url_prefix="/api")


@bp.get("/privacy-policy")
def privacy_policy_document():
    """The policy document (public)."""
    return json_response(privacy_policy(services().settings))
