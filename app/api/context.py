"""Per-request plumbing: request ids, the JSON access log, security headers, and the services registry."""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, g, request

from app.api.errors import error_response
from app.config import Settings
from app.logs import request_id_var
from app.services.audit_access import AuditAccess
from app.services.cds import CdsHooks
from app.services.cds_clients import CdsClients
from app.services.cds_feedback import CdsFeedback
from app.services.curation import Curation
from app.services.ingest import Ingest
from app.services.reclassifications import Reclassifications
from app.services.releases import Releases
from app.services.tenants import Tenants
from app.services.variants import VariantQueries

if TYPE_CHECKING:  # the api holds the store handle only to pass it to services
    from app.store.database import Store

log = logging.getLogger("varshare.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


@dataclass
class Services:
    """What the blueprints may call; wired once by create_app."""

    settings: Settings
    store: Store
    tenants: Tenants
    ingest: Ingest
    variants: VariantQueries
    curation: Curation
    reclassifications: Reclassifications
    releases: Releases
    cds_clients: CdsClients
    cds: CdsHooks
    cds_feedback: CdsFeedback
    audit_access: AuditAccess


def services() -> Services:
    """The services of the running app."""
    return current_app.extensions["varshare"]


def install_request_context(app: Flask) -> None:
    """Request id in and out, one structured access-log line per request, and security headers."""

    @app.before_request
    def _start() -> Response | None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.request_id_token = request_id_var.set(g.request_id)
        # No identifier or search value contains NUL, and PostgreSQL text cannot hold one: refuse it up front.
        if "\x00" in request.path or any("\x00" in key or "\x00" in value
                                         for key, value in request.args.items(multi=True)):
            return error_response(400, "the URL contains a NUL character", code="invalid")
        return None

    @app.after_request
    def _finish(response):
        # Database housekeeping once the answer has been sent (WAL checkpoints, audit indexing), never inside a request.
        response.call_on_close(services().store.after_response)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if response.mimetype == "text/html":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            )
        else:
            response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
            response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        started = g.get("request_started")
        caller = g.get("caller") or g.get("cds_client")  # a tenant token, or a verified CDS client JWT
        log.info("request", extra={"fields": {
            "method": request.method,
            "path": request.path,  # never the query string: it may carry identifiers
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "tenant": caller.name if caller else None,
        }})
        return response

    @app.teardown_request
    def _reset(_exc) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
