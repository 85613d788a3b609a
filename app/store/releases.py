"""Repository of releases (named, immutable snapshots) and the export queries that feed their files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, insert, select

from app.store.tables import aggregates, releases, store_versions, variant_aliases, variants

EXPORT_CHUNK = 2000


def current_version(conn: Connection) -> int:
    """The newest committed store version (0 for an empty store)."""
    return int(conn.execute(select(func.max(store_versions.c.version))).scalar() or 0)


def insert_release(conn: Connection, name: str, version: int, files: list[dict[str, Any]]) -> None:
    """Record a release and the checksums of its files."""
    conn.execute(insert(releases).values(name=name, version=version, created_at=dt.datetime.now(dt.UTC), files=files))


def find_release(conn: Connection, name: str) -> dict[str, Any] | None:
    """A release by name."""
    row = conn.execute(select(releases).where(releases.c.name == name)).mappings().first()
    return dict(row) if row else None


def list_releases(conn: Connection) -> list[dict[str, Any]]:
    """Every release, newest first."""
    return [dict(r) for r in conn.execute(select(releases).order_by(releases.c.version.desc(),
                                                                    releases.c.name)).mappings()]


def export_rows(conn: Connection) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], list[tuple[str, str]]]]:
    """(variant, its aggregate rows, its aliases) for every variant with an aggregate, in variant id order."""
    after = ""
    while True:
        ids = list(conn.execute(select(aggregates.c.variant_id).where(aggregates.c.variant_id > after)
                                .group_by(aggregates.c.variant_id).order_by(aggregates.c.variant_id)
                                .limit(EXPORT_CHUNK)).scalars())
        if not ids:
            return
        after = ids[-1]
        rows = {r["id"]: dict(r) for r in conn.execute(select(variants).where(variants.c.id.in_(ids))).mappings()}
        grouped: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        for row in conn.execute(select(aggregates).where(aggregates.c.variant_id.in_(ids))
                                .order_by(aggregates.c.variant_id, aggregates.c.classification_type,
                                          aggregates.c.condition_key)).mappings():
            grouped[row["variant_id"]].append(dict(row))
        alias_map: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
        for variant_id, kind, value in conn.execute(
                select(variant_aliases.c.variant_id, variant_aliases.c.kind, variant_aliases.c.value)
                .where(variant_aliases.c.variant_id.in_(ids))
                .order_by(variant_aliases.c.variant_id, variant_aliases.c.kind, variant_aliases.c.value)):
            alias_map[variant_id].append((kind, value))
        for variant_id in ids:
            yield rows[variant_id], grouped[variant_id], alias_map[variant_id]
