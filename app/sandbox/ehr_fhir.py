"""The sandbox EHR's FHIR R4 endpoint at ``/sandbox/fhir``: the synthetic patients of the world's two EHR
institutions, their genetic results and test orders, read-only and from memory (no store access).

It is what a CDS Client's ``fhirServer`` would be, so hooks can be tried with prefetch or with the
``fhirServer`` fallback, and the public CDS Hooks Sandbox can be launched against it (``fhirServiceUrl``).
Registered only in sandbox and test mode.

- ``GET /metadata``: the CapabilityStatement (exactly what is served and searchable).
- ``GET /{Type}/{id}``: read; ``GET /{Type}?...`` and ``POST /{Type}/_search``: search (``fhir_search``),
  answered as a ``searchset`` Bundle with ``total`` and ``self``/``first``/``next``/``previous`` links.
- Errors are OperationOutcomes: 404 for unknown ids, types and paths, 400 for unsupported search parameters,
  405 for writes.
- Authorization: none needed. A bearer token (a hook's ``fhirAuthorization``) is accepted and ignored, never
  checked, stored or logged: the data are synthetic and public. Any browser origin may call it (CORS ``*``).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, Response, request

from app.api.errors import FHIR_JSON, json_response, operation_outcome
from app.sandbox.fhir_search import PARAMETERS, SearchError, SearchResult, search
from app.sandbox.world import build_world

bp = Blueprint("sandbox_fhir", __name__, url_prefix="/sandbox/fhir")
FHIR_VERSION = "4.0.1"
_WRITES = ["POST", "PUT", "PATCH", "DELETE"]
_DESCRIPTIONS = {"Patient": "Synthetic patients of Demo EHR Hospital and Demo EHR Clinic",
                 "Observation": "Genomics Reporting Variants, Diagnostic Implications and regions studied",
                 "DiagnosticReport": "Genetic analysis reports (LOINC 51969-4, category v2-0074 GE)",
                 "ServiceRequest": "Genetic test orders: completed ones behind the reports, and drafts",
                 "Condition": "No conditions are recorded (searches answer an empty searchset)"}


@lru_cache(maxsize=1)
def _resources() -> dict[str, tuple[dict, ...]]:
    resources = dict(build_world().ehr_resources)
    resources["Condition"] = ()
    return resources


@lru_cache(maxsize=1)
def _by_id() -> dict[tuple[str, str], dict]:
    return {(kind, r["id"]): r for kind, items in _resources().items() for r in items}


def _fhir(payload: dict, status: int = 200) -> Response:
    return json_response(payload, status, mimetype=FHIR_JSON)


def _outcome(status: int, code: str, message: str) -> Response:
    return _fhir(operation_outcome([{"severity": "error", "code": code, "diagnostics": message}]), status)


def _base() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response.status_code = 204
        response.set_data(b"")
        del response.headers["Content-Type"]
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Accept, Prefer"
        response.headers["Access-Control-Max-Age"] = "600"
        if request.headers.get("Access-Control-Request-Private-Network") == "true":
            response.headers["Access-Control-Allow-Private-Network"] = "true"
    return response


@bp.get("/metadata")
def metadata():
    """The CapabilityStatement: read and search-type for each served type, and their search parameters."""
    resources = []
    for kind, params in PARAMETERS.items():
        search_params = [{"name": "_id", "type": "token"}, {"name": "_count", "type": "number"},
                         {"name": "_offset", "type": "number"}]
        search_params += [{"name": name, "type": kind_} for name, kind_ in params.items()]
        resources.append({"type": kind, "documentation": _DESCRIPTIONS[kind],
                          "interaction": [{"code": "read"}, {"code": "search-type"}],
                          "searchParam": search_params})
    return _fhir({
        "resourceType": "CapabilityStatement", "status": "active", "date": "2025-06-01", "kind": "instance",
        "software": {"name": "varshare sandbox EHR"},
        "implementation": {"description": "Synthetic EHR of the varshare integrator sandbox (read-only; "
                                          "unknown search parameters are refused with 400)", "url": _base()},
        "fhirVersion": FHIR_VERSION, "format": ["json"],
        "rest": [{"mode": "server", "documentation": "No authorization is required; a bearer token is accepted "
                                                     "and ignored.", "resource": resources}],
    })


def _link(base: str, resource_type: str, criteria: list[tuple[str, str]], offset: int, count: int) -> str:
    return f"{base}/{resource_type}?{urlencode([*criteria, ('_count', count), ('_offset', offset)])}"


def _searchset(base: str, resource_type: str, result: SearchResult) -> dict:
    links = [{"relation": "self", "url": _link(base, resource_type, result.criteria, result.offset, result.count)},
             {"relation": "first", "url": _link(base, resource_type, result.criteria, 0, result.count)}]
    if result.count and result.offset + result.count < result.total:
        links.append({"relation": "next", "url": _link(base, resource_type, result.criteria,
                                                       result.offset + result.count, result.count)})
    if result.count and result.offset > 0:
        links.append({"relation": "previous",
                      "url": _link(base, resource_type, result.criteria, max(result.offset - result.count, 0),
                                   result.count)})
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": result.total, "link": links}
    if result.page:
        bundle["entry"] = [{"fullUrl": f"{base}/{resource_type}/{r['id']}", "resource": r,
                            "search": {"mode": "match"}} for r in result.page]
    return bundle


def answer_query(relative_url: str, base: str) -> dict | None:
    """What this server answers to ``Type/id`` or ``Type?params`` (a prefetch template with its tokens filled):
    the resource (None when there is no such resource) or the searchset Bundle. SearchError when unsupported."""
    parts = urlsplit(relative_url)
    path = parts.path.strip("/")
    if "/" in path:
        resource_type, resource_id = path.split("/", 1)
        if resource_type not in PARAMETERS:
            raise SearchError(f"{resource_type} is not served here")
        return _by_id().get((resource_type, resource_id))
    result = search(path, parse_qsl(parts.query, keep_blank_values=True), _resources().get(path, ()))
    return _searchset(base.rstrip("/"), path, result)


def _run_search(resource_type: str, params: list[tuple[str, str]]) -> Response:
    if resource_type not in PARAMETERS:
        return _outcome(404, "not-supported", f"{resource_type} is not served by this endpoint; see /metadata")
    try:
        result = search(resource_type, params, _resources()[resource_type])
    except SearchError as exc:
        return _outcome(400, "not-supported", str(exc))
    return _fhir(_searchset(_base(), resource_type, result))


@bp.route("/<resource_type>", methods=["GET"])
def search_type(resource_type: str):
    """``GET /{Type}?params``: a searchset Bundle."""
    return _run_search(resource_type, list(request.args.items(multi=True)))


@bp.route("/<resource_type>/_search", methods=["POST"])
def search_post(resource_type: str):
    """``POST /{Type}/_search`` with form-encoded parameters (and any in the query string)."""
    return _run_search(resource_type, [*request.args.items(multi=True), *request.form.items(multi=True)])


@bp.route("/<resource_type>/<resource_id>", methods=["GET"])
def read(resource_type: str, resource_id: str):
    """``GET /{Type}/{id}``: the resource, or a 404 OperationOutcome."""
    if resource_type not in PARAMETERS:
        return _outcome(404, "not-supported", f"{resource_type} is not served by this endpoint; see /metadata")
    found = _by_id().get((resource_type, resource_id))
    if found is None:
        return _outcome(404, "not-found", f"no {resource_type} with id {resource_id!r}")
    return _fhir(found)


@bp.route("/", defaults={"rest": ""}, methods=["GET", *_WRITES])
@bp.route("/<path:rest>", methods=["GET", *_WRITES])
def fallback(rest: str):
    """Anything else: 405 for writes (POST outside ``_search`` included), 404 otherwise, as OperationOutcomes."""
    if request.method in _WRITES:
        response = _outcome(405, "not-supported", "this synthetic EHR is read-only")
        response.headers["Allow"] = "GET, POST, OPTIONS"  # POST only for {Type}/_search
        return response
    return _outcome(404, "not-found", "no such FHIR endpoint; see /sandbox/fhir/metadata")
