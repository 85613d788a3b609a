"""Store overview: the headline numbers shown on the home page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.store.database import Store
from app.store.tables import aggregates, store_versions, submissions, submitters, variants


@dataclass(frozen=True)
class Overview:
    """Counts describing the shared store at its current version."""

    version: int
    variants: int
    submissions: int
    submitters: int
    conflicts: int


def store_overview(store: Store) -> Overview:
    """Counts of variants, current submissions, institutions and variant-level conflicts."""
    with store.reading() as conn:
        def count(query) -> int:
            return int(conn.execute(query).scalar() or 0)

        return Overview(
            version=count(select(func.max(store_versions.c.version))),
            variants=count(select(func.count()).select_from(variants)),
            submissions=count(select(func.count()).select_from(submissions)
                              .where(submissions.c.superseded_version.is_(None))),
            submitters=count(select(func.count()).select_from(submitters).where(submitters.c.disabled.is_(False))),
            conflicts=count(select(func.count()).select_from(aggregates)
                            .where(aggregates.c.condition_key == "", aggregates.c.conflict.is_(True))),
        )
