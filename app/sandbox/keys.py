"""``/sandbox/.well-known/jwks.json``: the public JWK Set of the sandbox's demo EHR signing keys.

Served in sandbox mode only (404 otherwise), so integrators can verify what the demo EHR signs.
"""

from __future__ import annotations

from flask import Blueprint, abort

from app.api.context import services
from app.api.errors import json_response
from app.sandbox.demo_keys import DEMO_JWKS_PATH, demo_public_jwks

bp = Blueprint("sandbox_keys", __name__)


@bp.get(DEMO_JWKS_PATH)
def demo_jwks():
    """The demo keys' public JWK Set."""
    if services().settings.mode != "sandbox":
        abort(404)
    return json_response(demo_public_jwks(), headers={"Cache-Control": "public, max-age=300"})
