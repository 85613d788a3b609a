"""Replay cache of processed CDS client JWT ids: one row per (issuer, SHA-256 of jti) until the token expires.

A database table with a unique key, so every worker and host sees the same set (a per-process cache would
let a token be replayed once per worker). The insert is an atomic "insert unless present" on both engines.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete
from sqlalchemy.dialects import postgresql, sqlite

from app.store.tables import jwt_replay

# Built once (one runs on every CDS call). PostgreSQL: RETURNING, not rowcount, because psycopg reports -1 for an
# INSERT whose primary key SQLAlchemy returns.
_RECORD_POSTGRESQL = postgresql.insert(jwt_replay).on_conflict_do_nothing(
    index_elements=["issuer", "jti_hash"]).returning(jwt_replay.c.id)
_RECORD_SQLITE = sqlite.insert(jwt_replay).on_conflict_do_nothing(index_elements=["issuer", "jti_hash"])


def record_jti(conn: Connection, issuer: str, jti_hash: str, exp: int) -> bool:
    """Record a token id; False when this issuer already used it (a replay)."""
    values = {"issuer": issuer, "jti_hash": jti_hash, "exp": int(exp)}
    if conn.dialect.name == "postgresql":
        return conn.execute(_RECORD_POSTGRESQL, values).first() is not None
    return conn.execute(_RECORD_SQLITE, values).rowcount == 1


def purge_expired(conn: Connection, before: int) -> int:
    """Delete rows whose token expired before ``before`` (epoch seconds); returns how many."""
    return conn.execute(delete(jwt_replay).where(jwt_replay.c.exp < before)).rowcount
