"""The tenant isolation matrix: which roles may call each route of the app, and one served app to call them on.

``MATRIX`` maps every (rule, method) of ``app.url_map`` to who may call it: ``PUBLIC`` (anyone, no token),
``CDS_JWT`` (a signed CDS Hooks client JWT, never a tenant token) or the set of tenant roles allowed. It is the
specification the isolation tests hold the app to, written out by hand on purpose (not derived from the
permission table), so a new route without an entry here fails ``test_every_route_has_a_matrix_entry``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import requests
from sqlalchemy import select

from app import create_app
from app.sandbox.demo_tenants import seed_demo_tenants
from app.security.roles import ROLES
from app.store.tables import audit_events, submissions
from tests.api.lab_bundles import BRCA1_A, BRCA2_A, lab_report
from tests.conftest import LiveServer, empty_all_tables, settings_for

BASE = "https://cds.example.org"  # the configured public base URL: JWT audiences name it, not the test port
SERVICE = "genomic-variant-review"
PUBLIC, CDS_JWT = "public", "cds-jwt"
EVERY_ROLE = frozenset(ROLES)
SUBMITTERS = frozenset({"lab", "expert-panel", "practice-guideline", "ehr"})
SANDBOX_FHIR_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


@dataclass(frozen=True)
class Route:
    """Who may call a route, and a concrete request to call it with (placeholders name the world's objects)."""

    access: str | frozenset[str]
    path: str
    body: dict | None = None


MATRIX: dict[tuple[str, str], Route] = {
    ("/", "GET"): Route(PUBLIC, "/"),
    ("/healthz", "GET"): Route(PUBLIC, "/healthz"),
    ("/readyz", "GET"): Route(PUBLIC, "/readyz"),
    ("/static/<path:filename>", "GET"): Route(PUBLIC, "/static/no-such-file.css"),
    ("/variants/<variant_id>", "GET"): Route(PUBLIC, "/variants/{variant}"),
    ("/api/openapi.json", "GET"): Route(PUBLIC, "/api/openapi.json"),
    ("/api/privacy-policy", "GET"): Route(PUBLIC, "/api/privacy-policy"),
    ("/fhir/metadata", "GET"): Route(PUBLIC, "/fhir/metadata"),
    ("/api/whoami", "GET"): Route(EVERY_ROLE, "/api/whoami"),
    ("/api/tenants", "GET"): Route(frozenset({"admin"}), "/api/tenants"),
    ("/metrics", "GET"): Route(frozenset({"admin"}), "/metrics"),
    ("/api/cds-feedback", "GET"): Route(frozenset({"admin", "curator"}), "/api/cds-feedback"),
    ("/api/variants", "GET"): Route(EVERY_ROLE, "/api/variants?q=BRCA1"),
    ("/api/variants/<variant_id>", "GET"): Route(EVERY_ROLE, "/api/variants/{variant}"),
    ("/api/variants/<variant_id>/history", "GET"): Route(EVERY_ROLE, "/api/variants/{variant}/history"),
    ("/api/changes", "GET"): Route(EVERY_ROLE, "/api/changes?since=0"),
    ("/api/submitters", "GET"): Route(EVERY_ROLE, "/api/submitters"),
    ("/api/releases", "GET"): Route(EVERY_ROLE, "/api/releases"),
    ("/api/releases/<name>", "GET"): Route(EVERY_ROLE, "/api/releases/{release}"),
    ("/api/releases/<name>/files/<file_name>", "GET"): Route(EVERY_ROLE,
                                                             "/api/releases/{release}/files/variants.jsonl"),
    ("/api/reclassifications", "GET"): Route(SUBMITTERS, "/api/reclassifications?since=0"),
    ("/api/reports/<report_id>", "GET"): Route(SUBMITTERS, "/api/reports/{report}"),
    # an unknown reason code (400) and an unflag of an unflagged submission (409): allowed, and nothing changes
    ("/api/submissions/<submission_id>/flag", "POST"): Route(frozenset({"curator"}), "/api/submissions/{submission}"
                                                             "/flag", {"reason": "not-a-reason-code"}),
    ("/api/submissions/<submission_id>/unflag", "POST"): Route(frozenset({"curator"}),
                                                               "/api/submissions/{submission}/unflag", {}),
    ("/fhir", "POST"): Route(SUBMITTERS, "/fhir", {}),  # bodies that fail validation: nothing is stored
    ("/fhir/Bundle", "POST"): Route(SUBMITTERS, "/fhir/Bundle", {}),
    ("/fhir/DiagnosticReport", "POST"): Route(SUBMITTERS, "/fhir/DiagnosticReport", {}),
    ("/fhir/Observation", "POST"): Route(SUBMITTERS, "/fhir/Observation", {}),
    ("/fhir/Bundle/$validate", "POST"): Route(SUBMITTERS, "/fhir/Bundle/$validate", {}),  # stores nothing
    ("/fhir/DiagnosticReport/$validate", "POST"): Route(SUBMITTERS, "/fhir/DiagnosticReport/$validate", {}),
    ("/fhir/Observation/$validate", "POST"): Route(SUBMITTERS, "/fhir/Observation/$validate", {}),
    ("/fhir/AuditEvent", "GET"): Route(EVERY_ROLE, "/fhir/AuditEvent"),
    ("/fhir/AuditEvent/<event_id>", "GET"): Route(EVERY_ROLE, "/fhir/AuditEvent/{event}"),
    ("/cds-services", "GET"): Route(CDS_JWT, "/cds-services"),
    ("/cds-services/<service_id>", "POST"): Route(CDS_JWT, f"/cds-services/{SERVICE}", {}),
    ("/cds-services/<service_id>/feedback", "POST"): Route(CDS_JWT, f"/cds-services/{SERVICE}/feedback", {}),
    # the sandbox: public pages, the demo JWKS, the open test EHR FHIR server, the demo token issuer
    ("/sandbox", "GET"): Route(PUBLIC, "/sandbox"),
    ("/sandbox/help", "GET"): Route(PUBLIC, "/sandbox/help"),
    ("/sandbox/submit", "GET"): Route(PUBLIC, "/sandbox/submit"),
    ("/sandbox/example-bundle", "GET"): Route(PUBLIC, "/sandbox/example-bundle"),
    ("/sandbox/hook-request", "GET"): Route(PUBLIC, "/sandbox/hook-request"),
    ("/sandbox/.well-known/jwks.json", "GET"): Route(PUBLIC, "/sandbox/.well-known/jwks.json"),
    ("/sandbox/token", "POST"): Route(PUBLIC, "/sandbox/token", {}),
    ("/sandbox/fhir/metadata", "GET"): Route(PUBLIC, "/sandbox/fhir/metadata"),
    ("/sandbox/fhir/<resource_type>", "GET"): Route(PUBLIC, "/sandbox/fhir/Patient"),
    ("/sandbox/fhir/<resource_type>/<resource_id>", "GET"): Route(PUBLIC, "/sandbox/fhir/Patient/no-such-id"),
    ("/sandbox/fhir/<resource_type>/_search", "POST"): Route(PUBLIC, "/sandbox/fhir/Patient/_search", {}),
    **{("/sandbox/fhir/", method): Route(PUBLIC, "/sandbox/fhir/", {}) for method in SANDBOX_FHIR_METHODS},
    **{("/sandbox/fhir/<path:rest>", method): Route(PUBLIC, "/sandbox/fhir/a/b/c/d", {})
       for method in SANDBOX_FHIR_METHODS},
}

TENANT_ROUTES = sorted(key for key, route in MATRIX.items() if isinstance(route.access, frozenset))
PUBLIC_ROUTES = sorted(key for key, route in MATRIX.items() if route.access == PUBLIC)
CDS_ROUTES = sorted(key for key, route in MATRIX.items() if route.access == CDS_JWT)


@dataclass
class IsolationWorld:
    """A sandbox-mode app over real HTTP with two tenants of every role ("<role> A", "<role> B") and one report
    of "lab A" (with its submissions, variants, import event and a release)."""

    target: object
    data_dir: object
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)

    def start(self) -> IsolationWorld:
        self.app = create_app(settings_for(self.target, self.data_dir, mode="sandbox", public_base_url=BASE))
        self.services = self.app.extensions["varshare"]
        empty_all_tables(self.services.store)
        seed_demo_tenants(self.services.tenants)  # the demo EHR: the tenant behind sandbox-signed CDS JWTs
        tenants = self.services.tenants
        for role in ROLES:
            for side in ("A", "B"):
                row, self.tokens[f"{role} {side}"] = tenants.add(f"{role} {side}", role)
                self.ids[f"{role} {side}"] = row.id
        self.ids["Demo EHR Hospital"] = tenants.get("Demo EHR Hospital").id
        row, self.tokens["disabled"] = tenants.add("Disabled Lab", "lab")
        tenants.set_disabled("Disabled Lab", True)
        _row, self.tokens["revoked"] = tenants.add("Rotated Lab", "lab")
        tenants.rotate_token("Rotated Lab")
        receipt = self.services.ingest.submit(tenants.caller_named("lab A"), lab_report(
            [(BRCA1_A, "P"), (BRCA2_A, "LP")], report_id="iso-report-a", patient_mrn="MRN-ISO-1")).receipt
        self.objects["report"] = receipt["report"]
        self.objects["variant"] = receipt["variants"][0]["id"]
        with self.services.store.reading() as conn:
            self.objects["submission"] = conn.execute(select(submissions.c.id).where(
                submissions.c.report_id == receipt["report"])).scalars().first()
            self.objects["event"] = str(conn.execute(select(audit_events.c.id).where(
                audit_events.c.agent_submitter_id == self.ids["lab A"])).scalars().first())
        self.services.releases.create("iso-1")
        self.objects["release"] = "iso-1"
        self.server = LiveServer(self.app).start()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.services.store.dispose()

    def path(self, route: Route) -> str:
        return route.path.format(**self.objects)

    def call(self, method: str, path: str, *, token: str | None = None, body=None,
             authorization: str | None = None) -> tuple[requests.Response, str]:
        """Call over HTTP with a fresh request id; returns the response and that id (audit events carry it)."""
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id, "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if authorization is not None:
            headers["Authorization"] = authorization
        response = requests.request(method, self.server.url + path, headers=headers, timeout=30,
                                    json=body if method != "GET" else None)
        return response, request_id

    def audit_events_of(self, request_id: str) -> list[dict]:
        """The audit events a request left behind (matched by its request id)."""
        with self.services.store.reading() as conn:
            return [dict(r) for r in conn.execute(select(audit_events).where(
                audit_events.c.request_id == request_id).order_by(audit_events.c.id)).mappings()]
