"""Operational figures for monitoring: the store's state as metrics gauges read it at scrape time."""

from __future__ import annotations

from app.services.failures import store_failures_as_unavailable
from app.store import statistics
from app.store.database import Store


def store_gauges(store: Store) -> dict[str, int]:
    """Store version, variants, current submissions, variant-level conflicts and the audit chain's length."""
    with store_failures_as_unavailable(), store.reading() as conn:
        return statistics.store_counts(conn)
