"""Read API over the shared store (variants, history, change feed, submitters, reclassifications, releases) and
the curator's flag endpoints. Lists answer ``{"items": [...], "next": url}`` with ``next`` only when there is more.
Every answer that discloses shared data is audited by the service that reads it (503 when that fails)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from flask import Blueprint, request, send_file

from app.api.auth import audit_refusal, current_caller, requires
from app.api.context import services
from app.api.errors import error_response, json_response
from app.services.curation import CurationError
from app.services.releases import ReleaseError
from app.services.variants import QueryError

bp = Blueprint("variants", __name__, url_prefix="/api")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200  # bounded pages: the store cannot be enumerated in bulk through this API
MAX_INTEGER = 2**63 - 1  # store versions and cursors are BIGINTs: anything larger is a 400, not a driver error


class _BadParameter(Exception):
    pass


def _int_arg(name: str, default: int | None = None, minimum: int = 0, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _BadParameter(f"{name} must be an integer") from None
    maximum = MAX_INTEGER if maximum is None else maximum
    if value < minimum or value > maximum:
        raise _BadParameter(f"{name} must be between {minimum} and {maximum}")
    return value


def _listing(items: list, next_cursor: str | None, cursor_name: str) -> dict:
    body: dict = {"items": items}
    if next_cursor is not None:
        args = {k: v for k, v in request.args.items() if k != cursor_name}
        args[cursor_name] = next_cursor
        body["next"] = f"{services().settings.public_base_url}{request.path}?{urlencode(args)}"
    return body


def _bad_parameters(view):
    @wraps(view)
    def run(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except _BadParameter as exc:
            return error_response(400, str(exc), code="invalid")
    return run


@bp.get("/variants")
@requires("read")
@_bad_parameters
def search_variants():
    """Find variants by key, SPDI, HGVS, clinvar:<id>, rsID or gene symbol (q)."""
    q = request.args.get("q", "").strip()
    if not q:
        return error_response(400, "q is required: a variant key, SPDI, HGVS, clinvar:<id>, rsID or gene symbol")
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    try:
        page = services().variants.search(q, cursor=request.args.get("cursor") or None, limit=limit,
                                          reader=current_caller())
    except QueryError as exc:
        return error_response(400, str(exc), code="invalid")
    return json_response(_listing(page.items, page.next_cursor, "cursor"))


@bp.get("/variants/<variant_id>")
@requires("read")
@_bad_parameters
def variant_detail(variant_id: str):
    """One variant: aggregates (now, or as of a store version), conditions, submissions, case counts."""
    as_of = _int_arg("as_of", None, 0)
    detail = services().variants.detail(variant_id, as_of=as_of, k=services().settings.privacy_k,
                                        reader=current_caller())
    if detail is None:
        return error_response(404, "no variant with this id")
    return json_response(detail)


@bp.get("/variants/<variant_id>/history")
@requires("read")
@_bad_parameters
def variant_history(variant_id: str):
    """The variant's aggregate change events, oldest first."""
    page = services().variants.history(variant_id, after=_int_arg("after", None, 0),
                                       limit=_int_arg("limit", 100, 1, MAX_LIMIT), reader=current_caller())
    return json_response(_listing(page.items, page.next_cursor, "after"))


@bp.get("/changes")
@requires("read")
@_bad_parameters
def change_feed():
    """Every aggregate change after store version ``since`` (a feed for subscribers)."""
    since = _int_arg("since", None, 0)
    if since is None:
        return error_response(400, "since is required: the store version you have seen")
    page = services().variants.changes(since, after=_int_arg("after", None, 0),
                                       limit=_int_arg("limit", 100, 1, MAX_LIMIT), reader=current_caller())
    return json_response(_listing(page.items, page.next_cursor, "after"))


@bp.get("/submitters")
@requires("read")
def list_submitters():
    """Active institutions with their roles and counts."""
    return json_response({"items": services().variants.submitters()})


@bp.get("/reclassifications")
@requires("submit")
@_bad_parameters
def reclassifications():
    """The caller's own cases whose variant's aggregate changed meaningfully since store version ``since``."""
    caller = current_caller()
    tenant = request.args.get("tenant", "me")
    if tenant not in ("me", caller.name, caller.submitter_id):
        audit_refusal(403)
        return error_response(403, "reclassifications are listed for the calling institution only (tenant=me)")
    since = _int_arg("since", 0, 0)
    return json_response({"items": services().reclassifications.since(caller, since)})


def _flag(submission_id: str, flagged: bool):
    limit = services().settings.max_api_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return error_response(413, f"the body is larger than {limit} bytes", code="too-costly")
    request.max_content_length = limit  # also bounds bodies sent without a Content-Length
    body = request.get_json(silent=True) if flagged else {}
    if flagged and not isinstance(body, dict):
        return error_response(400, 'send a JSON object: {"reason": "<reason code>"}')
    try:
        result = services().curation.set_flag(current_caller(), submission_id, flagged=flagged,
                                              reason=(body or {}).get("reason"))
    except CurationError as exc:
        return error_response(exc.status, exc.message)
    return json_response(result.as_dict())


@bp.post("/submissions/<submission_id>/flag")
@requires("flag")
def flag_submission(submission_id: str):
    """Curators: take one submission version out of the aggregates, with a reason code."""
    return _flag(submission_id, True)


@bp.post("/submissions/<submission_id>/unflag")
@requires("flag")
def unflag_submission(submission_id: str):
    """Curators: put a flagged submission version back into the aggregates."""
    return _flag(submission_id, False)


@bp.get("/releases")
@requires("read")
def list_releases():
    """Every release, newest first."""
    return json_response({"items": services().releases.list()})


@bp.get("/releases/<name>")
@requires("read")
def release(name: str):
    """One release: its store version and its files with their SHA-256 checksums."""
    found = services().releases.get(name)
    if found is None:
        return error_response(404, "no release with this name")
    base = services().settings.public_base_url
    for entry in found["files"]:
        entry["url"] = f"{base}/api/releases/{name}/files/{entry['name']}"
    return json_response(found)


@bp.get("/releases/<name>/files/<file_name>")
@requires("read")
def release_file(name: str, file_name: str):
    """A release file, read-only, with its checksum as the ETag."""
    try:
        found = services().releases.file_path(name, file_name)
    except ReleaseError as exc:
        return error_response(exc.status, exc.message)
    if found is None or not found[0].exists():
        return error_response(404, "no such release file")
    path, sha256 = found
    services().releases.record_download(current_caller(), name, file_name, sha256)
    mimetype = "text/tab-separated-values" if path.suffix == ".tsv" else "application/x-ndjson"
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=f"{name}-{file_name}",
                         etag=sha256, conditional=True)
    response.headers["X-Checksum-SHA256"] = sha256
    return response
