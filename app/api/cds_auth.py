"""CDS Hooks client authentication for Flask views: a signed client JWT on every call, or a bare 401.

The expected audience is the configured public base URL plus the route called, never anything derived
from ``Host`` or ``X-Forwarded-*``. Failures answer 401 with an empty body and ``WWW-Authenticate: Bearer``
(CDS Hooks: "without any additional information"); the reason is logged with iss, kid and a jti hash by
the service, never the token.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Response, g, request

from app.api.context import services
from app.api.rate_limits import limit, limit_address
from app.security.client_jwt import InvalidClientJwt, VerifiedClient


def unauthorized() -> Response:
    """The bare 401 of CDS Hooks: no body, no reason, only the challenge."""
    response = Response(b"", status=401, headers={"WWW-Authenticate": "Bearer"})
    del response.headers["Content-Type"]
    return response


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def expected_audience() -> str:
    """The URL the client must have put in ``aud``: configured public base URL + the path called."""
    return services().settings.public_base_url.rstrip("/") + request.path


def current_cds_client() -> VerifiedClient:
    """The verified CDS client of this request (only inside a ``cds_client_required`` view)."""
    return g.cds_client


def cds_client_required(view: Callable) -> Callable:
    """Decorator: run ``view`` only for a valid CDS client JWT (otherwise a bare 401) within the client's rate
    limit (429 otherwise; calls without a valid JWT count against the remote address)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer_token()
        if token is None:
            return limit_address() or unauthorized()
        try:
            client = services().cds_clients.verify(token, expected_audience())
        except InvalidClientJwt:
            # the service has logged (and, for a known client, audited) the reason
            return limit_address() or unauthorized()
        g.cds_client = client
        group = "discovery" if request.method == "GET" and request.path.rstrip("/") == "/cds-services" else "hooks"
        throttled = limit(group, f"{client.issuer}|{client.tenant or ''}", submitter_id=client.submitter_id,
                          client=client.name)
        if throttled is not None:
            return throttled
        return view(*args, **kwargs)

    wrapper.authenticates = True  # type: ignore[attr-defined]  # counted per client, not per address
    return wrapper
