"""Replay cache of processed CDS client JWT ids: one row per (issuer, SHA-256 of jti) until the token expires.

A database table with a unique key, so every worker and host sees the same set (a per-process cache would
let a token be replayed once per worker). The insert is an atomic "insert unless present" on both engines.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete
from sqlalchemy.dialects import postgresql, sqlite

from app.store.tables import jwt_replay


def record_jti(conn: Connection, issuer: str, jti_hash: str, exp: int) -> bool:
    """Record a token id; False when this issuer already used it (a replay)."""
    values = {"issuer": issuer, "jti_hash": jti_hash, "exp": int(exp)}
    if conn.dialect.name == "postgresql":
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT whose primary key SQLAlchemy returns.
        statement = postgresql.insert(jwt_replay).values(**values).on_conflict_do_nothing(
            index_elements=["issuer", "jti_hash"]).returning(jwt_replay.c.id)
        return conn.execute(statement).first() is not None
    statement = sqlite.insert(jwt_replay).values(**values).on_conflict_do_nothing(
        index_elements=["issuer", "jti_hash"])
    return conn.execute(statement).rowcount == 1


def purge_expired(conn: Connection, before: int) -> int:
    """Delete rows whose token expired before ``before`` (epoch seconds); returns how many."""
    return conn.execute(delete(jwt_replay).where(jwt_replay.c.exp < before)).rowcount
