"""Repository of the append-only audit log. Rows are hash-chained by the audit service, which appends inside a
unit of work holding the audit chain's lock, so the chain has one order. ``audit_event_subjects`` indexes which
institutions each event concerns; searches filter on it and on the event columns."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Text, bindparam, cast, exists, func, insert, or_, select

from app.store.tables import audit_event_subjects, audit_events

CHUNK = 5000

# Every disclosure appends an event (a CDS hook call included), so the append's statements are built once: a
# prebuilt statement memoises its cache key and finds its compiled form in the engine's cache without being
# rebuilt and re-keyed on each call. The values travel as execution parameters (the same columns and values).
_LAST_HASH = select(audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)
_INSERT_EVENT = insert(audit_events)
SUBJECTS_PER_STATEMENT = 100  # subject rows per insert: bounds the bound parameters and the statements cached


def last_hash(conn: Connection) -> str | None:
    """The hash of the newest event (None for an empty log)."""
    return conn.execute(_LAST_HASH).scalar()


def insert_event(conn: Connection, row: dict[str, Any], subjects: Sequence[str] = ()) -> int:
    """Insert one event row (columns of ``audit_events`` without the id) and its subjects; the new id."""
    event_id = int(conn.execute(_INSERT_EVENT, row).inserted_primary_key[0])
    for start in range(0, len(subjects), SUBJECTS_PER_STATEMENT):
        _insert_subjects(conn, event_id, subjects[start:start + SUBJECTS_PER_STATEMENT])
    return event_id


def _insert_subjects(conn: Connection, event_id: int, subjects: Sequence[str]) -> None:
    """One multi-row insert of an event's subjects: one round trip where an executemany costs one per row on
    PostgreSQL (psycopg), and no per-row parameter processing (both columns are plain integers and strings)."""
    sql, positions = _subjects_statement(conn.dialect, len(subjects))
    values: dict[str, Any] = {"event_id_": event_id}
    values.update(zip(_SUBJECT_NAMES, subjects, strict=False))
    conn.exec_driver_sql(sql, tuple(values[n] for n in positions) if positions is not None else values)


_SUBJECT_NAMES = tuple(f"submitter_id_{i}" for i in range(SUBJECTS_PER_STATEMENT))
_SUBJECT_STATEMENTS: dict[tuple[type, str, int], tuple[str, tuple[str, ...] | None]] = {}


def _subjects_statement(dialect: Dialect, rows: int) -> tuple[str, tuple[str, ...] | None]:
    """The SQL inserting ``rows`` subjects of one event as SQLAlchemy compiles it for ``dialect``, and the order of
    its parameter names when the driver's parameters are positional. Compiled once per kind of dialect and row
    count (at most SUBJECTS_PER_STATEMENT each): SQLAlchemy itself does not cache a multi-row VALUES statement."""
    key = (type(dialect), dialect.paramstyle, rows)
    found = _SUBJECT_STATEMENTS.get(key)
    if found is None:
        statement = insert(audit_event_subjects).values(
            [{"event_id": bindparam("event_id_"), "submitter_id": bindparam(name)} for name in _SUBJECT_NAMES[:rows]])
        compiled = statement.compile(dialect=dialect)
        found = compiled.string, tuple(compiled.positiontup or ()) if compiled.positional else None
        _SUBJECT_STATEMENTS[key] = found
    return found


def event_rows(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every stored event in id order (recorded_at as an aware UTC datetime)."""
    after = 0
    while True:
        rows = conn.execute(select(audit_events).where(audit_events.c.id > after).order_by(audit_events.c.id)
                            .limit(CHUNK)).mappings().all()
        if not rows:
            return
        for row in rows:
            found = dict(row)
            if found["recorded_at"].tzinfo is None:  # SQLite keeps no offset; we always write UTC
                found["recorded_at"] = found["recorded_at"].replace(tzinfo=dt.UTC)
            yield found
        after = rows[-1]["id"]


def chain_length(conn: Connection) -> int:
    """Number of events in the log."""
    return int(conn.execute(select(func.count()).select_from(audit_events)).scalar() or 0)


@dataclass(frozen=True)
class EventFilter:
    """What an audit search asks for; every part is optional and they combine with AND."""

    dates: tuple[tuple[str, dt.datetime], ...] = ()  # (operator, instant); operators ge le gt lt
    types: tuple[str, ...] = ()  # type or subtype codes (OR)
    agents: tuple[str, ...] = ()  # submitter ids or client names (OR)
    entity_ids: tuple[str, ...] = ()  # entity ids (OR)
    ids: tuple[int, ...] = ()  # event ids (OR)
    visible_to: tuple[str, ...] | None = None  # None: every event; else events with these agents or subjects
    before_id: int | None = None  # the paging cursor: events older than this one


_COMPARE = {"ge": "__ge__", "le": "__le__", "gt": "__gt__", "lt": "__lt__"}


def _conditions(wanted: EventFilter) -> list[Any]:
    found: list[Any] = []
    for operator, instant in wanted.dates:
        found.append(getattr(audit_events.c.recorded_at, _COMPARE[operator])(instant))
    if wanted.types:
        found.append(or_(audit_events.c.type.in_(wanted.types), audit_events.c.subtype.in_(wanted.types)))
    if wanted.agents:
        found.append(or_(audit_events.c.agent_submitter_id.in_(wanted.agents),
                         audit_events.c.agent_client.in_(wanted.agents)))
    if wanted.entity_ids:
        # Entities are a JSON list of flat objects serialised with json.dumps on both engines (PostgreSQL's
        # json type keeps the text as written), so an entity id is this exact fragment of the text.
        text = cast(audit_events.c.entities, Text)
        found.append(or_(*(text.contains(f'"id": {json.dumps(i)}', autoescape=True) for i in wanted.entity_ids)))
    if wanted.ids:
        found.append(audit_events.c.id.in_(wanted.ids))
    if wanted.visible_to is not None:
        concerned = exists().where(audit_event_subjects.c.event_id == audit_events.c.id,
                                   audit_event_subjects.c.submitter_id.in_(wanted.visible_to))
        found.append(or_(audit_events.c.agent_submitter_id.in_(wanted.visible_to), concerned))
    return found


def search_events(conn: Connection, wanted: EventFilter, limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of matching events, newest first (older than ``before_id`` when given), and the total count."""
    conditions = _conditions(wanted)
    total = int(conn.execute(select(func.count()).select_from(audit_events).where(*conditions)).scalar() or 0)
    page = select(audit_events).where(*conditions)
    if wanted.before_id is not None:
        page = page.where(audit_events.c.id < wanted.before_id)
    rows = [dict(r) for r in conn.execute(page.order_by(audit_events.c.id.desc()).limit(limit)).mappings()]
    for row in rows:
        if row["recorded_at"].tzinfo is None:
            row["recorded_at"] = row["recorded_at"].replace(tzinfo=dt.UTC)
    return rows, total
