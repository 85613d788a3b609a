"""Store overview: the headline numbers and the latest aggregate changes shown on the home page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.services.failures import store_failures_as_unavailable
from app.store import counters
from app.store.database import Store
from app.store.tables import change_events, store_versions, submitters, variants

LATEST_CHANGES = 15


@dataclass(frozen=True)
class Change:
    """One variant-level aggregate change, newest first on the page."""

    version: int
    committed_at: dt.datetime | None
    variant_id: str
    key: str
    gene: str | None
    old: str | None  # the classification before (None: the variant's first aggregate)
    new: str | None  # the classification after (None: no aggregate any more)
    conflict: bool
    cause: str  # submission | amendment | retraction | flag | unflag | ...


@dataclass(frozen=True)
class Overview:
    """Counts describing the shared store at its current version, and its latest aggregate changes."""

    version: int
    variants: int
    submissions: int
    submitters: int
    conflicts: int
    latest_changes: list[Change] = field(default_factory=list)


def _latest_changes(conn, limit: int) -> list[Change]:
    rows = conn.execute(
        select(change_events.c.version, store_versions.c.committed_at, change_events.c.variant_id, variants.c.key,
               variants.c.gene, change_events.c.old_classification, change_events.c.new_classification,
               change_events.c.new_aggregate, change_events.c.cause_kind)
        .join(variants, variants.c.id == change_events.c.variant_id)
        .join(store_versions, store_versions.c.version == change_events.c.version)
        .where(change_events.c.condition_key == "")
        .order_by(change_events.c.id.desc()).limit(limit)
    ).mappings()
    return [Change(version=row["version"], committed_at=row["committed_at"], variant_id=row["variant_id"],
                   key=row["key"], gene=row["gene"], old=row["old_classification"], new=row["new_classification"],
                   conflict=bool((row["new_aggregate"] or {}).get("conflict")), cause=row["cause_kind"])
            for row in rows]


def store_overview(store: Store, *, changes: int = LATEST_CHANGES) -> Overview:
    """Counts of variants, current submissions, institutions and variant-level conflicts, and the latest
    ``changes`` variant-level aggregate changes."""
    with store_failures_as_unavailable(), store.reading() as conn:
        def count(query) -> int:
            return int(conn.execute(query).scalar() or 0)

        kept = counters.read(conn)  # kept with the changes: counting them scanned the store on every view
        return Overview(
            version=count(select(func.max(store_versions.c.version))),
            variants=kept[counters.VARIANTS],
            submissions=kept[counters.CURRENT_SUBMISSIONS],
            submitters=count(select(func.count()).select_from(submitters).where(submitters.c.disabled.is_(False))),
            conflicts=kept[counters.CONFLICTS],
            latest_changes=_latest_changes(conn, changes) if changes else [],
        )
