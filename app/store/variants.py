"""Repository of variants and their aliases, including the merge of transcript-only variants.

A variant first known only by a transcript HGVS expression is stored under that expression (unnormalised).
When a genomic form arrives carrying the same expression as an alias, the transcript-only record is merged
into the genomic one: its aliases, current submissions and case facts move over and ``merged_into`` keeps
the trail. A later transcript-only report of the same expression resolves straight to the genomic record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, tuple_, update

from app.domain.reports import Variant, VariantKind
from app.domain.variants import variant_id_for_key
from app.store import counters
from app.store.tables import case_facts, submissions, variant_aliases, variants

CHUNK = 500
_TRANSCRIPT_KEY_PREFIX = "hgvs:"
_TRANSCRIPT_ALIAS_KINDS = ("hgvs.c", "hgvs.p")


@dataclass(frozen=True)
class StoredVariants:
    """What ``store_variants`` did: the stored id for each incoming key, and any merges it performed."""

    ids: dict[str, str]  # incoming variant key -> stored variant id
    created: frozenset[str]  # ids of variants new in this version
    merges: tuple[tuple[str, str], ...]  # (transcript-only id, genomic id)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing(conn: Connection, ids: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(select(variants.c.id, variants.c.merged_into).where(variants.c.id.in_(chunk))):
            found[row.id] = row.merged_into
    return found


def _genomic_owner_of(conn: Connection, expressions: list[str]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for chunk in _chunks(expressions):
        rows = conn.execute(
            select(variant_aliases.c.value, variants.c.id)
            .join(variants, variants.c.id == variant_aliases.c.variant_id)
            .where(variant_aliases.c.kind.in_(_TRANSCRIPT_ALIAS_KINDS), variant_aliases.c.value.in_(chunk),
                   variants.c.kind != VariantKind.TRANSCRIPT.value, variants.c.merged_into.is_(None))
        )
        for value, variant_id in rows:
            owners.setdefault(value, variant_id)
    return owners


def store_variants(conn: Connection, incoming: Iterable[Variant], version: int) -> StoredVariants:
    """Insert unseen variants and aliases, merge transcript-only records, and map every key to its stored id."""
    by_key: dict[str, Variant] = {}
    for variant in incoming:
        known = by_key.get(variant.key)
        if known is None or len(variant.aliases) > len(known.aliases):
            by_key[variant.key] = variant
        if known is not None and variant.aliases != known.aliases:
            merged = tuple(dict.fromkeys(known.aliases + variant.aliases))
            by_key[variant.key] = Variant(**{**known.__dict__, "aliases": merged})
    if not by_key:
        return StoredVariants({}, frozenset(), ())

    # Transcript-only variants whose expression already belongs to a genomic record resolve to that record.
    transcript_keys = [k for k, v in by_key.items() if v.kind == VariantKind.TRANSCRIPT]
    owners = _genomic_owner_of(conn, [k.removeprefix(_TRANSCRIPT_KEY_PREFIX) for k in transcript_keys])
    ids = {key: variant_id_for_key(key) for key in by_key}
    for key in transcript_keys:
        owner = owners.get(key.removeprefix(_TRANSCRIPT_KEY_PREFIX))
        if owner:
            ids[key] = owner

    existing = _existing(conn, sorted(set(ids.values())))
    for key, variant_id in ids.items():
        if existing.get(variant_id):  # merged earlier: follow the trail
            ids[key] = existing[variant_id]  # type: ignore[assignment]
    new_rows = []
    for key, variant in by_key.items():
        variant_id = ids[key]
        if variant_id in existing or variant_id != variant_id_for_key(key):
            continue
        new_rows.append({
            "id": variant_id, "key": key, "kind": variant.kind.value, "normalised": variant.normalised,
            "assembly": variant.assembly, "chromosome": variant.chromosome, "position": variant.position,
            "ref": variant.ref, "alt": variant.alt, "spdi": variant.spdi, "gene": variant.gene,
            "merged_into": None, "created_version": version,
        })
    if new_rows:
        conn.execute(insert(variants), new_rows)
        counters.add(conn, counters.VARIANTS, len(new_rows))

    alias_rows = {(ids[key], alias.kind, alias.value) for key, variant in by_key.items() for alias in variant.aliases}
    _insert_missing_aliases(conn, alias_rows, version)
    merges = _merge_transcript_records(conn, by_key, ids, version)
    return StoredVariants(ids=ids, created=frozenset(r["id"] for r in new_rows), merges=merges)


def _insert_missing_aliases(conn: Connection, rows: set[tuple[str, str, str]], version: int) -> None:
    if not rows:
        return
    ordered = sorted(rows)
    present: set[tuple[str, str, str]] = set()
    for chunk in _chunks(ordered):
        query = select(variant_aliases.c.variant_id, variant_aliases.c.kind, variant_aliases.c.value).where(
            tuple_(variant_aliases.c.variant_id, variant_aliases.c.kind, variant_aliases.c.value).in_(chunk))
        present.update(tuple(r) for r in conn.execute(query))
    missing = [{"variant_id": v, "kind": k, "value": val, "created_version": version}
               for v, k, val in ordered if (v, k, val) not in present]
    if missing:
        conn.execute(insert(variant_aliases), missing)


def _merge_transcript_records(conn: Connection, by_key: dict[str, Variant], ids: dict[str, str],
                              version: int) -> tuple[tuple[str, str], ...]:
    expressions: dict[str, str] = {}
    for key, variant in by_key.items():
        if variant.kind == VariantKind.TRANSCRIPT:
            continue
        for alias in variant.aliases:
            if alias.kind in _TRANSCRIPT_ALIAS_KINDS:
                expressions[variant_id_for_key(_TRANSCRIPT_KEY_PREFIX + alias.value)] = ids[key]
    if not expressions:
        return ()
    candidates = conn.execute(
        select(variants.c.id).where(variants.c.id.in_(list(expressions)), variants.c.merged_into.is_(None),
                                    variants.c.kind == VariantKind.TRANSCRIPT.value)
    ).scalars().all()
    merges = []
    for old_id in candidates:
        new_id = expressions[old_id]
        _move_records(conn, old_id, new_id, version)
        merges.append((old_id, new_id))
    return tuple(merges)


def _move_records(conn: Connection, old_id: str, new_id: str, version: int) -> None:
    """Point a transcript-only record's aliases, current submissions and case facts at the genomic record."""
    aliases = conn.execute(select(variant_aliases.c.kind, variant_aliases.c.value)
                           .where(variant_aliases.c.variant_id == old_id)).all()
    _insert_missing_aliases(conn, {(new_id, kind, value) for kind, value in aliases}, version)
    current = submissions.c.superseded_version.is_(None)
    moving = conn.execute(select(submissions.c.id, submissions.c.submitter_id, submissions.c.condition_key,
                                 submissions.c.classification_type)
                          .where(submissions.c.variant_id == old_id, current)).all()
    movers = {row.submitter_id for row in moving}
    already = {s for s in movers if conn.execute(select(submissions.c.id).where(
        submissions.c.variant_id == new_id, current, submissions.c.submitter_id == s).limit(1)).first()}
    for submitter_id in already:  # it loses the old record and had the genomic one (the others swap one for one)
        counters.add(conn, counters.submitter_variants(submitter_id), -1)
    for row in moving:
        clash = conn.execute(select(submissions.c.id).where(
            submissions.c.variant_id == new_id, current, submissions.c.submitter_id == row.submitter_id,
            submissions.c.condition_key == row.condition_key,
            submissions.c.classification_type == row.classification_type)).first()
        if clash:  # the same submitter already classified the genomic record: the genomic one stands
            conn.execute(update(submissions).where(submissions.c.id == row.id).values(superseded_version=version))
            counters.add(conn, counters.CURRENT_SUBMISSIONS, -1)
            counters.add(conn, counters.submitter_submissions(row.submitter_id), -1)
        else:
            conn.execute(update(submissions).where(submissions.c.id == row.id).values(variant_id=new_id))
    conn.execute(update(case_facts).where(case_facts.c.variant_id == old_id).values(variant_id=new_id))
    conn.execute(update(variants).where(variants.c.id == old_id).values(merged_into=new_id))

