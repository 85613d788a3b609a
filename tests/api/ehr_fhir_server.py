"""A small static EHR-side FHIR server for tests, served over real HTTP on loopback (Flask in a thread).

It holds the fixture world's EHR records, answers reads and the searches of varshare's prefetch templates in
pages of ``page_size`` with absolute ``next`` links, checks the bearer token when one is required, and records
every request so tests can assert what was (or was not) fetched.
"""

from __future__ import annotations

import time

from flask import Flask, jsonify, request

from tests.api.cds_world import WORLD, ehr_records
from tests.conftest import LiveServer

CODES = {"http://loinc.org|69548-6": "variants",
         "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs|diagnostic-implication": "implications"}


class EhrFhirServer(LiveServer):
    """The EHR's FHIR server; ``base`` is what goes into ``fhirServer``."""

    def __init__(self, *, token: str | None = None, page_size: int = 1) -> None:
        self.token = token
        self.page_size = page_size
        self.requests: list[dict] = []
        self.fail_with: int | None = None
        self.delay_s = 0.0
        super().__init__(self._app())
        self.base = self.url + "/fhir"

    def _app(self) -> Flask:
        app = Flask("ehr-fhir")
        records = {patient: ehr_records(patient) for patient in WORLD["patients"]}

        def outcome(status: int, code: str):
            return jsonify({"resourceType": "OperationOutcome",
                            "issue": [{"severity": "error", "code": code}]}), status

        @app.before_request
        def _check():
            self.requests.append({"path": request.path, "args": dict(request.args),
                                  "authorization": request.headers.get("Authorization")})
            if self.delay_s:
                time.sleep(self.delay_s)
            if self.fail_with:
                return outcome(self.fail_with, "exception")
            if self.token is not None and request.headers.get("Authorization") != f"Bearer {self.token}":
                return outcome(401, "login")
            return None

        @app.get("/fhir/Patient/<patient_id>")
        def read_patient(patient_id: str):
            if patient_id not in records:
                return outcome(404, "not-found")
            return jsonify(records[patient_id]["patient"][0])

        def search(key: str):
            patient = request.args.get("patient", "")
            found = records.get(patient, {}).get(key, [])
            page = int(request.args.get("_page", "0"))
            chunk = found[page * self.page_size:(page + 1) * self.page_size]
            bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                      "link": [{"relation": "self", "url": request.url}],
                      "entry": [{"resource": r, "search": {"mode": "match"}} for r in chunk]}
            bundle["entry"].append({"resource": {"resourceType": "OperationOutcome", "issue": [
                {"severity": "information", "code": "informational"}]}, "search": {"mode": "outcome"}})
            if (page + 1) * self.page_size < len(found):
                args = {**request.args, "_page": str(page + 1)}
                query = "&".join(f"{k}={v}" for k, v in args.items())
                bundle["link"].append({"relation": "next", "url": f"{self.base}/{request.path.split('/')[-1]}?{query}"})
            return jsonify(bundle)

        @app.get("/fhir/Observation")
        def observations():
            key = CODES.get(request.args.get("code", ""))
            return search(key) if key else outcome(400, "not-supported")

        @app.get("/fhir/DiagnosticReport")
        def reports():
            return search("reports")

        return app


def start_ehr_fhir_server(**options) -> EhrFhirServer:
    """Start the server (stop it with ``.stop()``)."""
    server = EhrFhirServer(**options)
    server.start()
    return server
