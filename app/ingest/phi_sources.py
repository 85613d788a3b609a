"""Collects the identifying values a submission itself carries, for the PHI guard's deny-list.

A generic walk of the whole JSON (entries, contained resources, extensions, the Bundle shell), so values in
unexpected places are found too: HumanNames, identifiers, addresses, telecom, birth and death dates, person
resources' ids, references' display text, the mother's-maiden-name extension and organisation names.
"""

from __future__ import annotations

from typing import Any

from app.deid.deny_list import DenyList

_PERSON_TYPES = frozenset({"Patient", "RelatedPerson", "Practitioner", "PractitionerRole", "Person",
                           "FamilyMemberHistory"})
# Reference elements that point at people or parties (their display text names them).
_PARTY_REFERENCES = frozenset({"subject", "patient", "performer", "resultsInterpreter", "requester", "author",
                               "recorder", "asserter", "attester", "custodian", "organization", "collector",
                               "managingOrganization", "generalPractitioner", "individual", "who", "party",
                               "participant", "beneficiary", "subscriber", "policyHolder", "informationSource"})
_NAME_PARTS = ("family", "given", "text")  # prefix/suffix ("Mrs", "Jr") identify nobody
# Words of a free-text name that are not names themselves ("The Human Torch", "Ludwig van Beethoven").
_NAME_PARTICLES = frozenset({"the", "and", "von", "van", "der", "den", "des", "del", "della", "los", "las", "mrs",
                             "miss", "mr", "dr", "prof", "jr", "sr", "iii"})
_ADDRESS_PARTS = ("line", "city", "district", "postalCode", "text")
_DATE_KEYS = frozenset({"birthDate", "deceasedDateTime", "deceasedDate", "bornDate", "bornPeriod"})


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _items(value: Any) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _date_strings(value: Any) -> list[str]:
    if isinstance(value, dict):  # a Period
        return _strings(value.get("start")) + _strings(value.get("end"))
    return _strings(value)


def _add_names(deny: DenyList, value: Any) -> None:
    for name in _items(value):
        parts = []
        for part in _NAME_PARTS:
            for text in _strings(name.get(part)):
                deny.add("name", text)
                if part == "text":  # "Zoë Smith": each word is a name part too
                    for word in text.split():
                        if word.casefold().strip(".,") not in _NAME_PARTICLES:
                            deny.add("name", word)
                if part in ("given", "family"):
                    parts.append(text)
        if len(parts) > 1:
            deny.add("name", " ".join(parts))


def _add_addresses(deny: DenyList, value: Any) -> None:
    for address in _items(value):
        for part in _ADDRESS_PARTS:
            for text in _strings(address.get(part)):
                deny.add("address", text)


def _add_identifiers(deny: DenyList, value: Any) -> None:
    for identifier in _items(value):
        deny.add("identifier", identifier.get("value"))


def _add_telecom(deny: DenyList, value: Any) -> None:
    for contact in _items(value):
        deny.add("telecom", contact.get("value"))


_NAME_KEYS = frozenset({"name", "valueHumanName"})
_ADDRESS_KEYS = frozenset({"address", "valueAddress"})
_TELECOM_KEYS = frozenset({"telecom", "valueContactPoint"})
_ID_LIKE_KEYS = frozenset({"bornString", "serialNumber", "lotNumber", "subscriberId"})


def _visit(deny: DenyList, node: dict, resource_type: str | None, parent_key: str = "") -> None:
    # A hot loop over every object of the submission: cheap membership tests first, string work only when a
    # key can carry identifying data.
    if "resourceType" in node and isinstance(node["resourceType"], str):
        resource_type = node["resourceType"]
        rid = node.get("id")
        if resource_type in _PERSON_TYPES and isinstance(rid, str) and any(c.isdigit() for c in rid):
            deny.add("identifier", rid)  # an id like "patient" or "example" is not identifying; "MRN12345" is
        if isinstance(node.get("name"), str) and resource_type != "Bundle":
            deny.add("name", node["name"])
    birth_extension = False
    if "url" in node and isinstance(node["url"], str):
        url = node["url"].lower()
        birth_extension = "birth" in url  # patient-birthTime and similar extensions
        if "mothersmaidenname" in url:
            deny.add("name", node.get("valueString"))
    if parent_key in _PARTY_REFERENCES and "display" in node:
        deny.add("name", node.get("display"))  # the display of a reference to a person or party names them
    for key, value in node.items():
        if key in _NAME_KEYS:
            if not isinstance(value, str):
                _add_names(deny, value)
        elif key in _ADDRESS_KEYS:
            _add_addresses(deny, value)
        elif key in _TELECOM_KEYS:
            _add_telecom(deny, value)
        elif key.endswith(("identifier", "Identifier")):
            _add_identifiers(deny, value)
        elif key in _DATE_KEYS or (birth_extension and key.startswith("value")):
            for text in _date_strings(value):
                deny.add_date("birthDate" if "birth" in key or birth_extension else "date", text)
        elif key in _ID_LIKE_KEYS:
            deny.add("identifier", value)
        if type(value) is dict:
            _visit(deny, value, resource_type, key)
        elif type(value) is list:
            for item in value:
                if type(item) is dict:
                    _visit(deny, item, resource_type, key)


def collect_phi(submission: Any) -> DenyList:
    """Every identifying value the submission carries (never raises; non-objects give an empty list)."""
    deny = DenyList()
    if isinstance(submission, dict):
        _visit(deny, submission, None)
    return deny
