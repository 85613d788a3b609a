"""The integrator sandbox's pages: try the hooks (``/sandbox``), submit reports (``/sandbox/submit``), read the
integration guide (``/sandbox/help``), and the small JSON endpoints those pages use.

Registered only in sandbox and test mode. The pages never call varshare in-process: the browser sends the hook
request to the real ``/cds-services/{id}`` with a JWT from ``POST /sandbox/token`` (signed with the demo EHR's
public keys, so it works only in sandbox mode, where that issuer is trusted), and submits reports to the real
``/fhir`` endpoints with a demo lab's public token.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, abort, render_template, request

from app.api.context import services
from app.api.errors import error_response, json_response
from app.sandbox.demo_keys import DEMO_ES384_KID, DEMO_RS384_KID, demo_issuer, sign_demo_jwt
from app.sandbox.demo_tenants import DEMO_TENANTS
from app.sandbox.examples import EXAMPLE_LABS, ExampleError, example_report
from app.sandbox.hook_requests import (
    HOOKS,
    PREFETCH_MODES,
    HookRequestError,
    build_hook_request,
    default_test,
    patient_choices,
    patient_named,
)
from app.sandbox.world import build_world
from app.sandbox.world_patients import TESTS

bp = Blueprint("sandbox_pages", __name__, url_prefix="/sandbox", template_folder="templates")
TOKEN_LIFETIME_S = 300
_CDS_PATH = re.compile(r"^/cds-services(/[A-Za-z0-9._\-]+(/feedback)?)?$")
_KIDS = {"ES384": DEMO_ES384_KID, "RS384": DEMO_RS384_KID}
READER_TOKEN = next(t.token for t in DEMO_TENANTS if t.role == "reader")


def _base_url() -> str:
    return services().settings.public_base_url.rstrip("/")


def _service_for(hook: str) -> dict:
    for service in services().cds.discovery()["services"]:
        if service["hook"] == hook:
            return service
    raise HookRequestError(f"no CDS service answers {hook!r}; hooks: {', '.join(h for h, _ in HOOKS)}")


def _choices() -> dict:
    """What the hooks page was asked to show (query parameters, with defaults)."""
    patients = patient_choices()
    patient_id = request.args.get("patient") or patients[0].id
    patient = patient_named(patient_id)
    hook = request.args.get("hook") or HOOKS[0][0]
    return {"patient": patient.id, "hook": hook, "test": request.args.get("test") or default_test(patient),
            "mode": request.args.get("mode") or PREFETCH_MODES[0][0]}


def _chosen_request() -> tuple[dict, dict, dict]:
    """(the choices in the query string, the service they pick, the request body it would receive)."""
    chosen = _choices()
    service = _service_for(chosen["hook"])
    body = build_hook_request(service, chosen["patient"], public_base_url=_base_url(), test=chosen["test"],
                              mode=chosen["mode"])
    return chosen, service, body


@bp.get("")
def hooks_page():
    """Choose a patient and a hook, edit the request, send it, and see the cards as an EHR shows them."""
    try:
        chosen, service, body = _chosen_request()
    except HookRequestError as exc:
        abort(404, str(exc))
    return render_template("sandbox.html", mode=services().settings.mode, chosen=chosen, service=service,
                           body_json=json.dumps(body, indent=2, ensure_ascii=False), patients=patient_choices(),
                           hooks=HOOKS, modes=PREFETCH_MODES, base_url=_base_url(),
                           tests=[(key, title) for key, (title, _genes) in TESTS.items()])


@bp.get("/hook-request")
def hook_request():
    """The request body the hooks page would send (JSON), and the service it goes to."""
    try:
        _chosen, service, body = _chosen_request()
    except HookRequestError as exc:
        return error_response(400, str(exc))
    return json_response({"service": service["id"], "title": service["title"], "request": body})


@bp.post("/token")
def token():
    """A fresh CDS Hooks client JWT from the demo EHR for ``{"audience": "<public URL of a /cds-services
    endpoint>", "alg": "ES384"|"RS384"}`` (sandbox mode only: its issuer is trusted nowhere else)."""
    if services().settings.mode != "sandbox":
        abort(404)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("audience"), str):
        return error_response(400, 'send {"audience": "<the URL of the CDS endpoint you will call>"}')
    base, audience, alg = _base_url(), body["audience"], body.get("alg", "ES384")
    if not audience.startswith(base) or not _CDS_PATH.match(audience[len(base):]):
        return error_response(400, f"the audience must be a CDS Hooks endpoint under {base}/cds-services")
    if alg not in _KIDS:
        return error_response(400, "alg must be ES384 or RS384")
    jwt = sign_demo_jwt(audience, alg=alg, public_base_url=base, lifetime_s=TOKEN_LIFETIME_S)
    return json_response({"token": jwt, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_S,
                          "issuer": demo_issuer(base), "kid": _KIDS[alg], "audience": audience})


@bp.get("/submit")
def submit_page():
    """Paste or upload a report as a demo lab, and see the receipt, what was stored and what changed."""
    labs = [t for t in DEMO_TENANTS if t.role in ("lab", "expert-panel", "practice-guideline", "ehr")]
    return render_template("submit.html", mode=services().settings.mode, labs=labs, example_labs=EXAMPLE_LABS,
                           reader_token=READER_TOKEN, base_url=_base_url())


@bp.get("/example-bundle")
def example_bundle():
    """A new example report for ``?lab=`` (a demo lab) that changes an aggregate when submitted."""
    try:
        bundle = example_report(request.args.get("lab") or EXAMPLE_LABS[0], services().variants,
                                build_world().variants)
    except ExampleError as exc:
        return error_response(400, str(exc))
    return json_response(bundle, mimetype="application/fhir+json")


@bp.get("/help")
def help_page():
    """The integration guide: endpoints, demo credentials, curl examples, the public CDS Hooks Sandbox."""
    return render_template("help.html", mode=services().settings.mode, base_url=_base_url(), tenants=DEMO_TENANTS,
                           discovery=services().cds.discovery()["services"], issuer=demo_issuer(_base_url()))
