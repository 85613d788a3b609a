"""The index of every resource in a submission (entries and contained) and reference resolution.

Built once per submission; structural defects (no ``resourceType``, entries that are not objects, duplicate
``fullUrl``) become issues with input paths, never exceptions (genomics-reporting.md §2).
"""

from __future__ import annotations

from typing import Any

from app.domain.reports import Issue

BUNDLE_TYPES = {
    "collection",
    "document",
    "transaction",
    "batch",
    "message",
    "searchset",
    "transaction-response",
    "batch-response",
    "history",
}


class Entry:
    """One resource of the submission with the path it was read from."""

    __slots__ = ("container", "full_url", "local_id", "location", "resource", "resource_type")

    def __init__(self, location: str, resource: dict, full_url: str | None, container: Entry | None) -> None:
        self.location = location
        self.resource = resource
        self.full_url = full_url
        self.container = container
        rtype = resource.get("resourceType")
        self.resource_type = rtype if isinstance(rtype, str) else ""
        rid = resource.get("id")
        self.local_id = rid if isinstance(rid, str) else None

    def __repr__(self) -> str:
        return f"Entry({self.location})"


class BundleIndex:
    """Every resource of a submission, addressable by fullUrl, ``Type/id`` and ``#id``."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.issues: list[Issue] = []
        self.bundle_type: str | None = None
        self._by_full_url: dict[str, Entry] = {}
        self._by_type_id: dict[tuple[str, str], Entry] = {}
        self._by_url_tail: dict[str, Entry] = {}
        self._contained: dict[tuple[int, str], Entry] = {}
        self._resolved: dict[str, Entry | None] = {}  # reference text -> target, for non-``#`` references

    def of_type(self, resource_type: str) -> list[Entry]:
        """Entries (including contained ones) of one resource type, in input order."""
        return [e for e in self.entries if e.resource_type == resource_type]

    def resolve(self, reference: Any, origin: Entry | None) -> Entry | None:
        """The entry a Reference points at, or None (identifier-only, external or dangling references)."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not isinstance(reference, str) or not reference:
            return None
        if reference.startswith("#"):
            if origin is None:
                return None
            container = origin.container or origin
            if reference == "#":
                return container
            return self._contained.get((id(container), reference[1:]))
        if reference in self._resolved:
            return self._resolved[reference]
        found = self._resolved[reference] = self._resolve_text(reference)
        return found

    def _resolve_text(self, reference: str) -> Entry | None:
        hit = self._by_full_url.get(reference)
        if hit is not None:
            return hit
        if reference.startswith(("urn:", "http://", "https://")):
            return None
        parts = reference.split("/_history/")[0].split("/")
        if len(parts) == 2:
            tail = f"{parts[0]}/{parts[1]}"
            return self._by_url_tail.get(tail) or self._by_type_id.get((parts[0], parts[1]))
        return None

    def add(self, location: str, resource: dict, full_url: str | None, container: Entry | None) -> Entry:
        entry = Entry(location, resource, full_url, container)
        self.entries.append(entry)
        if self._resolved:
            self._resolved.clear()  # resolutions made before this entry was added may change
        if container is None:
            if full_url:
                if full_url in self._by_full_url:
                    self._issue(
                        "error",
                        "structure",
                        f"{location.rsplit('.', 1)[0]}.fullUrl",
                        "Duplicate fullUrl: references to it would be ambiguous; give every entry its own.",
                    )
                else:
                    self._by_full_url[full_url] = entry
                    parts = full_url.split("/_history/")[0].rstrip("/").split("/")
                    if len(parts) >= 2:
                        self._by_url_tail.setdefault(f"{parts[-2]}/{parts[-1]}", entry)
            if entry.local_id and entry.resource_type:
                self._by_type_id.setdefault((entry.resource_type, entry.local_id), entry)
        elif entry.local_id:
            self._contained.setdefault((id(container), entry.local_id), entry)
        if resource.get("contained") is not None:
            self._index_contained(entry)
        return entry

    def _index_contained(self, entry: Entry) -> None:
        contained = entry.resource.get("contained")
        if contained is None:
            return
        if not isinstance(contained, list):
            self._issue(
                "error",
                "structure",
                f"{entry.location}.contained",
                "contained must be an array of resources.",
            )
            return
        for j, item in enumerate(contained):
            location = f"{entry.location}.contained[{j}]"
            if not _is_resource(item):
                self._issue(
                    "error",
                    "structure",
                    location,
                    "A contained resource must be a JSON object with a resourceType.",
                )
                continue
            if item.get("contained"):
                self._issue(
                    "error",
                    "structure",
                    f"{location}.contained",
                    "Contained resources must not themselves contain resources.",
                )
            child = Entry(location, item, None, entry)
            self.entries.append(child)
            if child.local_id:
                self._contained.setdefault((id(entry), child.local_id), child)

    def _issue(self, severity: str, code: str, location: str, message: str) -> None:
        self.issues.append(Issue(severity, code, location, message))


def _is_resource(value: Any) -> bool:
    return (
        isinstance(value, dict) and isinstance(value.get("resourceType"), str) and bool(value["resourceType"])
    )


def index_submission(resource: Any) -> BundleIndex:
    """Index a Bundle, a bare resource with ``contained``, or report why the input is not a resource."""
    index = BundleIndex()
    if not isinstance(resource, dict):
        index._issue(
            "fatal", "structure", "(root)", "The submission must be a JSON object (a FHIR resource)."
        )
        return index
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        index._issue("fatal", "structure", "(root)", "The submission has no resourceType.")
        return index
    if rtype != "Bundle":
        index.add(rtype, resource, None, None)
        return index
    btype = resource.get("type")
    index.bundle_type = btype if isinstance(btype, str) else None
    if index.bundle_type not in BUNDLE_TYPES:
        index._issue("error", "structure", "Bundle.type", "Bundle.type is missing or not a FHIR Bundle type.")
    entries = resource.get("entry", [])
    if not isinstance(entries, list):
        index._issue("error", "structure", "Bundle.entry", "Bundle.entry must be an array.")
        return index
    for i, item in enumerate(entries):
        if item.__class__ is dict:  # the usual entry: a resource (checked as _is_resource does) and no more
            inner = item.get("resource")
            rtype = inner.get("resourceType") if inner.__class__ is dict else None
            if rtype.__class__ is str and rtype and rtype != "Bundle":
                full_url = item.get("fullUrl")
                index.add(f"Bundle.entry[{i}].resource", inner, full_url if isinstance(full_url, str) else None, None)
                continue
        location = f"Bundle.entry[{i}]"
        if not isinstance(item, dict):
            index._issue("error", "structure", location, "A Bundle entry must be a JSON object.")
            continue
        inner = item.get("resource")
        if inner is None:
            request = item.get("request")
            if not (isinstance(request, dict) and request.get("method") == "DELETE"):
                index._issue("warning", "structure", location, "Bundle entry without a resource was ignored.")
            continue
        if not _is_resource(inner):
            index._issue(
                "error",
                "structure",
                f"{location}.resource",
                "A Bundle entry's resource must be a JSON object with a resourceType.",
            )
            continue
        if inner.get("resourceType") == "Bundle":
            index._issue(
                "warning",
                "not-supported",
                f"{location}.resource",
                "Nested Bundles are not read; submit their contents as entries of one Bundle.",
            )
            continue
        full_url = item.get("fullUrl")
        index.add(f"{location}.resource", inner, full_url if isinstance(full_url, str) else None, None)
    return index
