"""Repository of registered institutions (submitters / tenants) and their credentials."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select, update

from app.store import counters
from app.store.tables import submitters


@dataclass(frozen=True)
class SubmitterRow:
    """A registered institution as the store knows it (no secrets beyond the token hash)."""

    id: str
    name: str
    role: str
    token_hint: str | None
    jwks_url: str | None
    issuer: str | None
    is_demo: bool
    disabled: bool
    created_at: dt.datetime


_COLUMNS = (submitters.c.id, submitters.c.name, submitters.c.role, submitters.c.token_hint, submitters.c.jwks_url,
            submitters.c.issuer, submitters.c.is_demo, submitters.c.disabled, submitters.c.created_at)


# Built once: the lookups run on every authenticated call (bearer token, CDS client JWT), where building a
# statement and its cache key cost more than running it.
_BY_NAME = select(*_COLUMNS).where(submitters.c.name == bindparam("name"))
_BY_ID = select(*_COLUMNS).where(submitters.c.id == bindparam("id"))
_BY_ISSUER = select(*_COLUMNS).where(submitters.c.issuer == bindparam("issuer")).order_by(submitters.c.name)
_BY_TOKEN_HASH = select(*_COLUMNS, submitters.c.token_hash).where(submitters.c.token_hash == bindparam("token_hash"))


def _row(row) -> SubmitterRow:
    created = row[-1]
    if created is not None and created.tzinfo is None:  # SQLite keeps no offset; we always write UTC
        created = created.replace(tzinfo=dt.UTC)
    return SubmitterRow(*row[:-1], created)


def insert_submitter(conn: Connection, *, id: str, name: str, role: str, token_hash: str | None,
                     token_hint: str | None, jwks_url: str | None = None, issuer: str | None = None,
                     is_demo: bool = False) -> None:
    """Register a new institution."""
    now = dt.datetime.now(dt.UTC)
    conn.execute(insert(submitters).values(
        id=id, name=name, role=role, token_hash=token_hash, token_hint=token_hint, jwks_url=jwks_url,
        issuer=issuer, is_demo=is_demo, disabled=False, created_at=now, updated_at=now,
    ))


def find_by_name(conn: Connection, name: str) -> SubmitterRow | None:
    """The institution registered under ``name``, if any."""
    row = conn.execute(_BY_NAME, {"name": name}).first()
    return _row(row) if row else None


def names_by_id(conn: Connection, submitter_ids: Iterable[str]) -> dict[str, str]:
    """The current names of these institutions, by id."""
    ids = list(submitter_ids)
    if not ids:
        return {}
    return dict(conn.execute(select(submitters.c.id, submitters.c.name).where(submitters.c.id.in_(ids))).all())


def find_by_id(conn: Connection, submitter_id: str) -> SubmitterRow | None:
    """The institution with this id, if any."""
    row = conn.execute(_BY_ID, {"id": submitter_id}).first()
    return _row(row) if row else None


def find_by_issuer(conn: Connection, issuer: str) -> list[SubmitterRow]:
    """The institutions registered with exactly this JWT issuer (normally one), enabled or not."""
    rows = conn.execute(_BY_ISSUER, {"issuer": issuer}).all()
    return [_row(r) for r in rows]


def find_by_token_hash(conn: Connection, token_hash: str) -> tuple[SubmitterRow, str] | None:
    """The institution whose token hashes to ``token_hash``, with the stored hash for a constant-time check."""
    row = conn.execute(_BY_TOKEN_HASH, {"token_hash": token_hash}).first()
    return (_row(row[:-1]), row[-1]) if row else None


def list_submitters(conn: Connection) -> list[tuple[SubmitterRow, int]]:
    """Every institution with its number of current submissions (kept with the changes), by name."""
    counts = counters.by_submitter(conn)
    rows = conn.execute(select(*_COLUMNS).order_by(submitters.c.name)).all()
    return [(_row(r), counts.get(r[0], (0, 0))[0]) for r in rows]


def set_token(conn: Connection, submitter_id: str, token_hash: str, token_hint: str) -> None:
    """Replace an institution's token (the old one stops working at commit)."""
    conn.execute(update(submitters).where(submitters.c.id == submitter_id).values(
        token_hash=token_hash, token_hint=token_hint, updated_at=dt.datetime.now(dt.UTC)))


def set_disabled(conn: Connection, submitter_id: str, disabled: bool) -> None:
    """Disable (or re-enable) an institution; a disabled one is refused everywhere."""
    conn.execute(update(submitters).where(submitters.c.id == submitter_id).values(
        disabled=disabled, updated_at=dt.datetime.now(dt.UTC)))
