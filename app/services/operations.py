"""Operational figures for monitoring: the store's state as metrics gauges read it at scrape time."""

from __future__ import annotations

from app.services.failures import store_failures_as_unavailable
from app.store import counters, statistics
from app.store.database import Store


def store_gauges(store: Store) -> dict[str, int]:
    """Store version, variants, current submissions, variant-level conflicts and the audit chain's length."""
    with store_failures_as_unavailable(), store.reading() as conn:
        return statistics.store_counts(conn)


def recount(store: Store) -> dict[str, tuple[int, int]]:
    """Set the store's kept counts (variants, current submissions, variant-level conflicts, and per institution its
    current submissions and the variants they cover) to what its tables hold; per count, (the value kept before,
    the value counted). One write transaction, under the writers' lock."""
    with store.unit_of_work() as uow:
        uow.lock_writes()
        before = counters.kept(uow.conn)
        counted = counters.store_recount(uow.conn)
    names = [*counters.NAMES, *sorted((set(before) | set(counted)) - set(counters.NAMES))]
    return {name: (before.get(name, 0), counted.get(name, 0)) for name in names}
