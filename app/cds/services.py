"""The CDS Services varshare offers and their discovery document (CDS Hooks 2.0 §Discovery).

One distinct id per hook (the CDS Hooks Sandbox keys services by id). Prefetch templates use only the spec's
allowed query subset (instance read, type search on a reference and token equality), which
``app.cds.prefetch.check_template`` verifies.
"""

from __future__ import annotations

from dataclasses import dataclass

PATIENT_VIEW = "genomic-variant-review"
ORDER_SELECT = "genetic-test-order-select"
ORDER_SIGN = "genetic-test-order-sign"

VARIANT_CODE = "http://loinc.org|69548-6"
IMPLICATION_CODE = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs|diagnostic-implication"
GENETICS_CATEGORY = "http://terminology.hl7.org/CodeSystem/v2-0074|GE"

PATIENT, VARIANTS, IMPLICATIONS, REPORTS = "patient", "variants", "implications", "reports"
_PREFETCH = (
    (PATIENT, "Patient/{{context.patientId}}"),
    (VARIANTS, "Observation?patient={{context.patientId}}&code=" + VARIANT_CODE),
    (IMPLICATIONS, "Observation?patient={{context.patientId}}&code=" + IMPLICATION_CODE),
    (REPORTS, "DiagnosticReport?patient={{context.patientId}}&category=" + GENETICS_CATEGORY),
)
# Without the patient's variants and their classifications there is nothing to say; the Patient (for the
# institution's own earlier submissions) and the reports (dates, links) only improve the answer.
_REQUIRED = frozenset({VARIANTS, IMPLICATIONS})
_USAGE = ("Needs the prefetch data or a fhirServer with fhirAuthorization allowing patient/Observation.read and "
          "patient/DiagnosticReport.read; answers 412 when the patient's genomic Observations cannot be obtained.")


@dataclass(frozen=True)
class CdsService:
    """One CDS Service: the hook it answers, what it asks for, and which context fields it needs."""

    id: str
    hook: str
    title: str
    description: str
    context_fields: tuple[str, ...]
    prefetch: tuple[tuple[str, str], ...] = _PREFETCH
    required: frozenset[str] = _REQUIRED

    @property
    def is_order_hook(self) -> bool:
        return self.hook in ("order-select", "order-sign")

    def as_discovery(self) -> dict:
        """This service's entry of the discovery document."""
        return {"hook": self.hook, "id": self.id, "title": self.title, "description": self.description,
                "prefetch": dict(self.prefetch), "usageRequirements": _USAGE}


SERVICES: tuple[CdsService, ...] = (
    CdsService(
        PATIENT_VIEW, "patient-view", "Shared variant classifications",
        "Current shared classification of the patient's reported genomic variants across contributing "
        "laboratories: reclassifications since the patient's report, conflicts between submitters, and a summary.",
        ("userId", "patientId"),
    ),
    CdsService(
        ORDER_SELECT, "order-select", "Earlier genetic results for a selected test",
        "When a genetic test is selected, says whether the patient already has results covering the ordered "
        "genes and offers to remove the duplicate draft order.",
        ("userId", "patientId", "selections", "draftOrders"),
    ),
    CdsService(
        ORDER_SIGN, "order-sign", "Earlier genetic results before signing a test",
        "Before a genetic test order is signed, says whether the patient already has results covering the "
        "ordered genes and offers to remove the duplicate draft order.",
        ("userId", "patientId", "draftOrders"),
    ),
)
_BY_ID = {service.id: service for service in SERVICES}


def service_named(service_id: str) -> CdsService | None:
    """The service with this id, or None."""
    return _BY_ID.get(service_id)


def discovery_document() -> dict:
    """``{"services": [...]}`` for ``GET /cds-services``."""
    return {"services": [service.as_discovery() for service in SERVICES]}
