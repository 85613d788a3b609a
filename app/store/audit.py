"""Repository of the append-only audit log. Rows are hash-chained by the audit service, which appends inside a
writing unit of work holding the store's write lock, so the chain has one order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, insert, select

from app.store.tables import audit_events

CHUNK = 5000


def last_hash(conn: Connection) -> str | None:
    """The hash of the newest event (None for an empty log)."""
    return conn.execute(select(audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)).scalar()


def insert_event(conn: Connection, row: dict[str, Any]) -> None:
    """Insert one event row (columns of ``audit_events`` without the id)."""
    conn.execute(insert(audit_events).values(**row))


def event_rows(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every stored event in id order (recorded_at as an aware UTC datetime)."""
    after = 0
    while True:
        rows = conn.execute(select(audit_events).where(audit_events.c.id > after).order_by(audit_events.c.id)
                            .limit(CHUNK)).mappings().all()
        if not rows:
            return
        for row in rows:
            found = dict(row)
            if found["recorded_at"].tzinfo is None:  # SQLite keeps no offset; we always write UTC
                found["recorded_at"] = found["recorded_at"].replace(tzinfo=dt.UTC)
            yield found
        after = rows[-1]["id"]


def chain_length(conn: Connection) -> int:
    """Number of events in the log."""
    return int(conn.execute(select(func.count()).select_from(audit_events)).scalar() or 0)
