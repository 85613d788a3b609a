"""The OpenAPI 3.1 description of the JSON read API, served at /api/openapi.json."""

from __future__ import annotations

from flask import Blueprint

from app.api.context import services
from app.api.errors import json_response

bp = Blueprint("openapi", __name__, url_prefix="/api")


# Store versions and cursors are 64-bit integers (the databases' BIGINT); larger values are refused with a 400.
_VERSION = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}


def _params(*names: str) -> list[dict]:
    known = {
        "q": {"name": "q", "in": "query", "required": True,
              "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
              "description": "variant key (GRCh38:17:43057063:G:GG), SPDI, HGVS, clinvar:<id>, rsID or gene symbol"},
        "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
        "cursor": {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        "after": {"name": "after", "in": "query", "schema": _VERSION},
        "since": {"name": "since", "in": "query", "schema": _VERSION},
        "since_required": {"name": "since", "in": "query", "required": True, "schema": _VERSION,
                           "description": "the store version you have seen"},
        "as_of": {"name": "as_of", "in": "query", "schema": _VERSION,
                  "description": "answer as the store stood at this store version"},
        "tenant": {"name": "tenant", "in": "query", "schema": {"type": "string", "enum": ["me"]}},
        "id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
        "name": {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
        "file": {"name": "file", "in": "path", "required": True,
                 "schema": {"type": "string", "enum": ["variant_summary.tsv", "variants.jsonl"]}},
    }
    return [known[n] for n in names]


def _op(summary: str, params: tuple[str, ...] = (), schema: str = "Object", codes: tuple[int, ...] = (),
        body: bool = False) -> dict:
    responses = {"200": {"description": "OK", "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}}
    for code in (401, 403, *codes, 429, 503):  # every call is rate limited and needs the store
        responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    operation = {"summary": summary, "parameters": _params(*params), "responses": responses}
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "enum": [
                "outlier-claim", "outdated-claim", "insufficient-evidence", "submission-error",
                "not-a-classification"]}}}}}}
    return operation


def build_openapi(base_url: str) -> dict:
    """The OpenAPI document for this deployment."""
    error_schema = {"schema": {"$ref": "#/components/schemas/Error"}}
    error = {"description": "error", "content": {"application/json": error_schema}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "varshare read API", "version": "1", "description":
                 "Aggregate classifications of the shared variant store. Bearer token of a registered tenant."},
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/variants": {"get": _op("Find variants", ("q", "limit", "cursor"), "List", (400,))},
            "/api/variants/{id}": {"get": _op("One variant with aggregates and submissions", ("id", "as_of"),
                                              "Object", (400, 404))},
            "/api/variants/{id}/history": {"get": _op("Aggregate change events of a variant", ("id", "after", "limit"),
                                                      "List", (400,))},
            "/api/changes": {"get": _op("Change feed after a store version", ("since_required", "after", "limit"),
                                        "List", (400,))},
            "/api/submitters": {"get": _op("Institutions with roles and counts", (), "List")},
            "/api/reclassifications": {"get": _op("Your cases whose variant was reclassified", ("tenant", "since"),
                                                  "List", (400,))},
            "/api/submissions/{id}/flag": {"post": _op("Flag a submission (curators)", ("id",), "Object",
                                                       (400, 404, 409, 413), body=True)},
            "/api/submissions/{id}/unflag": {"post": _op("Unflag a submission (curators)", ("id",), "Object",
                                                         (404, 409, 413))},
            "/api/releases": {"get": _op("Releases, newest first", (), "List")},
            "/api/releases/{name}": {"get": _op("One release with file checksums", ("name",), "Object", (404,))},
            "/api/releases/{name}/files/{file}": {"get": _op("A release file", ("name", "file"), "Object", (404,))},
            "/api/reports/{id}": {"get": _op("The receipt of one of your reports", ("id",), "Object", (404,))},
            "/api/whoami": {"get": _op("The calling tenant", (), "Object")},
            "/api/tenants": {"get": _op("Registered tenants (admin)", (), "Object")},
            "/api/cds-feedback": {"get": _op("CDS card feedback per service, card kind and outcome (admin, curator)",
                                             (), "Object")},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Object": {"type": "object"},
                "List": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {"type": "object"}},
                    "next": {"type": "string", "format": "uri"}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "properties": {"status": {"type": "integer"}, "code": {"type": "string"},
                                                     "message": {"type": "string"}}}}},
            },
            "responses": {f"E{code}": error for code in (400, 401, 403, 404, 409, 413, 429, 503)},
        },
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document (public)."""
    return json_response(build_openapi(services().settings.public_base_url))
