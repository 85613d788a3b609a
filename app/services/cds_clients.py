"""CDS client authentication: which EHRs are trusted, with which keys, and the shared JWT replay cache.

A registered ``ehr`` tenant with an issuer (and normally a JWKS URL) is a CDS client. In sandbox mode the
app factory adds fixed issuers (the sandbox's own demo keys and the public CDS Hooks Sandbox) mapped to a
demo tenant by name; they are never trusted in any other mode.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.audit.events import LOGIN, MINOR_FAILURE, AuditEvent, entity
from app.config import Settings
from app.security.client_jwt import ClientJwtVerifier, ClientRegistration, InvalidClientJwt, VerifiedClient
from app.security.jwks import fetch_jwks
from app.services.audit import record_alone
from app.services.failures import store_failures_as_unavailable
from app.store import replay as replay_repo
from app.store import submitters as repo
from app.store.database import Store

log = logging.getLogger("varshare.cds.auth")
CLIENT_ROLE = "ehr"
PURGE_EVERY_S = 60  # expired replay rows are deleted at most once a minute per process


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer trusted by configuration (sandbox only), with out-of-band keys, acting as a named tenant."""

    issuer: str
    tenant_name: str
    jwks: dict
    jwks_urls: tuple[str, ...] = ()


class CdsClients:
    """Verifies CDS client JWTs for the API layer; one instance per app."""

    def __init__(self, store: Store, settings: Settings, *, trusted: Iterable[TrustedIssuer] = (),
                 fetch: Callable[[str], dict] = fetch_jwks, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._settings = settings
        # Configured issuers are a sandbox convenience: anyone can sign with a published demo key.
        self._trusted = {t.issuer: t for t in trusted} if settings.mode == "sandbox" else {}
        self._extra_alg_issuers = frozenset(
            i.strip() for i in settings.jwt_extra_alg_issuers.split(",") if i.strip())
        self._clock = clock
        self._last_purge = 0.0
        self._purge_lock = threading.Lock()
        self.verifier = ClientJwtVerifier(self.registration, self.record_jti, fetch,
                                          leeway_s=settings.jwt_leeway_s,
                                          max_lifetime_s=settings.jwt_max_lifetime_s,
                                          jwks_cache_s=settings.jwks_cache_s, clock=clock)

    def verify(self, token: str, audience: str) -> VerifiedClient:
        """The client behind ``token`` for the endpoint URL ``audience``; raises ``InvalidClientJwt``, or
        ``StoreUnavailable`` (503) when the registration or replay tables cannot be reached."""
        with store_failures_as_unavailable():
            try:
                return self.verifier.verify(token, audience)
            except InvalidClientJwt as exc:
                self._record_failure(exc)
                raise

    def registration(self, issuer: str) -> ClientRegistration | None:
        """The registration of this exact issuer, or None (unknown, ambiguous, disabled or not an EHR)."""
        extra = ("ES256", "RS256") if issuer in self._extra_alg_issuers else ()
        trusted = self._trusted.get(issuer)
        with self._store.reading() as conn:
            if trusted is not None:
                row = repo.find_by_name(conn, trusted.tenant_name)
                rows = [row] if row is not None else []
            else:
                rows = repo.find_by_issuer(conn, issuer)
        rows = [r for r in rows if r.role == CLIENT_ROLE]
        if len(rows) != 1:
            if len(rows) > 1:
                log.warning("cds client issuer is registered by several tenants; refusing it",
                            extra={"fields": {"iss": issuer, "tenants": len(rows)}})
            return None
        row = rows[0]
        if row.disabled or (row.is_demo and self._settings.mode not in ("sandbox", "test")):
            return None
        if trusted is not None:
            return ClientRegistration(submitter_id=row.id, name=row.name, issuer=issuer,
                                      jwks_urls=trusted.jwks_urls, jwks=trusted.jwks, extra_algorithms=extra)
        return ClientRegistration(submitter_id=row.id, name=row.name, issuer=issuer,
                                  jwks_urls=(row.jwks_url,) if row.jwks_url else (), extra_algorithms=extra)

    def record_jti(self, issuer: str, jti_hash: str, exp: int) -> bool:
        """Record a token id in the shared replay table (own short transaction); False on a replay."""
        now = self._clock()
        purge = False
        with self._purge_lock:
            if now - self._last_purge >= PURGE_EVERY_S:
                self._last_purge, purge = now, True
        with self._store.unit_of_work() as uow:
            if purge:
                # Keep rows while their token could still pass the exp check (exp + leeway).
                replay_repo.purge_expired(uow.conn, int(now) - self._settings.jwt_leeway_s - 1)
            return replay_repo.record_jti(uow.conn, issuer, jti_hash, exp)

    def _record_failure(self, exc: InvalidClientJwt) -> None:
        log.warning("cds client jwt refused", extra={"fields": {
            "iss": exc.issuer, "kid": exc.kid, "jti_hash": exc.jti_hash, "reason": exc.reason}})
        if exc.submitter_id is None:
            return  # unknown callers are logged, not audited: a flood must not serialise the audit chain
        record_alone(self._store, AuditEvent.of(LOGIN, "E", outcome=MINOR_FAILURE, submitter_id=exc.submitter_id,
                                                client=exc.issuer, entities=[entity("cds-client-jwt",
                                                                                    reason=exc.reason,
                                                                                    kid=exc.kid,
                                                                                    jti_hash=exc.jti_hash)]))
