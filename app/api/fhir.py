"""The FHIR ingest endpoints: POST /fhir (transaction, batch), /fhir/Bundle, /fhir/DiagnosticReport,
/fhir/Observation, their ``$validate`` operations, and GET /fhir/metadata."""

from __future__ import annotations

import logging
from functools import wraps

import orjson
from flask import Blueprint, Response, request

from app.api.auth import current_caller, requires
from app.api.context import services
from app.api.errors import FHIR_JSON, error_response, json_response
from app.api.metrics import observe_ingest
from app.ingest.outcome import build_operation_outcome
from app.ingest.receipts import (
    build_capability_statement,
    build_receipt,
    build_response_bundle,
    build_response_entry,
    rebase_issues,
)
from app.security.limits import json_exceeds_depth
from app.services.failures import StoreUnavailable
from app.services.ingest import IngestRejected, IngestResult

log = logging.getLogger("varshare.ingest")
VERSION = "0.1.0"
bp = Blueprint("fhir", __name__, url_prefix="/fhir")

_ACCEPTED_TYPES = ("application/fhir+json", "application/json")
_REPORT_BUNDLE_TYPES = ("collection", "document", "message")
_REST_BUNDLE_TYPES = ("transaction", "batch")


class _BadRequest(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _fhir(payload: dict, status: int = 200, headers=None) -> Response:
    return json_response(payload, status, mimetype=FHIR_JSON, headers=headers)


def _rejection(rejected: IngestRejected) -> Response:
    return _fhir(build_operation_outcome(rejected.issues), rejected.status)


def _read_resource(expected: tuple[str, ...]) -> dict:
    """Content type, parse, depth and entry-count checks; raises _BadRequest with the right status."""
    if request.mimetype not in _ACCEPTED_TYPES:
        raise _BadRequest(error_response(415, "send application/fhir+json (or application/json)"))
    body = request.get_data(cache=False)
    try:
        resource = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _BadRequest(error_response(400, f"the body is not valid JSON (at character {exc.pos})",
                                         code="structure")) from None
    settings = services().settings
    if json_exceeds_depth(body, settings.max_json_depth):
        raise _BadRequest(error_response(400, f"the JSON nests deeper than {settings.max_json_depth} levels",
                                         code="too-costly"))
    if not isinstance(resource, dict) or resource.get("resourceType") not in expected:
        found = resource.get("resourceType") if isinstance(resource, dict) else None
        what = f"a {found} resource" if isinstance(found, str) else "no FHIR resource"
        raise _BadRequest(error_response(422, f"expected {' or '.join(expected)} here, got {what}",
                                         code="not-supported"))
    entries = resource.get("entry")
    if isinstance(entries, list) and len(entries) > settings.max_bundle_entries:
        raise _BadRequest(error_response(413, f"the Bundle has {len(entries)} entries; the limit is "
                                              f"{settings.max_bundle_entries}", code="too-costly"))
    return resource


def _created(result: IngestResult) -> Response:
    status = 200 if result.replayed else 201
    headers = {"Location": f"{services().settings.public_base_url}/api/reports/{result.receipt['report']}"}
    return _fhir(build_receipt(result.receipt, result.issues), status, headers=headers)


def _submit(resource: dict) -> Response:
    try:
        result = services().ingest.submit(current_caller(), resource)
    except IngestRejected as rejected:
        log.info("submission rejected", extra={"fields": {"status": rejected.status, "issues": len(rejected.issues)}})
        observe_ingest("rejected")
        return _rejection(rejected)
    observe_ingest("replayed" if result.replayed else "accepted")
    return _created(result)


def _guarded(handler):
    @wraps(handler)
    def run(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except _BadRequest as bad:
            observe_ingest("rejected")
            return bad.response
        except StoreUnavailable:
            log.warning("database unavailable during ingest")
            return error_response(503, "the store is temporarily unavailable; nothing was stored, retry later",
                                  headers={"Retry-After": "5"})
    return run


@bp.post("")
@requires("submit")
@_guarded
def transaction_or_batch():
    """A transaction (one report, all or nothing) or a batch (entry by entry) Bundle."""
    bundle = _read_resource(("Bundle",))
    kind = bundle.get("type")
    if kind not in _REST_BUNDLE_TYPES:
        return error_response(422, f"POST /fhir takes transaction or batch Bundles; send {kind or 'this'} Bundles "
                                   "to POST /fhir/Bundle", code="not-supported")
    entries = bundle.get("entry") if isinstance(bundle.get("entry"), list) else []
    if kind == "transaction":
        try:
            result = services().ingest.submit(current_caller(), bundle)
        except IngestRejected as rejected:
            observe_ingest("rejected")
            return _rejection(rejected)
        observe_ingest("replayed" if result.replayed else "accepted")
        receipt = build_receipt(result.receipt, result.issues)
        response = [build_response_entry(200 if result.replayed else 201, receipt if i == 0 else None)
                    for i in range(len(entries))]
        return _fhir(build_response_bundle("transaction", response))
    outcomes = services().ingest.submit_batch_entries(current_caller(), bundle)
    observe_ingest("rejected", sum(isinstance(o, IngestRejected) for o in outcomes))
    observe_ingest("replayed", sum(not isinstance(o, IngestRejected) and o.replayed for o in outcomes))
    observe_ingest("accepted", sum(not isinstance(o, IngestRejected) and not o.replayed for o in outcomes))
    response = []
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, IngestRejected):
            response.append(build_response_entry(outcome.status,
                                                 build_operation_outcome(rebase_issues(outcome.issues, i))))
        else:
            response.append(build_response_entry(200 if outcome.replayed else 201,
                                                 build_receipt(outcome.receipt, rebase_issues(outcome.issues, i))))
    return _fhir(build_response_bundle("batch", response))


@bp.post("/Bundle")
@requires("submit")
@_guarded
def report_bundle():
    """A collection, document or message Bundle holding one genomic report."""
    bundle = _read_resource(("Bundle",))
    if bundle.get("type") in _REST_BUNDLE_TYPES:
        return error_response(422, f"{bundle.get('type')} Bundles are processed by POST /fhir", code="not-supported")
    return _submit(bundle)


@bp.post("/DiagnosticReport")
@requires("submit")
@_guarded
def diagnostic_report():
    """A DiagnosticReport with its results as contained resources."""
    return _submit(_read_resource(("DiagnosticReport",)))


@bp.post("/Observation")
@requires("submit")
@_guarded
def observation():
    """A single Variant or implication Observation (classification-only sharing)."""
    return _submit(_read_resource(("Observation",)))


@bp.get("/metadata")
def metadata():
    """The CapabilityStatement (public, as FHIR expects)."""
    settings = services().settings
    return _fhir(build_capability_statement(settings.public_base_url, VERSION, settings.max_bundle_entries,
                                            settings.max_body_bytes, services().ingest.profiles.by_type()))


def _validated_resource(expected: tuple[str, ...]) -> dict:
    """The resource of a ``$validate`` call: the body itself, or the ``resource`` of a Parameters body (with ``mode``
    absent or ``create`` and ``profile`` absent or one of the profiles checked); raises _BadRequest otherwise."""
    body = _read_resource((*expected, "Parameters"))
    if body["resourceType"] != "Parameters":
        return body
    params = [p for p in body.get("parameter") or () if isinstance(p, dict)]
    named = {p.get("name"): p for p in params}
    mode = named.get("mode", {}).get("valueCode")
    if "mode" in named and mode != "create":
        raise _BadRequest(error_response(422, "only mode=create is supported: the operation checks a report as "
                                              "it would be submitted", code="not-supported"))
    profile = named.get("profile", {})
    if "profile" in named and (profile.get("valueCanonical") or profile.get("valueUri")) not in \
            services().ingest.profiles.urls:
        raise _BadRequest(error_response(422, "that profile is not one varshare checks against; see the "
                                              "supportedProfile entries of GET /fhir/metadata", code="not-supported"))
    resource = named.get("resource", {}).get("resource")
    if not isinstance(resource, dict) or resource.get("resourceType") not in expected:
        raise _BadRequest(error_response(422, f"the Parameters need a 'resource' parameter holding a "
                                              f"{' or '.join(expected)}", code="required"))
    entries = resource.get("entry")
    limit = services().settings.max_bundle_entries
    if isinstance(entries, list) and len(entries) > limit:
        raise _BadRequest(error_response(413, f"the Bundle has {len(entries)} entries; the limit is {limit}",
                                         code="too-costly"))
    return resource


def _validate(expected: tuple[str, ...]) -> Response:
    """FHIR $validate: 200 with an OperationOutcome whatever the verdict; nothing is stored."""
    resource = _validated_resource(expected)
    if resource.get("resourceType") == "Bundle" and resource.get("type") == "batch":
        return error_response(422, "validate the entries of a batch one at a time", code="not-supported")
    return _fhir(build_operation_outcome(services().ingest.validate(current_caller(), resource)))


@bp.post("/Bundle/$validate")
@requires("submit")
@_guarded
def validate_bundle():
    """Check a report Bundle (collection, document, message or transaction) as POST /fhir or /fhir/Bundle would."""
    return _validate(("Bundle",))


@bp.post("/DiagnosticReport/$validate")
@requires("submit")
@_guarded
def validate_diagnostic_report():
    return _validate(("DiagnosticReport",))


@bp.post("/Observation/$validate")
@requires("submit")
@_guarded
def validate_observation():
    return _validate(("Observation",))
