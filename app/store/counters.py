"""Headline counts of the shared store, kept in ``store_counters`` by the writes that change them (the table also
keeps how far the audit subjects are indexed by institution: ``app.store.audit``).

The public overview page and the metrics show how many variants, current submissions and variant-level conflicts
the store holds. Counting them on every view scanned the tables (0.5 s at 1 million variants and 3 million
submissions, growing with the store), so each write that changes a count adds its delta in the same transaction:
variants inserted (``app.store.variants``), submissions made current or superseded (``app.store.submissions``,
merges), aggregates entering or leaving conflict (``app.store.aggregates``). ``recount`` computes them from the
tables (the migration that added them, ``varshare db recount``, tests comparing the two).
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.store.tables import aggregates, store_counters, submissions, variants

VARIANTS = "variants"
CURRENT_SUBMISSIONS = "current_submissions"
CONFLICTS = "aggregate_conflicts"
NAMES = (VARIANTS, CURRENT_SUBMISSIONS, CONFLICTS)

_COUNTS = {
    VARIANTS: select(func.count()).select_from(variants),
    CURRENT_SUBMISSIONS: select(func.count()).select_from(submissions)
                         .where(submissions.c.superseded_version.is_(None)),
    CONFLICTS: select(func.count()).select_from(aggregates).where(aggregates.c.condition_key == "",
                                                                  aggregates.c.conflict.is_(True)),
}


def add(conn: Connection, name: str, delta: int) -> None:
    """Add ``delta`` to a count inside the caller's transaction (a missing row starts at zero)."""
    if not delta:
        return
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(store_counters).values(name=name, value=delta)
    conn.execute(statement.on_conflict_do_update(index_elements=[store_counters.c.name],
                                                 set_={"value": store_counters.c.value + delta}))


def value_of(conn: Connection, name: str) -> int:
    """One kept number (zero when never written)."""
    return int(conn.execute(select(store_counters.c.value).where(store_counters.c.name == name)).scalar() or 0)


def set_value(conn: Connection, name: str, value: int) -> None:
    """Set one kept number inside the caller's transaction."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(store_counters).values(name=name, value=value)
    conn.execute(statement.on_conflict_do_update(index_elements=[store_counters.c.name], set_={"value": value}))


def read(conn: Connection) -> dict[str, int]:
    """Every count (zero for one never written)."""
    found = dict(conn.execute(select(store_counters.c.name, store_counters.c.value)).all())
    return {name: int(found.get(name, 0)) for name in NAMES}


def recount(conn: Connection) -> dict[str, int]:
    """The counts computed from the tables (scans: for repairs and checks, never per request)."""
    return {name: int(conn.execute(query).scalar() or 0) for name, query in _COUNTS.items()}


def store_recount(conn: Connection) -> dict[str, int]:
    """Set every count to what the tables hold, inside the caller's write transaction; the counts set."""
    counted = recount(conn)
    for name, value in counted.items():
        conn.execute(store_counters.delete().where(store_counters.c.name == name))
        conn.execute(store_counters.insert().values(name=name, value=value))
    return counted
