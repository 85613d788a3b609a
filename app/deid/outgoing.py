"""Every string one report would write to the shared store, named by field and input location, for the PHI guard.

Ids the service generates itself (random report, case and relative ids, variant ids hashed from keys) are not
listed: they cannot carry input. Everything else that reaches a table or the receipt is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from app.domain.reports import Condition, MappedReport, Variant

Field = tuple[str, str, str | None]  # (input location, field name, outgoing text)
_GENERATED_IDS = frozenset({"report", "replaces", "merged"})  # random or key-hashed ids


def _variant(location: str, variant: Variant) -> Iterator[Field]:
    yield location, "variant key", variant.key
    yield location, "variant gene", variant.gene
    yield location, "variant SPDI", variant.spdi
    for field in ("assembly", "chromosome", "ref", "alt"):
        yield location, f"variant {field}", getattr(variant, field)
    for alias in variant.aliases:
        yield location, f"variant alias ({alias.kind})", alias.value


def _condition(location: str, what: str, condition: Condition) -> Iterator[Field]:
    yield location, f"{what} key", condition.key
    yield location, f"{what} system", condition.system
    yield location, f"{what} code", condition.code
    yield location, f"{what} label", condition.label


def _receipt(receipt: dict[str, Any]) -> Iterator[Field]:
    for key, value in receipt.items():
        if key in _GENERATED_IDS:
            continue
        if key == "issues":
            for issue in value:
                location = str(issue.get("location", "receipt"))
                yield location, "receipt issue location", location
                yield location, "receipt issue message", issue.get("message")
        elif key == "variants":
            for variant in value:
                yield "receipt", "receipt variant key", variant.get("key")
        elif isinstance(value, str):
            yield "receipt", f"receipt {key}", value
        elif isinstance(value, (dict, list)):  # anything added to receipts later is scanned too
            yield "receipt", f"receipt {key}", json.dumps(value, default=str)


def report_fields(mapped: MappedReport, receipt: dict[str, Any] | None = None) -> list[Field]:
    """The outgoing strings of a de-identified report and its receipt."""
    fields: list[Field] = [("DiagnosticReport.status", "report status", mapped.status)]
    for item in mapped.classifications:
        fields += _variant(item.location, item.variant)
        fields += _condition(item.location, "condition", item.condition)
        fields += [(item.location, "classification term", item.term),
                   (item.location, "classification type", item.classification_type),
                   (item.location, "assertion criteria", item.criteria_code),
                   (item.location, "mode of inheritance", item.mode_of_inheritance),
                   (item.location, "origin", item.origin),
                   (item.location, "date last evaluated",
                    None if item.date_last_evaluated is None else
                    str(item.date_last_evaluated.year) if item.date_precision == "year"
                    else item.date_last_evaluated.isoformat())]
    for case in mapped.cases:
        for finding in case.findings:
            fields += _variant(finding.location, finding.variant)
            fields += [(finding.location, "zygosity", finding.zygosity), (finding.location, "origin", finding.origin),
                       (finding.location, "stated classification", finding.stated_term)]
        for phenotype in case.phenotypes:
            fields += _condition("Condition", "phenotype", phenotype)
        for relative in case.relatives:
            fields += [("FamilyMemberHistory", "relative relationship", relative.relationship),
                       ("FamilyMemberHistory", "relative sex", relative.sex)]
            for condition in relative.conditions:
                fields += _condition("FamilyMemberHistory", "relative condition", condition)
        fields.append(("Patient", "age at report", case.age))
    if receipt is not None:
        fields += _receipt(receipt)
    return fields
