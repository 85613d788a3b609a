"""Who am I, and (for administrators) which institutions are registered."""

from __future__ import annotations

from flask import Blueprint

from app.api.auth import current_caller, requires
from app.api.context import services
from app.api.errors import json_response
from app.security.roles import ROLE_DESCRIPTIONS

bp = Blueprint("tenants", __name__, url_prefix="/api")


@bp.get("/whoami")
@requires("read")
def whoami():
    """The calling institution, its role and what that role may do."""
    caller = current_caller()
    return json_response({"tenant": caller.name, "id": caller.submitter_id, "role": caller.role,
                          "role_description": ROLE_DESCRIPTIONS[caller.role], "demo": caller.is_demo})


@bp.get("/tenants")
@requires("admin")
def list_tenants():
    """Registered institutions with their roles and submission counts (no credentials)."""
    rows = services().tenants.list()
    return json_response({"tenants": [
        {"name": row.name, "id": row.id, "role": row.role, "disabled": row.disabled, "demo": row.is_demo,
         "submissions": count, "registered": row.created_at.isoformat()}
        for row, count in rows
    ]})
