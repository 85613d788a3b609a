"""Repository of the append-only audit log. Rows are hash-chained by the audit service, which appends inside a
unit of work holding the audit chain's lock, so the chain has one order. ``audit_event_subjects`` indexes which
institutions each event concerns; searches filter on it and on the event columns."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect, Text, bindparam, cast, exists, func, insert, or_, select, union

from app.store import counters
from app.store.tables import audit_event_subjects, audit_events, audit_subject_index

CHUNK = 5000
SUBJECTS_INDEXED = "audit_subjects_indexed_through"  # store_counters: audit_subject_index's watermark
EVENTS_INDEXED = "audit_events_indexed"  # store_counters: how many events the watermark covers

# Every disclosure appends an event (a CDS hook call included), so the append's statements are built once: a
# prebuilt statement memoises its cache key and finds its compiled form in the engine's cache without being
# rebuilt and re-keyed on each call. The values travel as execution parameters (the same columns and values).
_LAST_LINK = select(audit_events.c.hash, audit_events.c.recorded_at).order_by(audit_events.c.id.desc()).limit(1)
_INSERT_EVENT = insert(audit_events)
SUBJECTS_PER_STATEMENT = 100  # subject rows per insert: bounds the bound parameters and the statements cached


def last_link(conn: Connection) -> tuple[str, dt.datetime] | None:
    """The hash and recording instant (aware, UTC) of the newest event; None for an empty log."""
    row = conn.execute(_LAST_LINK).first()
    if row is None:
        return None
    recorded = row[1] if row[1].tzinfo is not None else row[1].replace(tzinfo=dt.UTC)
    return row[0], recorded


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


def _conditions(wanted: EventFilter, ids: tuple[int, int] | None = None) -> list[Any]:
    """The filter's conditions; ``ids`` (lowest, highest) bounds the events and their subjects alike (PostgreSQL
    may answer the EXISTS with one hashed scan of the subjects, which then covers only the window)."""
    found: list[Any] = []
    if ids is not None:
        found.append(audit_events.c.id.between(*ids))
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
                                   audit_event_subjects.c.submitter_id.in_(wanted.visible_to),
                                   *([audit_event_subjects.c.event_id.between(*ids)] if ids is not None else []))
        found.append(or_(audit_events.c.agent_submitter_id.in_(wanted.visible_to), concerned))
    return found


@dataclass(frozen=True)
class EventPage:
    """One page of a search: matching rows newest first, the total when it was counted, and the paging cursor
    (``before_id`` of the next page) when older events remain to be searched."""

    rows: list[dict[str, Any]]
    total: int | None
    next_before_id: int | None


def search_events(conn: Connection, wanted: EventFilter, limit: int, window: int) -> EventPage:
    """Up to ``limit`` matching events, newest first, examining at most about ``window`` events.

    The log grows by an event per hook call, so no search may scan all of it: each request walks down from the
    cursor (or the newest event) through at most one window. ``date`` bounds narrow the ids first (``recorded_at``
    never decreases along the chain, so a date range is an id range found with two index seeks). A tenant's search
    (``visible_to``) counts its window in the events that can concern it, found through ``audit_subject_index``
    and the agent index, so a tenant seldom concerned still reaches its events at once; events not indexed yet
    are walked by id. A page that fills up continues after its last row; one that does not, below what it
    examined, so a sparse search may answer a short or empty page with a cursor. The total is counted only when
    one request examined the whole search."""
    if wanted.ids:  # primary-key lookups: no window needed
        conditions = _conditions(wanted)
        rows = _page(conn, conditions, limit + 1)
        total = int(conn.execute(select(func.count()).select_from(audit_events).where(*conditions)).scalar() or 0)
        return EventPage(rows[:limit], total, rows[limit - 1]["id"] if len(rows) > limit else None)
    top, bottom = _id_range(conn, wanted)
    if top is None or bottom is None or top < bottom:
        return EventPage([], 0 if wanted.before_id is None else None, None)
    segments = _segments(conn, wanted, top, bottom, window)
    rows: list[dict[str, Any]] = []
    for segment in segments:
        rows += _segment_rows(conn, segment, limit + 1 - len(rows))
        if len(rows) > limit:
            return EventPage(rows[:limit], None if wanted.before_id is not None else _total(conn, segments, bottom),
                             rows[limit - 1]["id"])
    lowest = segments[-1].low  # the lowest id examined
    total = len(rows) if wanted.before_id is None and lowest == bottom else None
    return EventPage(rows, total, lowest if lowest > bottom else None)


class _Segment(NamedTuple):
    """An id range one request examines and the conditions of its matches (the range included); or, with
    ``only_visible_to``, a range whose matches are exactly the events that can concern these tenants (a tenant's
    search with no other filter: read from the indexes alone)."""

    low: int
    high: int
    conditions: list[Any]
    only_visible_to: tuple[str, ...] | None = None


def _segment_rows(conn: Connection, segment: _Segment, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` matches of one segment, newest first."""
    if segment.only_visible_to is None:
        return _page(conn, segment.conditions, limit)
    newest: set[int] = set()
    for source in _sources(segment.only_visible_to, segment.low, segment.high):
        newest.update(conn.execute(source.limit(limit)).scalars())
    wanted = sorted(newest, reverse=True)[:limit]
    return _page(conn, [audit_events.c.id.in_(wanted)], limit) if wanted else []


def _total(conn: Connection, segments: list[_Segment], bottom: int) -> int | None:
    """The number of matches when the segments reach down to ``bottom`` (the whole search), else None."""
    if segments[-1].low > bottom:
        return None
    total = 0
    for segment in segments:
        if segment.only_visible_to is None:
            query = select(func.count()).select_from(audit_events).where(*segment.conditions)
        else:
            query = select(func.count()).select_from(
                union(*_sources(segment.only_visible_to, segment.low, segment.high, ordered=False)).subquery())
        total += int(conn.execute(query).scalar() or 0)
    return total


def _sources(visible_to: tuple[str, ...], low: int, high: int, *, ordered: bool = True) -> list[Any]:
    """The ids, newest first, of the events in ``[low, high]`` that can concern these tenants: per tenant, its
    entries in ``audit_subject_index`` and the events it caused (index ``(agent_submitter_id, id)``)."""
    found = []
    for value in visible_to:
        for column, who in ((audit_subject_index.c.event_id, audit_subject_index.c.submitter_id),
                            (audit_events.c.id, audit_events.c.agent_submitter_id)):
            query = select(column.label("id")).where(who == value, column.between(low, high))
            found.append(query.order_by(column.desc()) if ordered else query)
    return found


def _segments(conn: Connection, wanted: EventFilter, top: int, bottom: int, window: int) -> list[_Segment]:
    """The id ranges one request examines, newest first. Everyone's search: one window of ids. A tenant's: the
    events not indexed yet, by id, then, with what is left of the window, the indexed events that can concern it
    (found through the index, so the range may span far more ids than the window)."""
    if wanted.visible_to is None:
        low = max(bottom, top - window + 1)
        return [_Segment(low, top, _conditions(wanted, (low, top)))]
    through = indexed_through(conn)
    segments = []
    high = top
    if high > through:
        low = max(bottom, through + 1, high - window + 1)
        segments.append(_Segment(low, high, _conditions(wanted, (low, high))))
        window = 0 if low > max(bottom, through + 1) else window - (high - low + 1)
        high = low - 1
    if window > 0 and high >= bottom:
        low = _candidate_floor(conn, wanted.visible_to, high, bottom, window)
        if not (wanted.types or wanted.agents or wanted.entity_ids):  # the dates are in the range already
            segments.append(_Segment(low, high, [], wanted.visible_to))
        else:
            candidates = union(*_sources(wanted.visible_to, low, high, ordered=False))
            segments.append(_Segment(low, high, [*_conditions(replace(wanted, visible_to=None), (low, high)),
                                                 audit_events.c.id.in_(candidates)]))
    return segments


def _candidate_floor(conn: Connection, visible_to: tuple[str, ...], high: int, bottom: int, budget: int) -> int:
    """The lowest id such that ``[id, high]`` holds at most ``budget`` events of each of the tenants' sources (see
    ``_sources``): a window counted in the events that can concern them. Reads at most ``budget`` index entries per
    source."""
    floor = bottom
    for source in _sources(visible_to, bottom, high):
        found = conn.execute(source.limit(1).offset(budget - 1)).scalar()
        if found is not None:
            floor = max(floor, found)
    return floor


def event_count(conn: Connection) -> int:
    """The number of events in the log without counting it all: those indexed (kept by ``index_subjects``) plus
    those after them (the metrics gauge; ``chain_length`` counts)."""
    after = conn.execute(select(func.count()).select_from(audit_events)
                         .where(audit_events.c.id > indexed_through(conn))).scalar()
    return counters.value_of(conn, EVENTS_INDEXED) + int(after or 0)


def indexed_through(conn: Connection) -> int:
    """The id through which every event's subjects are in ``audit_subject_index``."""
    return counters.value_of(conn, SUBJECTS_INDEXED)


def index_subjects(conn: Connection, batch: int) -> int:
    """Copy the subjects of up to ``batch`` more events into ``audit_subject_index`` (inside the caller's write
    transaction, which must exclude other indexers); the new watermark. Every event up to the newest visible one
    is committed (appends hold the chain's lock until they commit), so none is skipped."""
    through = indexed_through(conn)
    later = audit_events.c.id > through
    upto = (conn.execute(select(audit_events.c.id).where(later).order_by(audit_events.c.id)
                         .limit(1).offset(batch - 1)).scalar()
            or conn.execute(select(func.max(audit_events.c.id)).where(later)).scalar())
    if upto is None:
        return through
    subjects = audit_event_subjects.c
    counters.add(conn, EVENTS_INDEXED, int(conn.execute(select(func.count()).select_from(audit_events).where(
        audit_events.c.id > through, audit_events.c.id <= upto)).scalar() or 0))
    conn.execute(insert(audit_subject_index).from_select(
        ["submitter_id", "event_id"],
        select(subjects.submitter_id, subjects.event_id).where(subjects.event_id > through,
                                                               subjects.event_id <= upto)))
    counters.set_value(conn, SUBJECTS_INDEXED, upto)
    return upto


def _page(conn: Connection, conditions: list[Any], limit: int) -> list[dict[str, Any]]:
    query = select(audit_events).where(*conditions).order_by(audit_events.c.id.desc()).limit(limit)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        if row["recorded_at"].tzinfo is None:
            row["recorded_at"] = row["recorded_at"].replace(tzinfo=dt.UTC)
    return rows


def _id_range(conn: Connection, wanted: EventFilter) -> tuple[int | None, int | None]:
    """(highest, lowest) event id the search can match: below the cursor and within the date bounds."""
    recorded, ident = audit_events.c.recorded_at, audit_events.c.id
    # Two statements: SQLite answers a lone min() or max() with one seek, but both in one SELECT with a full scan.
    top = conn.execute(select(func.max(ident))).scalar()
    bottom = conn.execute(select(func.min(ident))).scalar()
    if top is not None and wanted.before_id is not None:
        top = min(top, wanted.before_id - 1)
    for operator, instant in wanted.dates:
        if operator in ("lt", "le"):
            newest = conn.execute(select(ident).where(getattr(recorded, _COMPARE[operator])(instant))
                                  .order_by(recorded.desc(), ident.desc()).limit(1)).scalar()
            top = None if newest is None or top is None else min(top, newest)
        else:
            oldest = conn.execute(select(ident).where(getattr(recorded, _COMPARE[operator])(instant))
                                  .order_by(recorded, ident).limit(1)).scalar()
            bottom = None if oldest is None or bottom is None else max(bottom, oldest)
    return top, bottom
