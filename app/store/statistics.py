"""Operational counts over the shared store, read when metrics are scraped (kept counts, ``app.store.counters``)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from app.store import audit, counters
from app.store.tables import store_versions


def store_counts(conn: Connection) -> dict[str, int]:
    """Store version, variants, current submissions, variant-level aggregate conflicts and audit chain length."""
    def count(query) -> int:
        return int(conn.execute(query).scalar() or 0)

    kept = counters.read(conn)
    return {
        "store_version": count(select(func.max(store_versions.c.version))),
        "variants": kept[counters.VARIANTS],
        "current_submissions": kept[counters.CURRENT_SUBMISSIONS],
        "aggregate_conflicts": kept[counters.CONFLICTS],
        "audit_events": audit.event_count(conn),
    }
