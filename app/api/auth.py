"""Bearer-token authentication and permission checks for API and FHIR endpoints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request

from app.api.context import services
from app.api.errors import error_response
from app.api.rate_limits import limit, limit_address, tenant_group
from app.services.audit import record_refusal
from app.services.tenants import Caller

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="varshare"'}


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _audit_refusal(status: int, caller: Caller | None = None) -> None:
    """Audit a refused request (fails closed: StoreUnavailable -> 503 when the event cannot be written)."""
    record_refusal(services().store, status=status, method=request.method, path=request.path,
                   submitter_id=caller.submitter_id if caller else None, client=caller.name if caller else None)


def audit_refusal(status: int) -> None:
    """Inside a ``requires`` view: audit that the caller was refused (403 another tenant's scope, 404 an object
    that is not theirs, whether or not it exists); the event names the endpoint, never what was behind it."""
    _audit_refusal(status, g.caller)


def current_caller() -> Caller:
    """The authenticated caller of this request (only inside a ``requires`` view)."""
    return g.caller


def requires(permission: str) -> Callable:
    """Decorator: 401 without a valid token (or for a disabled tenant), 429 over the tenant's rate limit (over the
    address's without a valid token), 403 without ``permission``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = _bearer_token()
            if token is None:
                throttled = limit_address()
                if throttled is not None:
                    return throttled
                _audit_refusal(401)
                return error_response(401, "a bearer token is required", headers=_CHALLENGE)
            caller = services().tenants.authenticate(token)
            if caller is None:
                throttled = limit_address()
                if throttled is not None:
                    return throttled
                _audit_refusal(401)
                return error_response(401, "the bearer token is not valid, or its tenant is disabled",
                                      headers={**_CHALLENGE, "WWW-Authenticate": 'Bearer realm="varshare", '
                                               'error="invalid_token"'})
            g.caller = caller
            throttled = limit(tenant_group(), caller.submitter_id, submitter_id=caller.submitter_id,
                              client=caller.name)
            if throttled is not None:
                return throttled
            if not caller.may(permission):
                _audit_refusal(403, caller)
                return error_response(403, f"the {caller.role} role may not do this ({permission})")
            return view(*args, **kwargs)

        wrapper.authenticates = True  # type: ignore[attr-defined]  # counted per tenant, not per address
        return wrapper

    return decorator
