"""Headline counts of the shared store, kept in ``store_counters`` by the writes that change them (the table also
keeps how far the audit subjects are indexed by institution: ``app.store.audit``).

The public overview page and the metrics show how many variants, current submissions and variant-level conflicts
the store holds, and the institutions' listing (``GET /api/submitters``, the tenant list) each institution's
current submissions and the variants they cover. Counting them on every view scanned the tables (0.5 s and 6.3 s
at 1 million variants and 3 million submissions, growing with the store), so each write that changes a count adds
its delta in the same transaction: variants inserted (``app.store.variants``), submissions made current or
superseded (``app.store.submissions``, merges), aggregates entering or leaving conflict (``app.store.aggregates``).
Every such write runs under the writers' lock (``UnitOfWork.lock_writes``). ``recount`` computes them from the
tables (the migration that added them, ``varshare db recount``, the test suite after every test).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.store.tables import aggregates, store_counters, submissions, variants

VARIANTS = "variants"
CURRENT_SUBMISSIONS = "current_submissions"
CONFLICTS = "aggregate_conflicts"
NAMES = (VARIANTS, CURRENT_SUBMISSIONS, CONFLICTS)
# Per institution: its current submissions, and the variants it has at least one current submission on.
SUBMITTER_SUBMISSIONS = "submissions:"
SUBMITTER_VARIANTS = "variants:"


def submitter_submissions(submitter_id: str) -> str:
    """The name of an institution's count of current submissions."""
    return SUBMITTER_SUBMISSIONS + submitter_id


def submitter_variants(submitter_id: str) -> str:
    """The name of an institution's count of variants it has a current submission on."""
    return SUBMITTER_VARIANTS + submitter_id


_COUNTS = {
    VARIANTS: select(func.count()).select_from(variants),
    CURRENT_SUBMISSIONS: select(func.count()).select_from(submissions)
                         .where(submissions.c.superseded_version.is_(None)),
    CONFLICTS: select(func.count()).select_from(aggregates).where(aggregates.c.condition_key == "",
                                                                  aggregates.c.conflict.is_(True)),
}


def add(conn: Connection, name: str, delta: int) -> None:
    """Add ``delta`` to a count inside the caller's transaction (a missing row starts at zero)."""
    if delta:
        _upsert(conn, name, delta, store_counters.c.value + delta)


def value_of(conn: Connection, name: str) -> int:
    """One kept number (zero when never written)."""
    return int(conn.execute(select(store_counters.c.value).where(store_counters.c.name == name)).scalar() or 0)


def set_value(conn: Connection, name: str, value: int) -> None:
    """Set one kept number inside the caller's transaction."""
    _upsert(conn, name, value, value)


def _upsert(conn: Connection, name: str, initial: int, updated: Any) -> None:
    """Insert the row ``name`` with ``initial``, or set its value to ``updated`` when it exists (one statement)."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(store_counters).values(name=name, value=initial)
    conn.execute(statement.on_conflict_do_update(index_elements=[store_counters.c.name], set_={"value": updated}))


def read(conn: Connection) -> dict[str, int]:
    """The store-wide counts (zero for one never written)."""
    found = dict(conn.execute(select(store_counters.c.name, store_counters.c.value)
                              .where(store_counters.c.name.in_(NAMES))).all())
    return {name: int(found.get(name, 0)) for name in NAMES}


def by_submitter(conn: Connection) -> dict[str, tuple[int, int]]:
    """Per institution with any: (current submissions, variants with a current submission)."""
    found: dict[str, list[int]] = {}
    rows = conn.execute(select(store_counters.c.name, store_counters.c.value).where(or_(
        store_counters.c.name.startswith(SUBMITTER_SUBMISSIONS), store_counters.c.name.startswith(SUBMITTER_VARIANTS))))
    for name, value in rows:
        kind, submitter_id = name.split(":", 1)
        found.setdefault(submitter_id, [0, 0])[0 if kind + ":" == SUBMITTER_SUBMISSIONS else 1] = int(value)
    return {submitter_id: (counts[0], counts[1]) for submitter_id, counts in found.items() if any(counts)}


def recount(conn: Connection) -> dict[str, int]:
    """The counts computed from the tables, the per-institution ones (non-zero) included (scans: for repairs and
    checks, never per request)."""
    counted = {name: int(conn.execute(query).scalar() or 0) for name, query in _COUNTS.items()}
    per_submitter = (select(submissions.c.submitter_id, func.count(),
                            func.count(func.distinct(submissions.c.variant_id)))
                     .where(submissions.c.superseded_version.is_(None)).group_by(submissions.c.submitter_id))
    for submitter_id, current, variant_count in conn.execute(per_submitter):
        counted[submitter_submissions(submitter_id)] = int(current)
        counted[submitter_variants(submitter_id)] = int(variant_count)
    return counted


def kept(conn: Connection) -> dict[str, int]:
    """Every kept count as ``recount`` reports them (zero per-institution counts left out)."""
    found = read(conn)
    for submitter_id, (current, variant_count) in by_submitter(conn).items():
        found[submitter_submissions(submitter_id)] = current
        found[submitter_variants(submitter_id)] = variant_count
    return {name: value for name, value in found.items() if value or name in NAMES}


def store_recount(conn: Connection) -> dict[str, int]:
    """Set every count to what the tables hold, inside the caller's write transaction; the counts set."""
    counted = recount(conn)
    conn.execute(store_counters.delete().where(or_(
        store_counters.c.name.in_(NAMES), store_counters.c.name.startswith(SUBMITTER_SUBMISSIONS),
        store_counters.c.name.startswith(SUBMITTER_VARIANTS))))
    conn.execute(store_counters.insert(), [{"name": name, "value": value} for name, value in counted.items()])
    return counted
