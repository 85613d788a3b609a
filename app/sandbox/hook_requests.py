"""CDS Hooks requests as the sandbox's demo EHR would send them for its synthetic patients.

``build_hook_request`` fills a request for one of varshare's services (as listed by discovery): a fresh
``hookInstance``, ``fhirServer`` = the sandbox EHR (``{public_base_url}/sandbox/fhir``), the context of the hook
(for the order hooks a draft ServiceRequest for the chosen genetic test, in ``draftOrders`` and, for
order-select, ``selections``) and either the prefetch data (every template of the service run against the
sandbox EHR, exactly what ``/sandbox/fhir`` answers) or, without prefetch, a ``fhirAuthorization`` so varshare
queries the sandbox EHR itself. ``patient_choices`` describes the patients for the page's picker.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from app.cds.prefetch import render
from app.sandbox import fhir_resources as fr
from app.sandbox.ehr_fhir import answer_query
from app.sandbox.fhir_search import SearchError
from app.sandbox.world_patients import DUPLICATE_ORDERS, OUT_OF_DATE, PATIENTS, TEST_SYSTEM, TESTS, Patient

FHIR_PATH = "/sandbox/fhir"
USER_ID = "Practitioner/sandbox-clinician-1"
DEMO_FHIR_TOKEN = "sandbox-demo-fhir-token-accepted-and-ignored"  # noqa: S105 - public by design
HOOKS = (("patient-view", "Open the patient's chart (patient-view)"),
         ("order-select", "Select a genetic test order (order-select)"),
         ("order-sign", "Sign a genetic test order (order-sign)"))
PREFETCH_MODES = (("prefetch", "Prefetch: send the patient's data with the request"),
                  ("fhir-server", "No prefetch: varshare queries the sandbox EHR (fhirServer + fhirAuthorization)"))


class HookRequestError(ValueError):
    """The request cannot be built as asked (unknown patient, hook or test); the message says which."""


@dataclass(frozen=True)
class PatientChoice:
    """One entry of the patient picker."""

    id: str
    label: str
    story: str  # what the sandbox world makes this patient show


def patient_choices() -> list[PatientChoice]:
    """Every synthetic patient, with what its cards will show."""
    out = []
    for p in PATIENTS:
        story = [OUT_OF_DATE[p.id].replace(" -> ", " → ")] if p.id in OUT_OF_DATE else []
        drafts = [TESTS[o.test][0] for o in p.orders if o.status == "draft"]
        if drafts:
            duplicate = " (genes already tested)" if p.id in DUPLICATE_ORDERS else ""
            story.append(f"draft order: {', '.join(drafts)}{duplicate}")
        if not p.reports:
            story.append("no earlier genetic results")
        out.append(PatientChoice(p.id, f"{p.id} · {p.given} {p.family} ({p.ehr})", "; ".join(story)))
    return out


def patient_named(patient_id: str) -> Patient:
    """The synthetic patient with this id; HookRequestError otherwise."""
    for p in PATIENTS:
        if p.id == patient_id:
            return p
    raise HookRequestError(f"no synthetic patient {patient_id!r}; see /sandbox/fhir/Patient")


def default_test(patient: Patient) -> str:
    """The test of the patient's draft order, else the first test of the catalogue."""
    drafts = [o.test for o in patient.orders if o.status == "draft"]
    return drafts[0] if drafts else next(iter(TESTS))


def _draft_order(patient: Patient, test: str) -> dict:
    """The patient's own draft ServiceRequest for ``test`` (as the sandbox EHR holds it), or a new one."""
    title, genes = TESTS[test]
    for m, order in enumerate(patient.orders, start=1):
        if order.status == "draft" and order.test == test:
            return fr.service_request(f"{patient.id}-o{m}", f"Patient/{patient.id}", TEST_SYSTEM, test, title,
                                      genes, "draft", order.authored)
    return fr.service_request(f"{patient.id}-new-{test}", f"Patient/{patient.id}", TEST_SYSTEM, test, title, genes,
                              "draft", dt.date.today().isoformat())


def _prefetch(templates: dict[str, str], context: dict, fhir_base: str) -> dict:
    out = {}
    for key, template in templates.items():
        query = render(template, context)  # the same template rules the service applies
        if query is None:
            continue
        try:
            out[key] = answer_query(query, fhir_base)  # None (JSON null) for a read that finds nothing
        except SearchError:
            continue  # a client must not send keys it cannot satisfy
    return out


def build_hook_request(service: dict, patient_id: str, *, public_base_url: str, test: str | None = None,
                       mode: str = "prefetch") -> dict:
    """The request body for ``service`` (a discovery entry) about ``patient_id``."""
    patient = patient_named(patient_id)
    hook = service["hook"]
    fhir_base = public_base_url.rstrip("/") + FHIR_PATH
    context: dict = {"userId": USER_ID, "patientId": patient.id}
    if hook in ("order-select", "order-sign"):
        test = test or default_test(patient)
        if test not in TESTS:
            raise HookRequestError(f"no genetic test {test!r} in the sandbox catalogue")
        order = _draft_order(patient, test)
        if hook == "order-select":
            context["selections"] = [f"ServiceRequest/{order['id']}"]
        context["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"{fhir_base}/ServiceRequest/{order['id']}",
                                             "resource": order}]}
    body: dict = {"hookInstance": str(uuid.uuid4()), "hook": hook, "fhirServer": fhir_base, "context": context}
    if mode == "prefetch":
        body["prefetch"] = _prefetch(service.get("prefetch", {}), context, fhir_base)
    elif mode == "fhir-server":
        body["fhirAuthorization"] = {"access_token": DEMO_FHIR_TOKEN, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "patient/Patient.read patient/Observation.read "
                                              "patient/DiagnosticReport.read",
                                     "subject": "varshare-sandbox", "patient": patient.id}
    else:
        raise HookRequestError(f"unknown prefetch mode {mode!r}; use prefetch or fhir-server")
    return body
