"""Registering institutions, issuing and rotating their tokens, and authenticating their calls."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.audit.events import CREATE, UPDATE, AuditEvent, entity, submitter
from app.config import Settings
from app.security import roles, tokens
from app.security.linkage_keys import derive_linkage_key
from app.services.audit import record_event
from app.services.failures import store_failures_as_unavailable
from app.store import submitters as repo
from app.store.database import Store
from app.store.submitters import SubmitterRow

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._\-]{0,199}$")


class TenantError(ValueError):
    """A tenant operation cannot be done; the message says why."""


@dataclass(frozen=True)
class Caller:
    """The authenticated institution behind a request."""

    submitter_id: str
    name: str
    role: str
    is_demo: bool

    def may(self, permission: str) -> bool:
        return roles.may(self.role, permission)


class Tenants:
    """Tenant use cases over the store."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._linkage_keys: dict[str, bytes] = {}  # derived keys (HKDF per hook call cost more than the lookup)

    def _check_url(self, value: str | None, what: str) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        allowed = ("https",) if self._settings.is_production else ("https", "http")
        if parts.scheme not in allowed or not parts.netloc:
            raise TenantError(f"{what} must be an absolute {' or '.join(allowed)} URL")
        return value

    def add(self, name: str, role: str, *, jwks_url: str | None = None, issuer: str | None = None,
            demo_token: str | None = None) -> tuple[SubmitterRow, str]:
        """Register an institution; returns it and its token (shown once, stored only as a hash)."""
        if not _NAME.match(name or ""):
            raise TenantError("name must be 1-200 characters: letters, digits, space, dot, underscore, hyphen")
        if role not in roles.ROLES:
            raise TenantError(f"role must be one of {', '.join(roles.ROLES)}")
        jwks_url = self._check_url(jwks_url, "--jwks-url")
        issuer = self._check_url(issuer, "--issuer")
        if demo_token is not None and not demo_token.startswith(tokens.DEMO_TOKEN_PREFIX):
            raise TenantError(f"demo tokens must start with {tokens.DEMO_TOKEN_PREFIX!r}")
        token = demo_token or tokens.generate_token()
        submitter_id = str(uuid.uuid4())
        with self._store.unit_of_work() as uow:
            if repo.find_by_name(uow.conn, name) is not None:
                raise TenantError(f"a tenant named {name!r} already exists")
            if issuer is not None and repo.find_by_issuer(uow.conn, issuer):
                raise TenantError("another tenant is already registered with this --issuer (JWT iss must be unique)")
            repo.insert_submitter(uow.conn, id=submitter_id, name=name, role=role,
                                  token_hash=tokens.hash_token(token), token_hint=tokens.token_hint(token),
                                  jwks_url=jwks_url, issuer=issuer, is_demo=demo_token is not None)
            uow.bump_version("tenant", submitter_id, {"action": "add", "role": role})
            record_event(uow, AuditEvent.of(CREATE, "C", client="varshare tenant",
                                            entities=[entity("tenant", submitter_id, role=role),
                                                      submitter(submitter_id)]))
            row = repo.find_by_id(uow.conn, submitter_id)
        assert row is not None
        return row, token

    def list(self) -> list[tuple[SubmitterRow, int]]:
        """Every institution with its current submission count."""
        with self._store.reading() as conn:
            return repo.list_submitters(conn)

    def get(self, name: str) -> SubmitterRow:
        """The institution named ``name``."""
        with self._store.reading() as conn:
            row = repo.find_by_name(conn, name)
        if row is None:
            raise TenantError(f"no tenant named {name!r}")
        return row

    def rotate_token(self, name: str) -> str:
        """Issue a new token for ``name``; the old one stops working immediately."""
        token = tokens.generate_token()
        with self._store.unit_of_work() as uow:
            row = repo.find_by_name(uow.conn, name)
            if row is None:
                raise TenantError(f"no tenant named {name!r}")
            repo.set_token(uow.conn, row.id, tokens.hash_token(token), tokens.token_hint(token))
            uow.bump_version("tenant", row.id, {"action": "rotate-token"})
            record_event(uow, AuditEvent.of(UPDATE, "U", client="varshare tenant",
                                            entities=[entity("tenant", row.id, change="rotate-token"),
                                                      submitter(row.id)]))
        return token

    def set_disabled(self, name: str, disabled: bool = True) -> SubmitterRow:
        """Disable (or enable) an institution: a disabled tenant is refused on every endpoint."""
        with self._store.unit_of_work() as uow:
            row = repo.find_by_name(uow.conn, name)
            if row is None:
                raise TenantError(f"no tenant named {name!r}")
            repo.set_disabled(uow.conn, row.id, disabled)
            uow.bump_version("tenant", row.id, {"action": "disable" if disabled else "enable"})
            record_event(uow, AuditEvent.of(UPDATE, "U", client="varshare tenant", entities=[
                entity("tenant", row.id, change="disable" if disabled else "enable"), submitter(row.id)]))
            updated = repo.find_by_id(uow.conn, row.id)
        assert updated is not None
        return updated

    def authenticate(self, token: str) -> Caller | None:
        """The caller a bearer token belongs to, or None (unknown, disabled, or a demo token outside sandbox)."""
        if not tokens.is_well_formed(token):
            return None
        with store_failures_as_unavailable(), self._store.reading() as conn:
            found = repo.find_by_token_hash(conn, tokens.hash_token(token))
        if found is None:
            return None
        row, stored_hash = found
        if not tokens.hashes_match(stored_hash, token) or row.disabled:
            return None
        if row.is_demo and self._settings.mode != "sandbox" and self._settings.mode != "test":
            return None
        return Caller(submitter_id=row.id, name=row.name, role=row.role, is_demo=row.is_demo)

    def caller_named(self, name: str) -> Caller:
        """Act as the institution ``name`` (administrative tools such as bulk ingest); refuses disabled ones."""
        row = self.get(name)
        if row.disabled:
            raise TenantError(f"tenant {name!r} is disabled")
        return Caller(submitter_id=row.id, name=row.name, role=row.role, is_demo=row.is_demo)

    def linkage_key(self, submitter_id: str) -> bytes:
        """The institution's linkage key, derived from the deployment's master key (never stored; kept in memory)."""
        key = self._linkage_keys.get(submitter_id)
        if key is None:
            key = self._linkage_keys[submitter_id] = derive_linkage_key(self._settings.effective_linkage_key,
                                                                        submitter_id)
        return key
