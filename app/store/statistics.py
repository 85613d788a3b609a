"""Operational counts over the shared store, computed when metrics are scraped (cheap indexed counts)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from app.store.tables import aggregates, audit_events, store_versions, submissions, variants


def store_counts(conn: Connection) -> dict[str, int]:
    """Store version, variants, current submissions, variant-level aggregate conflicts and audit chain length."""
    def count(query) -> int:
        return int(conn.execute(query).scalar() or 0)

    return {
        "store_version": count(select(func.max(store_versions.c.version))),
        "variants": count(select(func.count()).select_from(variants)),
        "current_submissions": count(select(func.count()).select_from(submissions)
                                     .where(submissions.c.superseded_version.is_(None))),
        "aggregate_conflicts": count(select(func.count()).select_from(aggregates)
                                     .where(aggregates.c.condition_key == "", aggregates.c.conflict.is_(True))),
        "audit_events": count(select(func.count()).select_from(audit_events)),
    }
