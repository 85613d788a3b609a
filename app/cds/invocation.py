"""A hook call's request body, checked against CDS Hooks 2.0 §Calling a CDS Service.

Checks are strict where the spec is (hook, hookInstance, context, fhirAuthorization needs fhirServer) and
lenient where real clients are not (unknown keys and ``extension`` objects are ignored, no ``encounterId``,
draft order Bundles without ``type``). Messages name the field, never its value. The access token is held
only for the call (``repr=False``) and never leaves this object except as a request header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.cds.services import CdsService

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_REFERENCE = re.compile(r"^[A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")


class InvocationError(ValueError):
    """The request cannot be served; ``status`` is the HTTP status and ``location`` the offending field."""

    def __init__(self, message: str, location: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.status = status


@dataclass(frozen=True)
class Invocation:
    """A checked hook call."""

    service: CdsService
    hook_instance: str
    patient_id: str
    context: dict[str, Any]
    prefetch: dict[str, Any]
    fhir_server: str | None = None
    access_token: str | None = field(default=None, repr=False)


def _fail(message: str, location: str) -> InvocationError:
    return InvocationError(message, location)


def _fhir_server(body: dict, allow_http: bool) -> str | None:
    server = body.get("fhirServer")
    if server is None:
        return None
    if not isinstance(server, str) or not server.strip():
        raise _fail("fhirServer must be the base URL of the EHR's FHIR server", "fhirServer")
    parts = urlsplit(server.strip())
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc or parts.query or parts.fragment or parts.username:
        raise _fail(f"fhirServer must be an absolute {' or '.join(schemes)} URL without query or credentials",
                    "fhirServer")
    return server.strip().rstrip("/")


def _access_token(body: dict, server: str | None, patient_id: str) -> str | None:
    authorization = body.get("fhirAuthorization")
    if authorization is None:
        return None
    if server is None:
        raise _fail("fhirAuthorization requires fhirServer (cds-r-1)", "fhirAuthorization")
    if not isinstance(authorization, dict):
        raise _fail("fhirAuthorization must be an object", "fhirAuthorization")
    token = authorization.get("access_token")
    if not isinstance(token, str) or not token.strip() or any(c in token for c in "\r\n"):
        raise _fail("fhirAuthorization.access_token must be a non-empty string", "fhirAuthorization.access_token")
    token_type = authorization.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise _fail("fhirAuthorization.token_type must be Bearer", "fhirAuthorization.token_type")
    patient = authorization.get("patient")
    if patient is not None and patient != patient_id:
        raise _fail("fhirAuthorization.patient must equal context.patientId", "fhirAuthorization.patient")
    return token.strip()


def _context(body: dict, service: CdsService) -> tuple[dict, str]:
    context = body.get("context")
    if not isinstance(context, dict):
        raise _fail("context must be an object", "context")
    for name in service.context_fields:
        if name not in context or context[name] is None:
            raise _fail(f"context.{name} is required for {service.hook}", f"context.{name}")
    patient_id = context["patientId"]
    if not isinstance(patient_id, str) or not _FHIR_ID.match(patient_id):
        raise _fail("context.patientId must be a FHIR resource id", "context.patientId")
    user = context["userId"]
    if not isinstance(user, str) or not _REFERENCE.match(user):
        raise _fail("context.userId must be a reference such as Practitioner/123", "context.userId")
    if service.is_order_hook:
        drafts = context["draftOrders"]
        if not isinstance(drafts, dict) or drafts.get("resourceType") != "Bundle":
            raise _fail("context.draftOrders must be a Bundle", "context.draftOrders")
        if not isinstance(drafts.get("entry", []), list):
            raise _fail("context.draftOrders.entry must be an array", "context.draftOrders.entry")
    if "selections" in service.context_fields:
        selections = context["selections"]
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            raise _fail("context.selections must be an array of references", "context.selections")
    return context, patient_id


def _prefetch(body: dict) -> dict:
    prefetch = body.get("prefetch")
    if prefetch is None:
        return {}
    if not isinstance(prefetch, dict):
        raise _fail("prefetch must be an object", "prefetch")
    for key, value in prefetch.items():
        if value is not None and not (isinstance(value, dict) and isinstance(value.get("resourceType"), str)):
            raise _fail(f"prefetch.{key} must be a FHIR resource, a Bundle, an OperationOutcome or null",
                        f"prefetch.{key}" if len(key) <= 64 else "prefetch")
    return prefetch


def read_invocation(body: Any, service: CdsService, *, allow_http: bool) -> Invocation:
    """Check a hook call's body for ``service``; raise InvocationError (400) naming the first problem."""
    if not isinstance(body, dict):
        raise _fail("the request body must be a JSON object", "(root)")
    hook = body.get("hook")
    if not isinstance(hook, str) or not hook:
        raise _fail("hook is required", "hook")
    if hook != service.hook:
        raise _fail(f"service {service.id} answers the {service.hook} hook, not another", "hook")
    instance = body.get("hookInstance")
    if not isinstance(instance, str) or not instance.strip() or len(instance) > 200:
        raise _fail("hookInstance must be a non-empty string (a UUID)", "hookInstance")
    context, patient_id = _context(body, service)
    server = _fhir_server(body, allow_http)
    token = _access_token(body, server, patient_id)
    return Invocation(service, instance, patient_id, context, _prefetch(body), server, token)
