"""Reads and disclosures are audited (hook calls, variant queries, reclassification feed, release files, receipts),
and GET /fhir/AuditEvent shows each tenant the events that concern it, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import orjson
import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.audit.events import SEARCH, AuditEvent, entity, submitter
from app.audit.resources import DCM, EVENT_TYPE, LIFECYCLE, RESTFUL
from app.services.audit import record_alone, verify_chain
from app.store.tables import audit_event_subjects, audit_events, store_versions
from tests.api.cds_harness import CdsWorld
from tests.api.cds_world import WORLD, allele, hook_request
from tests.api.lab_bundles import lab_report

PV = "genomic-variant-review"
ADMIN, CURATOR, READER = "vs_demo_admin_PUBLIC_DEMO_TOKEN", "vs_demo_curator_PUBLIC_DEMO_TOKEN", \
    "vs_demo_reader_PUBLIC_DEMO_TOKEN"
EHR = "vs_demo_ehr_hospital_PUBLIC_DEMO_TOKEN"


@pytest.fixture
def world(migrated_target, tmp_path):
    served = CdsWorld(migrated_target, tmp_path)
    served.tokens = {name: served.services.tenants.rotate_token(name) for name in ("Lab A", "Lab B", "Panel")}
    served.ids = {name: served.services.tenants.caller_named(name).submitter_id
                  for name in ("Lab A", "Lab B", "Lab C", "Panel", "Demo EHR Hospital", "Demo Reader")}
    yield served
    served.stop()


def _get(world, path: str, token: str, **params) -> requests.Response:
    return requests.get(world.server.url + path, params=params, headers={"Authorization": f"Bearer {token}"},
                        timeout=30)


def _events(world) -> list[dict]:
    with world.services.store.reading() as conn:
        return [dict(r) for r in conn.execute(select(audit_events).order_by(audit_events.c.id)).mappings()]


def _variant_id(world, gene: str = "BRCA1") -> str:
    found = _get(world, "/api/variants", READER, q=gene).json()["items"]
    return found[0]["id"]


def test_a_hook_call_is_audited_as_a_query_without_patient_data(world):
    body = hook_request("patient-view", "p-conflict")
    raw = orjson.dumps(body)
    response = world.call(f"/cds-services/{PV}", raw=raw)
    assert response.status_code == 200
    event = _events(world)[-1]
    assert (event["type"], event["subtype"], event["action"], event["outcome"]) == ("rest", "search", "E", "0")
    assert event["agent_submitter_id"] == world.ids["Demo EHR Hospital"]
    hook = next(e for e in event["entities"] if e["type"] == "hook")
    assert hook["id"] == PV and hook["digest"] == hashlib.sha256(raw).hexdigest()
    assert hook["variantsLookedUp"] == 2 and hook["cardsReturned"] == len(response.json()["cards"])
    assert next(e for e in event["entities"] if e["type"] == "client")["id"].endswith("/sandbox")
    assert len([e for e in event["entities"] if e["type"] == "variant"]) == 2
    subjects = {e["id"] for e in event["entities"] if e["type"] == "submitter"}
    assert subjects == {world.ids["Lab A"], world.ids["Lab B"], world.ids["Lab C"]}
    stored = json.dumps(event, default=str)
    assert WORLD["patients"]["p-conflict"]["mrn"] not in stored and "p-conflict" not in stored
    assert not any(e["type"] == "case" for e in event["entities"])
    with world.services.store.reading() as conn:
        rows = conn.execute(select(audit_event_subjects.c.submitter_id)
                            .where(audit_event_subjects.c.event_id == event["id"])).scalars().all()
    assert set(rows) == subjects
    assert verify_chain(world.services.store).intact


def test_variant_reads_are_audited_with_the_institutions_whose_data_they_show(world):
    variant_id = _variant_id(world)
    search = _events(world)[-1]
    assert (search["type"], search["subtype"], search["action"]) == ("rest", "search", "E")
    assert search["agent_submitter_id"] == world.ids["Demo Reader"]
    assert variant_id in {e.get("id") for e in search["entities"] if e["type"] == "variant"}
    assert _get(world, f"/api/variants/{variant_id}", READER).status_code == 200
    detail = _events(world)[-1]
    assert (detail["type"], detail["subtype"], detail["action"]) == ("rest", "read", "R")
    assert [e["id"] for e in detail["entities"] if e["type"] == "variant"] == [variant_id]
    assert {e["id"] for e in detail["entities"] if e["type"] == "submitter"} <= set(world.ids.values())
    assert any(e["type"] == "submitter" for e in detail["entities"])
    assert _get(world, f"/api/variants/{variant_id}/history", READER).status_code == 200
    assert _get(world, "/api/changes", READER, since=0).status_code == 200
    assert [e["subtype"] for e in _events(world)[-2:]] == ["read", "search"]


def test_feed_receipts_and_release_files_are_audited(world):
    services = world.services  # the expert panel calls the EHR patient's variant benign: a reclassification
    with services.store.reading() as conn:
        before = conn.execute(select(func.max(store_versions.c.version))).scalar()
    services.ingest.submit(services.tenants.caller_named("Panel"),
                           lab_report([(allele("J_CFTR_VAULT"), "B")], report_id="panel-j", evaluated="2025-01-01"))
    feed = _get(world, "/api/reclassifications", EHR, since=before)
    assert feed.status_code == 200 and feed.json()["items"]
    event = _events(world)[-1]
    assert (event["type"], event["subtype"], event["action"]) == ("110106", "disclose", "R")
    assert {e["type"] for e in event["entities"]} >= {"case", "report", "variant", "submitter", "query"}

    report = next(e["id"] for ev in _events(world) if ev["type"] == "110107"
                  and ev["agent_submitter_id"] == world.ids["Lab A"] for e in ev["entities"] if e["type"] == "report")
    assert _get(world, f"/api/reports/{report}", world.tokens["Lab A"]).status_code == 200  # its own receipt
    read = _events(world)[-1]
    assert read["subtype"] == "read" and {"type": "report", "id": report} in read["entities"]

    world.services.releases.create("audit-test")
    download = _get(world, "/api/releases/audit-test/files/variants.jsonl", READER)
    assert download.status_code == 200
    export = _events(world)[-1]
    assert (export["type"], export["agent_submitter_id"]) == ("110106", world.ids["Demo Reader"])
    assert {"type": "submitter", "id": "*"} in export["entities"]
    assert {"type": "release", "id": "audit-test"} in export["entities"]


def test_a_read_that_cannot_be_audited_fails_closed(world, monkeypatch):
    variant_id = _variant_id(world)

    def refuse(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr("app.store.audit.insert_event", refuse)
    response = _get(world, f"/api/variants/{variant_id}", READER)
    assert response.status_code == 503 and "aggregate" not in response.text
    assert response.headers["Retry-After"]
    hook = world.hook(PV, hook_request("patient-view", "p-conflict"))
    assert hook.status_code == 503 and "cards" not in hook.text


def _search(world, token: str, **params) -> dict:
    response = _get(world, "/fhir/AuditEvent", token, **params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    return bundle


def test_audit_events_are_fhir_resources_and_admins_and_curators_see_all(world):
    world.hook(PV, hook_request("patient-view", "p-conflict"))
    everything = len(_events(world))
    for token in (ADMIN, CURATOR):
        bundle = _search(world, token, _count=200)
        assert bundle["total"] == everything  # searching the audit log is not itself a disclosure of shared data
    bundle = _search(world, ADMIN, type="rest", _count=200)
    hook = next(entry["resource"] for entry in bundle["entry"]
                if any(e.get("name") == "hook" for e in entry["resource"].get("entity", [])))
    assert hook["resourceType"] == "AuditEvent" and hook["action"] == "E" and hook["outcome"] == "0"
    assert hook["type"] == {"system": EVENT_TYPE, "code": "rest", "display": "RESTful Operation"}
    assert hook["subtype"] == [{"system": RESTFUL, "code": "search", "display": "search"}]
    assert hook["agent"][0]["requestor"] is True and hook["agent"][0]["who"]["display"] == "Demo EHR Hospital"
    assert hook["source"]["observer"]["display"] == "varshare"
    assert dt.datetime.fromisoformat(hook["recorded"]).tzinfo is not None
    details = {d["type"] for e in hook["entity"] for d in e.get("detail", [])}
    assert {"digest", "variantsLookedUp", "cardsReturned"} <= details
    imports = _search(world, ADMIN, type="110107", _count=1)
    assert imports["entry"][0]["resource"]["type"]["system"] == DCM
    assert imports["entry"][0]["resource"]["subtype"][0]["system"] == LIFECYCLE


def test_each_tenant_sees_what_concerns_it_and_nothing_identifying(world):
    world.hook(PV, hook_request("patient-view", "p-conflict"))
    lab_a = _search(world, world.tokens["Lab A"], _count=200)
    hooks = [entry["resource"] for entry in lab_a["entry"]
             if any(e.get("name") == "hook" for e in entry["resource"].get("entity", []))]
    assert len(hooks) == 1, "Lab A's classifications were disclosed by the hook call"
    shown = hooks[0]["entity"]
    assert {e["name"] for e in shown} == {"hook", "submitter"}  # no variants, cases, other labs or the client
    assert [e["what"]["identifier"]["value"] for e in shown if e["name"] == "submitter"] == [world.ids["Lab A"]]
    assert hooks[0]["agent"][0]["who"]["display"] == "Demo EHR Hospital"
    for entry in lab_a["entry"]:  # Lab B's own submissions are not Lab A's business
        assert entry["resource"]["agent"][0].get("who", {}).get("display") != "Lab B"
    panel = _search(world, world.tokens["Panel"], _count=200)
    assert not any(any(e.get("name") == "hook" for e in entry["resource"].get("entity", []))
                   for entry in panel["entry"]), "the panel's data was not part of that hook call"
    ehr = _search(world, EHR, _count=200)
    own_hook = next(entry["resource"] for entry in ehr["entry"]
                    if any(e.get("name") == "hook" for e in entry["resource"].get("entity", [])))
    assert any(e["name"] == "variant" for e in own_hook["entity"]), "the caller sees its own event in full"


def test_search_parameters_and_paging(world):
    world.hook(PV, hook_request("patient-view", "p-conflict"))
    variant_id = _variant_id(world)
    total = _search(world, ADMIN)["total"]
    assert total == len(_events(world))
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert _search(world, ADMIN, date=f"ge{today}")["total"] >= total
    assert _search(world, ADMIN, date="lt2000")["total"] == 0
    assert _search(world, ADMIN, date=["ge2000-01", "le2999"])["total"] >= total
    by_reader = _search(world, ADMIN, agent="Demo Reader")
    assert by_reader["total"] >= 1
    assert all(e["resource"]["agent"][0]["who"]["display"] == "Demo Reader" for e in by_reader["entry"])
    assert _search(world, ADMIN, agent=world.ids["Demo Reader"])["total"] == by_reader["total"]
    about = _search(world, ADMIN, entity=variant_id, _count=200)
    assert about["total"] >= 1 and all(
        any(e.get("what", {}).get("identifier", {}).get("value") == variant_id for e in entry["resource"]["entity"])
        for entry in about["entry"])
    seen, pages = [], 0
    first = _search(world, ADMIN, _count=3)
    assert first["total"] >= 6 and len(first["entry"]) == 3
    url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    seen += [e["resource"]["id"] for e in first["entry"]]
    while url and pages < 50:
        page = requests.get(world.server.url + url.split("cds.example.org", 1)[1],
                            headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30).json()
        seen += [e["resource"]["id"] for e in page["entry"]]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
        pages += 1
    assert len(seen) == len(set(seen)) and len(seen) >= first["total"]
    one = seen[0]
    assert _get(world, f"/fhir/AuditEvent/{one}", ADMIN).json()["id"] == one
    assert _get(world, "/fhir/AuditEvent/999999999", ADMIN).status_code == 404


@pytest.mark.parametrize("params", [{"_count": "500"}, {"_count": "x"}, {"date": "yesterday"},
                                    {"patient": "x"}, {"_id": "abc"}])
def test_bad_search_parameters_are_refused(world, params):
    response = _get(world, "/fhir/AuditEvent", ADMIN, **params)
    assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"


def test_audit_search_needs_a_tenant(world):
    response = requests.get(world.server.url + "/fhir/AuditEvent", timeout=10)
    assert response.status_code == 401 and response.json()["resourceType"] == "OperationOutcome"


def test_audit_events_and_the_capability_statement_are_valid_r4(world):
    from fhir.resources.R4B.auditevent import AuditEvent
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    world.hook(PV, hook_request("patient-view", "p-conflict"))
    _variant_id(world)
    for token in (ADMIN, world.tokens["Lab A"]):
        bundle = _search(world, token, _count=200)
        Bundle.model_validate(bundle)
        for entry in bundle["entry"]:
            AuditEvent.model_validate(entry["resource"])
    statement = requests.get(world.server.url + "/fhir/metadata", timeout=10).json()
    CapabilityStatement.model_validate(statement)
    audit = next(r for r in statement["rest"][0]["resource"] if r["type"] == "AuditEvent")
    assert {p["name"] for p in audit["searchParam"]} >= {"date", "type", "agent", "entity"}


def _walk(world, token: str, count: int) -> tuple[list[int], list[dict]]:
    """Every event id a search shows by following its next links, and the pages."""
    seen, pages, url = [], [], f"/fhir/AuditEvent?_count={count}"
    while url and len(pages) < 100:
        page = _get(world, url.split("cds.example.org", 1)[-1], token).json()
        pages.append(page)
        seen += [int(e["resource"]["id"]) for e in page["entry"]]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    assert url is None, "the next links never ended"
    return seen, pages


def test_a_log_larger_than_the_search_window_is_paged_without_a_total(migrated_target, tmp_path):
    """Over HTTP: with more events than one request examines (VARSHARE_AUDIT_SEARCH_WINDOW), an admin's search
    leaves out the total and its next links show every event exactly once, newest first; a lab's search counts its
    window in the events that can concern it (the audit subject index), so it gets them all, and their total, at
    once, although they are spread over more events than the window."""
    served = CdsWorld(migrated_target, tmp_path, seed=False, audit_search_window=100)
    try:
        served.services.tenants.add("Lab A", "lab")
        lab_token = served.services.tenants.rotate_token("Lab A")
        lab = served.services.tenants.caller_named("Lab A").submitter_id
        for number in range(250):  # a hook call every time; one in seven showed Lab A's submissions
            subjects = [submitter(lab)] if number % 7 == 0 else [submitter("another-lab")]
            record_alone(served.services.store, AuditEvent.of(SEARCH, "E", submitter_id="ehr", client="EHR",
                                                               entities=[entity("hook", PV), *subjects]))
        with served.services.store.reading() as conn:
            concerning = set(conn.execute(select(audit_event_subjects.c.event_id).where(
                audit_event_subjects.c.submitter_id.in_([lab, "*"]))).scalars())
        everything = [e["id"] for e in _events(served)]
        caused = {e["id"] for e in _events(served) if e["agent_submitter_id"] == lab}
        assert len(everything) > 250

        seen, pages = _walk(served, ADMIN, 40)
        assert seen == sorted(everything, reverse=True)
        assert "total" not in pages[0] and len(pages[0]["entry"]) == 40

        visible = sorted(concerning | caused, reverse=True)
        served.services.store.index_audit()  # as after the answers; searches walk what is not indexed yet by id
        seen, pages = _walk(served, lab_token, 20)
        assert seen == visible and len(seen) >= 36
        assert pages[0]["total"] == len(visible), "its events are found through the index: one window holds them"
        assert all(len(page["entry"]) == 20 for page in pages[:-1])
        assert _search(served, ADMIN, _id=str(everything[0]))["total"] == 1
    finally:
        served.stop()
