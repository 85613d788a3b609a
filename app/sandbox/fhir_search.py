"""FHIR search over the sandbox EHR's in-memory resources: parameters, matching and paging (no web framework).

Supported (everything else is refused with a 400, so a typo never silently returns everything):

=================  ===========================================================================
all types          ``_id`` (comma = OR), ``_count`` (default 50, at most 200; 0 = total only),
                   ``_offset`` (paging), ``_format`` (``json``/``application/fhir+json`` only)
Patient            ``identifier`` (token)
Observation        ``patient``, ``subject`` (reference), ``code``, ``category`` (token)
DiagnosticReport   ``patient``, ``subject`` (reference), ``code``, ``category`` (token)
ServiceRequest     ``patient``, ``subject`` (reference), ``status``, ``intent``, ``code`` (token)
Condition          ``patient``, ``subject`` (reference); the synthetic EHR holds none (empty searchset)
=================  ===========================================================================

Tokens are ``code``, ``system|code``, ``|code`` (no system) or ``system|`` (any code of the system);
references are ``id``, ``Patient/id`` or an absolute URL ending in ``Patient/id``. A comma inside one value
means OR; repeating a parameter means AND. Modifiers (``:in``, ``:not``, ...) and chaining are not supported.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_COUNT = 50
MAX_COUNT = 200
_COMMON = frozenset({"_id", "_count", "_offset", "_format"})
_REFERENCE = frozenset({"patient", "subject"})
PARAMETERS: dict[str, dict[str, str]] = {
    "Patient": {"identifier": "token"},
    "Observation": {"patient": "reference", "subject": "reference", "code": "token", "category": "token"},
    "DiagnosticReport": {"patient": "reference", "subject": "reference", "code": "token", "category": "token"},
    "ServiceRequest": {"patient": "reference", "subject": "reference", "status": "token", "intent": "token",
                       "code": "token"},
    "Condition": {"patient": "reference", "subject": "reference"},
}
_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


class SearchError(ValueError):
    """The search cannot be run as asked; the message says which parameter and why."""


@dataclass(frozen=True)
class SearchResult:
    """One page of matches."""

    total: int
    page: list[dict]
    offset: int
    count: int
    criteria: list[tuple[str, str]]  # the parameters applied (for the self and next links)


def _codings(resource: dict, element: str) -> list[tuple[str | None, str | None]]:
    value = resource.get(element)
    concepts = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [(c.get("system"), c.get("code")) for concept in concepts for c in concept.get("coding", [])]


def _token_matches(candidates: list[tuple[str | None, str | None]], token: str) -> bool:
    if "|" not in token:
        return any(code == token for _, code in candidates)
    system, code = token.split("|", 1)
    for cand_system, cand_code in candidates:
        if system == "" and cand_system is None and cand_code == code:
            return True
        if system and cand_system == system and (code == "" or cand_code == code):
            return True
    return False


def _candidates(resource: dict, name: str) -> list[tuple[str | None, str | None]]:
    if name in ("code", "category"):
        return _codings(resource, name)
    if name == "identifier":
        return [(i.get("system"), i.get("value")) for i in resource.get("identifier", [])]
    return [(None, resource.get(name))]  # status, intent: plain codes


def _reference_id(value: str) -> str:
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "Patient":
        return parts[-1]
    if len(parts) == 1:
        return parts[0]
    raise SearchError(f"a patient reference must be an id or Patient/id, not {value!r}")


def _subject_id(resource: dict) -> str | None:
    if resource.get("resourceType") == "Patient":
        return None
    reference = (resource.get("subject") or {}).get("reference", "")
    return reference.split("/", 1)[1] if reference.startswith("Patient/") else None


def _matches(resource: dict, name: str, values: list[str]) -> bool:
    if name == "_id":
        return resource.get("id") in values
    if name in _REFERENCE:
        return _subject_id(resource) in {_reference_id(v) for v in values}
    candidates = _candidates(resource, name)
    return any(_token_matches(candidates, v) for v in values)


def _integer(name: str, value: str, low: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SearchError(f"{name} must be a whole number, not {value!r}") from None
    if number < low:
        raise SearchError(f"{name} must be at least {low}")
    return number


def search(resource_type: str, params: list[tuple[str, str]], resources: tuple[dict, ...]) -> SearchResult:
    """Run a search: check every parameter, filter, then page. Raises SearchError for what is not supported."""
    allowed = PARAMETERS.get(resource_type)
    if allowed is None:
        raise SearchError(f"{resource_type} is not served here")
    count, offset, criteria = DEFAULT_COUNT, 0, []
    for name, value in params:
        base, _, modifier = name.partition(":")
        if modifier or "." in base:
            raise SearchError(f"modifiers and chained parameters are not supported ({name})")
        if base not in _COMMON and base not in allowed:
            supported = ", ".join(sorted(_COMMON | set(allowed)))
            raise SearchError(f"unknown search parameter {name!r} for {resource_type}; supported: {supported}")
        if base == "_count":
            count = min(_integer(name, value, 0), MAX_COUNT)
        elif base == "_offset":
            offset = _integer(name, value, 0)
        elif base == "_format":
            if value not in _FORMATS:
                raise SearchError("only JSON is served (_format=json)")
        else:
            if not value or any(not part for part in value.split(",")):
                raise SearchError(f"{name} needs a value")
            criteria.append((base, value))
    matched = [r for r in resources if all(_matches(r, name, value.split(",")) for name, value in criteria)]
    return SearchResult(len(matched), matched[offset:offset + count], offset, count, criteria)
