"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint

from app.api.context import services
from app.api.errors import json_response
from app.services.health import check_readiness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers."""
    return json_response({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: both databases answer and their schemas are current."""
    ready, details = check_readiness(services().store)
    return json_response({"status": "ready" if ready else "not ready", **details}, 200 if ready else 503)
