"""Rate limits per tenant (the ``limits`` library, fixed windows): answered 429 with ``Retry-After`` in the error
shape of the area.

The key is the authenticated caller, never the proxy's address: a tenant for bearer-token calls, the client
(``iss`` + JWT ``tenant``) for CDS calls; so the checks run in the authentication decorators, right after the
credential is verified. Calls without valid credentials, and calls to the public API endpoints, are counted per
remote address (the client's address once ProxyFix has applied ``VARSHARE_TRUSTED_PROXIES``).

Groups and settings: ``hooks`` (hook calls, feedback), ``discovery``, ``ingest`` (POST /fhir...), ``read`` (every
other authenticated call) and ``unauthenticated``. Counts live in a ``limits`` storage
(``VARSHARE_RATE_LIMIT_STORAGE``): ``memory://`` counts per process (``app.api.rate_limit_storage``, without
limits' timer thread), so with N gunicorn workers a limit is effectively up to N times higher; ``redis://`` makes
the limits exact across workers and hosts. When the storage cannot be reached the request is let through and the
failure logged (availability over throttling).

A refusal is audited (outcome 4) once per key and limit window, not once per refused request, so a flood
cannot serialise the audit chain.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from flask import Flask, Response, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.api import rate_limit_storage
from app.api.context import services
from app.api.errors import error_response, json_response, operation_outcome
from app.config import RATE_LIMIT_DEFAULTS, Settings
from app.services.audit import record_refusal

log = logging.getLogger("varshare.limits")
_KEY = "varshare.rate_limits"
_API_PREFIXES = ("/api/", "/fhir", "/cds-services")
KEY_PREFIX = "varshare"  # storage keys: LIMITER/varshare/<group>/<key>/<limit> (a shared Redis stays readable)
MAX_REMEMBERED = 10_000  # audited (key, window) pairs kept per process before the memory is cleared


class RateLimits:
    """The limits of one app: fixed windows over a ``limits`` storage, checked by the authentication decorators
    (no per-request hook of its own: Flask-Limiter, used before, added one to every request for nothing)."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        # memory:// is served by varshare's timer-free in-process counters (app.api.rate_limit_storage).
        storage = settings.rate_limit_storage
        storage_uri = f"{rate_limit_storage.SCHEME}://" if storage.strip() == "memory://" else storage
        self.strategy = FixedWindowRateLimiter(storage_from_string(storage_uri))
        self.items: dict[str, list[RateLimitItem]] = {
            group: parse_many(getattr(settings, f"rate_limit_{group}")) for group in RATE_LIMIT_DEFAULTS}
        self._audited: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def over(self, group: str, key: str) -> tuple[int, float] | None:
        """Count one request of ``key`` in ``group``; (Retry-After seconds, window end) when it is over a limit."""
        if not self.enabled:
            return None
        strategy = self.strategy
        try:
            for item in self.items[group]:
                if not strategy.hit(item, KEY_PREFIX, group, key):
                    reset = strategy.get_window_stats(item, KEY_PREFIX, group, key).reset_time
                    return max(1, math.ceil(reset - time.time())), reset
        except Exception as exc:  # storage unreachable: let the request through, say so in the log
            log.warning("rate limit storage failed", extra={"fields": {"error": type(exc).__name__}})
        return None

    def first_refusal(self, group: str, key: str, window_end: float) -> bool:
        """Whether this is the first refusal of ``key`` in this window (the one that is audited)."""
        with self._lock:
            if self._audited.get((group, key)) == window_end:
                return False
            if len(self._audited) >= MAX_REMEMBERED:
                self._audited.clear()
            self._audited[(group, key)] = window_end
            return True


def _throttled(group: str, retry_after: int) -> Response:
    message = f"rate limit exceeded ({group}); retry after {retry_after} s"
    headers = {"Retry-After": str(retry_after)}
    if request.path.startswith("/cds-services"):  # the CDS area answers OperationOutcomes (api.cds)
        body = operation_outcome([{"severity": "error", "code": "throttled", "diagnostics": message}])
        return json_response(body, 429, headers=headers)
    return error_response(429, message, code="throttled", headers=headers)


def limit(group: str, key: str, *, submitter_id: str | None = None, client: str | None = None) -> Response | None:
    """Count this request against ``group`` for ``key``; the 429 response when it is over the limit."""
    limits: RateLimits = current_app.extensions[_KEY]
    over = limits.over(group, key)
    if over is None:
        return None
    retry_after, window_end = over
    log.info("rate limited", extra={"fields": {"group": group, "tenant": client}})
    if limits.first_refusal(group, key, window_end):
        record_refusal(services().store, status=429, method=request.method, path=request.path,
                       submitter_id=submitter_id, client=client)
    return _throttled(group, retry_after)


def limit_address() -> Response | None:
    """Count a call without valid credentials (or to a public API endpoint) against its remote address."""
    return limit("unauthenticated", request.remote_addr or "unknown")


def tenant_group() -> str:
    """The group of a bearer-token call: submissions are ``ingest``, everything else ``read``."""
    return "ingest" if request.blueprint == "fhir" and request.method == "POST" else "read"


def install_rate_limits(app: Flask, settings: Settings) -> None:
    """Create the app's limits and count public API calls per address (authenticated ones count in auth)."""
    app.extensions[_KEY] = RateLimits(settings)

    @app.before_request
    def _public_calls() -> Response | None:
        view = app.view_functions.get(request.endpoint or "")
        if (view is None or getattr(view, "authenticates", False) or request.method == "OPTIONS"
                or not request.path.startswith(_API_PREFIXES)):
            return None
        return limit_address()
