"""Stored audit events as FHIR R4 AuditEvent resources and searchset Bundles (IHE BALP coding choices).

Codings: ``type`` from DICOM (Import, Export, User Authenticated) or audit-event-type ``rest``; ``subtype`` from
restful-interaction, iso-21089-lifecycle (``disclose``) or DICOM (Login). The agent is the tenant (or the
command-line tool) that asked, always the requestor; the source is this service. Entities are identifiers only
(variants, submissions, reports, case pseudonyms, releases, institutions) with counts and digests as details.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from app.audit.events import ALL_SUBMITTERS, SOURCE, SUBMITTER

DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
LIFECYCLE = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"

_TYPES = {"rest": (EVENT_TYPE, "rest", "RESTful Operation"), "110107": (DCM, "110107", "Import"),
          "110106": (DCM, "110106", "Export"), "110114": (DCM, "110114", "User Authentication")}
_SUBTYPES = {"create": (RESTFUL, "create", "create"), "read": (RESTFUL, "read", "read"),
             "update": (RESTFUL, "update", "update"), "delete": (RESTFUL, "delete", "delete"),
             "search": (RESTFUL, "search", "search"), "operation": (RESTFUL, "operation", "operation"),
             "disclose": (LIFECYCLE, "disclose", "Disclose"),
             "authenticate": (DCM, "110122", "Login")}
_PEOPLE = {"case"}  # patient pseudonyms: audit-entity-type 1 (Person)
_ORGANISATIONS = {SUBMITTER, "tenant"}  # audit-entity-type 3 (Organization)
# What a tenant sees of an event it did not cause but whose data it concerns: never another institution's
# case ids or reports, and never the variant list of a hook call (a patient's variant list is identifying).
_HIDDEN_FROM_OTHERS = {"case", "report", "client", "submission"}


def _coding(found: tuple[str, str, str] | None, code: str) -> dict[str, str]:
    if found is None:
        return {"code": code}
    system, value, display = found
    return {"system": system, "code": value, "display": display}


def _detail(name: str, value: Any) -> dict[str, str]:
    return {"type": name, "valueString": str(value).lower() if isinstance(value, bool) else str(value)}


def _entity(item: dict[str, Any], base: str) -> dict[str, Any]:
    kind = str(item.get("type", "other"))
    code = "1" if kind in _PEOPLE else "3" if kind in _ORGANISATIONS else "2"
    built: dict[str, Any] = {"type": {"system": ENTITY_TYPE, "code": code}, "name": kind}
    if item.get("id") is not None:
        built["what"] = {"identifier": {"system": f"{base}/identifiers/{kind}", "value": str(item["id"])}}
    details = [_detail(k, v) for k, v in item.items() if k not in ("type", "id") and v is not None]
    if details:
        built["detail"] = details
    return built


def visible_entities(entities: Iterable[dict[str, Any]], viewer_id: str, hook_call: bool) -> list[dict[str, Any]]:
    """The entities of someone else's event that a tenant may see: its own institution, counts, releases and
    (outside hook calls) the variants; never other institutions, case ids, reports or submissions."""
    shown = []
    for item in entities:
        kind = item.get("type")
        if kind == SUBMITTER and item.get("id") not in (viewer_id, ALL_SUBMITTERS):
            continue
        if kind in _HIDDEN_FROM_OTHERS or (hook_call and kind == "variant"):
            continue
        shown.append(item)
    return shown


def build_audit_event(row: dict[str, Any], base: str, agent_name: str | None,
                      entities: list[dict[str, Any]]) -> dict[str, Any]:
    """An AuditEvent resource from a stored event row (``entities`` already filtered for the viewer)."""
    recorded = row["recorded_at"].astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    who: dict[str, Any] = {}
    if row["agent_submitter_id"]:
        who["identifier"] = {"system": f"{base}/identifiers/tenant", "value": row["agent_submitter_id"]}
    display = agent_name or row["agent_client"]
    if display:
        who["display"] = display
    agent: dict[str, Any] = {"requestor": True}
    if who:
        agent["who"] = who
    if row["agent_client"] and row["agent_client"] != display:
        agent["name"] = row["agent_client"]
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent", "id": str(row["id"]),
        "type": _coding(_TYPES.get(row["type"]), row["type"]),
        "action": row["action"], "recorded": recorded, "outcome": row["outcome"],
        "agent": [agent],
        "source": {"observer": {"display": SOURCE},
                   "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}]},
    }
    if row["subtype"]:
        resource["subtype"] = [_coding(_SUBTYPES.get(row["subtype"]), row["subtype"])]
    if row["request_id"]:
        resource["extension"] = [{"url": f"{base}/fhir/StructureDefinition/request-id",
                                  "valueString": row["request_id"]}]
    built = [_entity(item, base) for item in entities]
    if built:
        resource["entity"] = built
    return resource


def build_searchset(resources: list[dict[str, Any]], total: int | None, base: str, self_url: str,
                    next_url: str | None) -> dict[str, Any]:
    """A searchset Bundle of AuditEvents with self/next links and its total when it was counted (Bundle.total is
    optional in FHIR: it is left out rather than guessed)."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        bundle["total"] = total
    bundle["link"] = links
    bundle["entry"] = [{"fullUrl": f"{base}/fhir/AuditEvent/{r['id']}", "resource": r, "search": {"mode": "match"}}
                       for r in resources]
    return bundle
