"""Prefetch templates and the four states of a prefetch value (CDS Hooks 2.0 §Prefetch).

absent -> the service must fetch it itself; ``null`` -> the client has no data (never re-queried);
OperationOutcome -> the client failed to get it (unavailable, never re-queried); a resource or Bundle -> use
it, skipping ``search.mode = outcome`` entries and noting a ``next`` link. Templates are rendered from the
hook context and checked against the spec's allowed query subset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

_TOKEN = re.compile(r"\{\{\s*([A-Za-z.]+)\s*\}\}")
_USER_TOKENS = {"userPractitionerId": "Practitioner", "userPractitionerRoleId": "PractitionerRole",
                "userPatientId": "Patient", "userRelatedPersonId": "RelatedPerson"}
_DATE_PREFIXES = ("eq", "lt", "gt", "ge", "le")
# Root-level context fields with a primitive value in our hooks (selections and draftOrders are never tokens).
_CONTEXT_TOKENS = {"context.patientId", "context.userId", "context.encounterId"}


class State(StrEnum):
    """What the client sent for one prefetch key."""

    ABSENT = "absent"
    NO_DATA = "no-data"
    UNAVAILABLE = "unavailable"
    DATA = "data"


@dataclass
class Prefetched:
    """Resources for one prefetch key, and whether they may be incomplete."""

    key: str
    state: State
    resources: list[dict] = field(default_factory=list)
    next_url: str | None = None  # a further page the client left for the service to fetch
    partial: bool = False


def entries_of(value: dict) -> tuple[list[dict], str | None]:
    """The resources of a Bundle (or the resource itself) and its ``next`` link, ignoring outcome entries."""
    if value.get("resourceType") != "Bundle":
        return [value], None
    resources = []
    entries = value.get("entry")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue
        resource = entry.get("resource")
        if (isinstance(resource, dict) and isinstance(resource.get("resourceType"), str)
                and resource["resourceType"] != "OperationOutcome"):
            resources.append(resource)
    next_url = None
    links = value.get("link")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            next_url = link["url"]
    return resources, next_url


def classify(prefetch: dict[str, Any], key: str) -> Prefetched:
    """The state and resources of ``prefetch[key]``."""
    if key not in prefetch:
        return Prefetched(key, State.ABSENT)
    value = prefetch[key]
    if value is None:
        return Prefetched(key, State.NO_DATA)
    if value.get("resourceType") == "OperationOutcome":
        return Prefetched(key, State.UNAVAILABLE)
    resources, next_url = entries_of(value)
    return Prefetched(key, State.DATA, resources, next_url, partial=next_url is not None)


def render(template: str, context: dict[str, Any]) -> str | None:
    """The template with its ``{{context.x}}`` and ``{{userXId}}`` tokens filled; None if one cannot be."""
    unresolved = False

    def fill(match: re.Match) -> str:
        nonlocal unresolved
        name = match.group(1)
        if name.startswith("context."):
            value = context.get(name.removeprefix("context."))
        elif name in _USER_TOKENS:
            user = context.get("userId")
            kind, _, ident = user.partition("/") if isinstance(user, str) else ("", "", "")
            value = ident if kind == _USER_TOKENS[name] else None
        else:
            value = None
        if not isinstance(value, str) or not value:
            unresolved = True
            return ""
        return value

    rendered = _TOKEN.sub(fill, template)
    return None if unresolved else rendered


def check_template(template: str) -> list[str]:
    """Problems with a template under the spec's allowed query subset (empty when it is allowed)."""
    problems = []
    for token in _TOKEN.findall(template):
        if token not in _CONTEXT_TOKENS and token not in _USER_TOKENS:
            problems.append(f"token {token} is not a context field or user identifier")
    path, _, query = template.partition("?")
    parts = path.split("/")
    if not query:
        if len(parts) != 2 or not parts[0].isalpha():
            problems.append("a template without a query must be an instance read Type/id")
        return problems
    if len(parts) != 1 or not parts[0].isalpha():
        problems.append("a search must be type-level: Type?params")
    for name, value in parse_qsl(query, keep_blank_values=True):
        base, _, modifier = name.partition(":")
        if base.startswith("_") and base not in ("_count", "_sort"):
            problems.append(f"{name}: only _count and _sort are allowed")
        elif "." in base or "_has" in base:
            problems.append(f"{name}: chaining is not allowed")
        elif modifier and modifier != "in":
            problems.append(f"{name}: only the :in modifier is allowed")
        elif "$" in value:
            problems.append(f"{name}: composite parameters are not allowed")
        elif value[:2] in _DATE_PREFIXES and value[2:3].isdigit():
            continue
        elif value[:2].isalpha() and value[2:3].isdigit():
            problems.append(f"{name}: only the eq, lt, gt, ge and le prefixes are allowed")
    return problems
