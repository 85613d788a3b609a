"""End to end over real HTTP on SQLite and PostgreSQL: several labs and an expert panel submit through
POST /fhir/Bundle; the read API shows the aggregates, conflicts, change events, as-of answers,
reclassifications, curation flags and releases that follow."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pytest
import requests

from app.services.aggregation import rebuild_aggregates
from tests.api.fhir_client import post
from tests.api.lab_bundles import BRCA1_A, BRCA1_B, BRCA2_A, lab_report

ROLES = {"Lab A": "lab", "Lab B": "lab", "Lab C": "lab", "Lab D": "lab", "Panel": "expert-panel",
         "Curator": "curator", "Reader": "reader"}


@pytest.fixture
def world(live):
    tenants = live.app.extensions["varshare"].tenants
    return {name: tenants.add(name, role)[1] for name, role in ROLES.items()}


def _get(live, path, token, **params):
    return requests.get(live.url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _follow(live, url: str, token) -> requests.Response:
    """GET an absolute link the API gave (built on the configured public base URL) on the live server."""
    parts = urlsplit(url)
    return requests.get(f"{live.url}{parts.path}?{parts.query}", headers={"Authorization": f"Bearer {token}"},
                        timeout=10)


def _submit(live, token, bundle) -> int:
    response = post(live, "/fhir/Bundle", bundle, token)
    assert response.status_code == 201, response.text
    return next(p["valueInteger"] for p in response.json()["parameter"] if p["name"] == "storeVersion")


def _variant(live, token, allele, **params) -> dict:
    [item] = _get(live, "/api/variants", token, q=allele.key).json()["items"]
    return _get(live, f"/api/variants/{item['id']}", token, **params).json()


def test_aggregates_conflicts_history_and_as_of(live, world):
    reader = world["Reader"]
    _submit(live, world["Lab A"], lab_report([(BRCA1_A, "P")], report_id="A1"))
    _submit(live, world["Lab B"], lab_report([(BRCA1_A, "LP")], report_id="B1"))
    agreed = _variant(live, reader, BRCA1_A)["aggregate"]
    assert agreed["classification"] == "Pathogenic/Likely pathogenic"
    assert agreed["review_status"] == "criteria provided, multiple submitters, no conflicts"
    assert (agreed["stars"], agreed["conflict"], agreed["submitter_count"]) == (2, False, 2)

    conflict_version = _submit(live, world["Lab C"], lab_report([(BRCA1_A, "VUS")], report_id="C1"))
    conflicting = _variant(live, reader, BRCA1_A)
    assert conflicting["aggregate"]["classification"] == "Conflicting classifications of pathogenicity"
    assert conflicting["aggregate"]["review_status"] == "criteria provided, conflicting classifications"
    assert conflicting["aggregate"]["stars"] == 1 and conflicting["aggregate"]["conflict"] is True
    assert conflicting["aggregate"]["explanation"] == "Pathogenic(1); Likely pathogenic(1); Uncertain significance(1)"
    [condition] = conflicting["conditions"]
    assert condition["condition"]["code"] == "MONDO:0011450" and condition["aggregate"]["conflict"] is True
    assert {s["submitter"] for s in conflicting["submissions"]} == {"Lab A", "Lab B", "Lab C"}
    assert all(s["review_status"] == "criteria provided, single submitter" for s in conflicting["submissions"])

    _submit(live, world["Panel"], lab_report([(BRCA1_A, "P")], report_id="EP1"))
    decided = _variant(live, reader, BRCA1_A)["aggregate"]
    assert (decided["classification"], decided["review_status"], decided["stars"]) == (
        "Pathogenic", "reviewed by expert panel", 3)

    # As of the conflict version the store still says "conflicting", however often it is asked later.
    past = _variant(live, reader, BRCA1_A, as_of=conflict_version)
    assert past["aggregate"]["classification"] == "Conflicting classifications of pathogenicity"
    assert {s["submitter"] for s in past["submissions"]} == {"Lab A", "Lab B", "Lab C"}
    _submit(live, world["Lab B"], lab_report([(BRCA2_A, "B")], report_id="B2"))
    assert _variant(live, reader, BRCA1_A, as_of=conflict_version) == past

    history = _get(live, f"/api/variants/{past['id']}/history", reader).json()["items"]
    variant_level = [e for e in history if "condition_key" not in e]
    assert [e["new"]["classification"] for e in variant_level] == [
        "Pathogenic", "Pathogenic/Likely pathogenic", "Conflicting classifications of pathogenicity", "Pathogenic"]
    assert variant_level[0]["cause"]["kind"] == "submission"
    feed = _get(live, "/api/changes", reader, since=conflict_version).json()["items"]
    assert {e["variant"] for e in feed} == {past["id"], _variant(live, reader, BRCA2_A)["id"]}
    assert all(e["version"] > conflict_version for e in feed)

    summary = rebuild_aggregates(live.app.extensions["varshare"].store)
    assert summary.changed == 0 and summary.variants == 2  # incremental == full rebuild


def test_curator_flags_take_a_submission_out_and_back(live, world):
    reader = world["Reader"]
    for name, term in (("Lab A", "P"), ("Lab B", "VUS")):
        _submit(live, world[name], lab_report([(BRCA1_A, term)], report_id=f"{name}-1"))
    detail = _variant(live, reader, BRCA1_A)
    assert detail["aggregate"]["conflict"] is True
    outlier = next(s for s in detail["submissions"] if s["submitter"] == "Lab B")
    path = f"/api/submissions/{outlier['id']}/flag"
    headers = {"Authorization": f"Bearer {world['Curator']}"}
    assert requests.post(live.url + path, json={"reason": "outlier-claim"},
                         headers={"Authorization": f"Bearer {world['Lab A']}"}, timeout=10).status_code == 403
    assert requests.post(live.url + path, json={"reason": "because"}, headers=headers, timeout=10).status_code == 400
    flagged = requests.post(live.url + path, json={"reason": "outlier-claim"}, headers=headers, timeout=10)
    assert flagged.status_code == 200 and flagged.json()["flagged"] is True
    assert requests.post(live.url + path, json={"reason": "outlier-claim"}, headers=headers,
                         timeout=10).status_code == 409
    after = _variant(live, reader, BRCA1_A)
    assert after["aggregate"]["classification"] == "Pathogenic" and after["aggregate"]["conflict"] is False
    shown = next(s for s in after["submissions"] if s["submitter"] == "Lab B")
    assert shown["flagged"] is True and shown["flag_reason"] == "outlier-claim" and "Outlier" in shown[
        "flag_reason_label"]
    history = _get(live, f"/api/variants/{after['id']}/history", reader).json()["items"]
    assert history[-1]["cause"] == {"kind": "flag", "ref": outlier["id"]}

    unflagged = requests.post(live.url + f"/api/submissions/{outlier['id']}/unflag", headers=headers, timeout=10)
    assert unflagged.status_code == 200
    assert _variant(live, reader, BRCA1_A)["aggregate"]["conflict"] is True
    # As of the flag's version, the submission shows flagged and the aggregate without it, even after unflagging.
    then = _variant(live, reader, BRCA1_A, as_of=flagged.json()["store_version"])
    assert then["aggregate"]["conflict"] is False
    assert next(s for s in then["submissions"] if s["submitter"] == "Lab B")["flagged"] is True
    before = _variant(live, reader, BRCA1_A, as_of=flagged.json()["store_version"] - 1)
    assert not any(s["flagged"] for s in before["submissions"])
    missing = requests.post(live.url + "/api/submissions/nope/flag", json={"reason": "outlier-claim"},
                            headers=headers, timeout=10)
    assert missing.status_code == 404


def test_reclassifications_reach_only_the_institution_whose_case_it_is(live, world):
    start = _submit(live, world["Lab D"], lab_report([(BRCA1_A, "VUS"), (BRCA1_B, "P")], report_id="D1",
                                                     patient_mrn="MRN-77"))
    _submit(live, world["Lab A"], lab_report([(BRCA1_A, "P")], report_id="A1"))
    _submit(live, world["Panel"], lab_report([(BRCA1_A, "P")], report_id="EP1"))
    items = _get(live, "/api/reclassifications", world["Lab D"], tenant="me", since=start).json()["items"]
    assert len(items) == 1
    [item] = items
    assert item["variant"]["key"] == BRCA1_A.key and item["stated"] == "Uncertain significance"
    assert item["old"]["classification"] == "Uncertain significance"
    assert item["new"]["classification"] == "Pathogenic"
    assert item["versus_report"]["severity"] == "critical" and item["report"]
    assert _get(live, "/api/reclassifications", world["Lab A"], since=start).json()["items"] == []
    assert _get(live, "/api/reclassifications", world["Lab D"], tenant="Lab A").status_code == 403
    assert _get(live, "/api/reclassifications", world["Reader"]).status_code == 403


def test_search_forms_and_paging(live, world):
    reader = world["Reader"]
    _submit(live, world["Lab A"], lab_report([(BRCA1_A, "P"), (BRCA1_B, "LP"), (BRCA2_A, "B")], report_id="A1"))
    by_key = _get(live, "/api/variants", reader, q="GRCh38:17:43057063:G:GG").json()["items"]
    assert [v["key"] for v in by_key] == ["GRCh38:17:43057063:-:G"]
    spdi = by_key[0]["spdi"]
    assert _get(live, "/api/variants", reader, q=spdi).json()["items"][0]["id"] == by_key[0]["id"]
    gene_page = _get(live, "/api/variants", reader, q="brca1", limit=1).json()
    assert len(gene_page["items"]) == 1 and "next" in gene_page
    rest = _follow(live, gene_page["next"], reader).json()
    assert len(rest["items"]) == 1 and "next" not in rest
    assert {gene_page["items"][0]["id"], rest["items"][0]["id"]} == {
        v["id"] for v in _get(live, "/api/variants", reader, q="BRCA1", limit=10).json()["items"]}
    assert _get(live, "/api/variants", reader, q="x" * 300).status_code == 400
    assert _get(live, "/api/variants", reader).status_code == 400
    assert _get(live, "/api/variants", reader, q="BRCA1", limit=10_000).status_code == 400
    assert _get(live, "/api/variants/nope", reader).status_code == 404
    assert _get(live, "/api/variants", None, q="BRCA1").status_code == 401
    submitters = _get(live, "/api/submitters", reader).json()["items"]
    assert next(s for s in submitters if s["name"] == "Lab A")["submissions"] == 3


def test_releases_are_immutable_and_verifiable(live, world):
    app = live.app
    _submit(live, world["Lab A"], lab_report([(BRCA1_A, "P"), (BRCA2_A, "B")], report_id="A1"))
    created = app.extensions["varshare"].releases.create("2026-11")
    reader = world["Reader"]
    release = _get(live, "/api/releases/2026-11", reader).json()
    assert release["version"] == created["version"] and {f["name"] for f in release["files"]} == {
        "variant_summary.tsv", "variants.jsonl"}
    downloads = {}
    for entry in release["files"]:
        response = _follow(live, entry["url"], reader)
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == entry["sha256"] == response.headers["X-Checksum-SHA256"]
        downloads[entry["name"]] = response.content
    tsv = downloads["variant_summary.tsv"].decode().splitlines()
    assert tsv[0].startswith("#VariantID\tKey") and len(tsv) == 1 + 4  # two variants x (variant level + condition)
    assert len(downloads["variants.jsonl"].splitlines()) == 2

    _submit(live, world["Lab B"], lab_report([(BRCA1_A, "VUS")], report_id="B1"))
    again = _follow(live, release["files"][0]["url"], reader)
    assert again.content == downloads[release["files"][0]["name"]]
    assert app.extensions["varshare"].releases.verify("2026-11") == []
    from app.services.releases import ReleaseError

    with pytest.raises(ReleaseError):
        app.extensions["varshare"].releases.create("2026-11")
    assert [r["name"] for r in _get(live, "/api/releases", reader).json()["items"]] == ["2026-11"]
    assert _get(live, "/api/releases/none", reader).status_code == 404


def test_aggregation_rules_are_configurable_and_checked_at_start(migrated_target, tmp_path):
    from app import StartupError, create_app
    from tests.conftest import LiveServer, empty_all_tables, settings_for

    with pytest.raises(StartupError, match="VARSHARE_AGGREGATION_RULES"):
        create_app(settings_for(migrated_target, tmp_path, aggregation_rules='{"wording": "ancient"}'))
    app = create_app(settings_for(migrated_target, tmp_path, aggregation_rules='{"wording": "legacy"}'))
    empty_all_tables(app.extensions["varshare"].store)
    server = LiveServer(app).start()
    try:
        tenants = app.extensions["varshare"].tenants
        reader = tenants.add("Reader", "reader")[1]
        for name, term in (("Lab A", "P"), ("Lab B", "VUS")):
            _submit(server, tenants.add(name, "lab")[1], lab_report([(BRCA1_A, term)], report_id=name))
        aggregate = _variant(server, reader, BRCA1_A)["aggregate"]
        assert aggregate["classification"] == "Conflicting interpretations of pathogenicity"  # pre-2024 wording
    finally:
        server.stop()
        app.extensions["varshare"].store.dispose()


def test_case_counts_follow_the_small_cell_rule(live, world):
    reader = world["Reader"]
    for n in range(6):
        calls = [(BRCA1_A, "P")] + ([(BRCA2_A, "B")] if n < 2 else [])
        _submit(live, world["Lab D"], lab_report(calls, report_id=f"D{n}", patient_mrn=f"MRN-{n}"))
    common = _variant(live, reader, BRCA1_A)["cases"]
    assert common == {"carriers": 6, "zygosity": {"heterozygous": 6}, "k": 5}
    rare = _variant(live, reader, BRCA2_A)["cases"]
    assert rare == {"carriers": "<5", "k": 5}
