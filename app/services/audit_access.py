"""Audit access: searching the audit log as FHIR AuditEvents (``GET /fhir/AuditEvent``).

Administrators and curators see every event. Any other tenant sees the events it caused and the events that
concern its own submissions or cases (a "submitter" entity naming it, or a release naming every institution):
"transparency in the documentation of data-sharing transactions". Of an event it did not cause, a tenant sees
who did what and when, its own institution and the counts, never other institutions, case ids, reports, or the
variant list of a hook call.

Search parameters: ``date`` (prefixes eq ge le gt lt; year, month, day or instant precision), ``type`` (type or
subtype code), ``agent`` (tenant name or id), ``entity`` (entity id), ``_id``, ``_count`` (default 50, at most
200) and ``_cursor`` (the paging cursor of ``next`` links). Several values of one parameter (comma-separated)
mean OR; different parameters AND; ``date`` may repeat (a range).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.audit.events import ALL_SUBMITTERS
from app.audit.resources import build_audit_event, visible_entities
from app.security import roles
from app.services.failures import store_failures_as_unavailable
from app.services.tenants import Caller
from app.store import audit as repo
from app.store import submitters as submitter_repo
from app.store.database import Store

DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_ID = 2**63 - 1  # event ids and cursors are BIGINTs: larger values are refused, never sent to the database
SEE_ALL = frozenset({roles.ADMIN, roles.CURATOR})
PARAMETERS = ("date", "type", "agent", "entity", "_id", "_count", "_cursor", "_format")
_ID = re.compile(r"^[0-9]{1,19}$")
_DATE = re.compile(r"^(eq|ge|le|gt|lt)?(\d{4})(?:-(\d{2})(?:-(\d{2})(T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)?)?$",
                   re.ASCII)


class AuditQueryError(ValueError):
    """The search cannot be understood; the message names the parameter."""


@dataclass(frozen=True)
class AuditPage:
    """One page of AuditEvent resources, the total matching (None when not counted: one request did not examine the
    whole search), and the cursor of the next page."""

    resources: list[dict[str, Any]]
    total: int | None
    next_cursor: int | None


def _date_range(value: str) -> tuple[str, dt.datetime, dt.datetime]:
    """(prefix, start, end) of a FHIR date parameter value: the instant range its precision denotes."""
    match = _DATE.match(value.strip())
    if not match:
        raise AuditQueryError(f"date: {value!r} is not [eq|ge|le|gt|lt]YYYY[-MM[-DD[Thh:mm[:ss][Z|+hh:mm]]]]")
    prefix, year, month, day, clock = match.groups()
    try:  # the calendar's edges (year 1 with a positive offset, year 9999's last unit) are refused, not overflowed
        if clock:
            start = dt.datetime.fromisoformat(f"{year}-{month}-{day}{clock}")
            start = (start if start.tzinfo else start.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
            return prefix or "eq", start, start + dt.timedelta(seconds=1)
        start = dt.datetime(int(year), int(month or 1), int(day or 1), tzinfo=dt.UTC)
        if day:
            end = start + dt.timedelta(days=1)
        elif month:
            end = (start + dt.timedelta(days=32)).replace(day=1)
        else:
            end = start.replace(year=start.year + 1)
    except (ValueError, OverflowError):
        raise AuditQueryError(f"date: {value!r} is not a valid date") from None
    return prefix or "eq", start, end


def _date_conditions(values: Iterable[str]) -> tuple[tuple[str, dt.datetime], ...]:
    found: list[tuple[str, dt.datetime]] = []
    for value in values:
        prefix, start, end = _date_range(value)
        found.extend({"eq": [("ge", start), ("lt", end)], "ge": [("ge", start)], "gt": [("ge", end)],
                      "le": [("lt", end)], "lt": [("lt", start)]}[prefix])
    return tuple(found)


def _integer(name: str, values: list[str], default: int | None, minimum: int, maximum: int | None) -> int | None:
    if not values:
        return default
    try:
        number = int(values[-1])
    except ValueError:
        raise AuditQueryError(f"{name} must be an integer") from None
    maximum = MAX_ID if maximum is None else maximum
    if number < minimum or number > maximum:
        raise AuditQueryError(f"{name} must be between {minimum} and {maximum}")
    return number


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip()))


class AuditAccess:
    """Searches the audit log on behalf of an authenticated tenant."""

    def __init__(self, store: Store, base_url: str, window: int) -> None:
        """``window``: events one search examines at most (``Settings.audit_search_window``)."""
        self._store = store
        self._base = base_url.rstrip("/")
        self._window = window

    def search(self, viewer: Caller, params: Iterable[tuple[str, str]]) -> AuditPage:
        """The page of events ``viewer`` may see that match ``params`` (name, value pairs), newest first."""
        given: dict[str, list[str]] = {}
        for name, value in params:
            if name not in PARAMETERS:
                raise AuditQueryError(f"unsupported search parameter {name!r}; supported: "
                                      f"{', '.join(p for p in PARAMETERS if p != '_format')}")
            given.setdefault(name, []).append(value)
        count = _integer("_count", given.get("_count", []), DEFAULT_COUNT, 1, MAX_COUNT) or DEFAULT_COUNT
        cursor = _integer("_cursor", given.get("_cursor", []), None, 1, None)
        ids = _split(given.get("_id", []))
        if any(not _ID.match(i) or int(i) > MAX_ID for i in ids):
            raise AuditQueryError("_id must be AuditEvent ids (integers)")
        privileged = viewer.role in SEE_ALL
        with store_failures_as_unavailable(), self._store.reading() as conn:
            wanted = repo.EventFilter(
                dates=_date_conditions(given.get("date", [])), types=_split(given.get("type", [])),
                agents=self._agents(conn, _split(given.get("agent", []))),
                entity_ids=_split(given.get("entity", [])), ids=tuple(int(i) for i in ids),
                visible_to=None if privileged else (viewer.submitter_id, ALL_SUBMITTERS), before_id=cursor)
            page = repo.search_events(conn, wanted, count, self._window)
            names = submitter_repo.names_by_id(conn, {r["agent_submitter_id"] for r in page.rows
                                                      if r["agent_submitter_id"]})
        resources = []
        for row in page.rows:
            entities = list(row["entities"] or [])
            if not privileged and row["agent_submitter_id"] != viewer.submitter_id:
                hook_call = any(e.get("type") == "hook" for e in entities)
                entities = visible_entities(entities, viewer.submitter_id, hook_call)
            resources.append(build_audit_event(row, self._base, names.get(row["agent_submitter_id"]), entities))
        return AuditPage(resources, page.total, page.next_before_id)

    @staticmethod
    def _agents(conn, values: tuple[str, ...]) -> tuple[str, ...]:
        """Agent values as given (ids, client names) plus the ids of tenants with those names."""
        found = list(values)
        for value in values:
            row = submitter_repo.find_by_name(conn, value)
            if row is not None:
                found.append(row.id)
        return tuple(dict.fromkeys(found))
