"""CORS for the CDS Hooks endpoints, for browser-based CDS clients such as the CDS Hooks Sandbox.

Preflight ``OPTIONS`` requests on ``/cds-services``, ``/cds-services/{id}`` and ``/cds-services/{id}/feedback``
are answered 204 without a JWT; every response on those paths (errors and bare 401s included) carries
``Access-Control-Allow-Origin`` when the request's origin is allowed (``VARSHARE_CDS_ALLOWED_ORIGINS``).
No credentials are involved: the client JWT is a header, not a cookie.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request

from app.api.context import services

CDS_PATH = re.compile(r"^/cds-services(?:/[^/]+(?:/feedback)?)?$")
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE_S = "600"


def is_cds_path(path: str) -> bool:
    """True for the three CDS Hooks routes."""
    return CDS_PATH.match(path) is not None


def _allowed_origin(origin: str) -> str | None:
    allowed = services().settings.cds_origins
    if "*" in allowed:
        return "*"
    return origin if origin in allowed else None


def install_cds_cors(app: Flask) -> None:
    """Answer CDS preflights and add CORS headers to CDS responses."""

    @app.before_request
    def _preflight():
        if request.method != "OPTIONS" or not is_cds_path(request.path):
            return None
        response = Response(b"", status=204)
        del response.headers["Content-Type"]
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE_S
        if (services().settings.cds_cors_private_network
                and request.headers.get("Access-Control-Request-Private-Network") == "true"):
            response.headers["Access-Control-Allow-Private-Network"] = "true"
        return response

    @app.after_request
    def _cors(response: Response) -> Response:
        if not is_cds_path(request.path):
            return response
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        allowed = _allowed_origin(origin) if origin else None
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
            if request.method != "OPTIONS":
                response.headers["Access-Control-Expose-Headers"] = "X-Request-ID"
        return response
