"""The ingest service against real databases: transcript-only variants merging into genomic ones (and what a CDS
hook reads of them: one query for keys, aggregates and submissions, one more for merged variants), case linkage
per institution, and concurrent submitters."""

from __future__ import annotations

import copy
import threading

import pytest
from sqlalchemy import select

from app.config import load_settings
from app.services.ingest import Ingest
from app.services.tenants import Tenants
from app.store import counters, hook_reads
from app.store.aggregates import load_aggregates, load_current_submissions
from app.store.tables import case_facts, cases, submissions, variants
from tests.api.fhir_client import fixture
from tests.api.lab_bundles import BRCA1_A, lab_report

NMNAT1 = "NM_022787.3:c.769G>A"


@pytest.fixture
def services(store, migrated_target, tmp_path):
    settings = load_settings({"mode": "test", "data_dir": str(tmp_path), "database_url": migrated_target.database_url,
                              "linkage_database_url": migrated_target.linkage_database_url}, environ={})
    tenants = Tenants(store, settings)
    return tenants, Ingest(store, tenants, settings)


def _caller(tenants, name, role="lab"):
    tenants.add(name, role)
    return next(c for c in [tenants.authenticate(tenants.rotate_token(name))] if c)


def _genomic_with_transcript_alias() -> dict:
    """The BRCA1 SPDI fixture re-labelled so that its variant also carries NMNAT1's c.HGVS (synthetic)."""
    bundle = copy.deepcopy(fixture("synthetic/grch38-spdi.json"))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Observation" and resource["code"]["coding"][0]["code"] == "69548-6":
            resource["component"].append({
                "code": {"coding": [{"system": "http://loinc.org", "code": "48004-6"}]},
                "valueCodeableConcept": {"coding": [{"system": "http://varnomen.hgvs.org", "code": NMNAT1}]}})
    return bundle


def test_a_transcript_only_variant_merges_into_its_genomic_form(services, store):
    tenants, ingest = services
    lab_a, lab_b = _caller(tenants, "Lab A"), _caller(tenants, "Lab B")
    transcript_only = ingest.submit(lab_a, fixture("genomics-reporting/Bundle-bundle-compound-heterozygote.json"))
    keys = {v["key"] for v in transcript_only.receipt["variants"]}
    assert f"hgvs:{NMNAT1}" in keys

    genomic = ingest.submit(lab_b, _genomic_with_transcript_alias())
    [stored] = genomic.receipt["variants"]
    assert stored["key"].startswith("GRCh38:17:")
    assert genomic.receipt["merged"] == [{"from": _variant_id(store, f"hgvs:{NMNAT1}"), "into": stored["id"]}]
    with store.reading() as conn:
        merged_into = conn.execute(select(variants.c.merged_into).where(variants.c.key == f"hgvs:{NMNAT1}")).scalar()
        moved = conn.execute(select(case_facts.c.variant_id).where(case_facts.c.variant_id == stored["id"])).all()
    assert merged_into == stored["id"]
    assert len(moved) == 2  # lab A's finding moved over, plus lab B's own

    # A later transcript-only report of the same expression resolves straight to the genomic record.
    again = ingest.submit(lab_a, fixture("genomics-reporting/Bundle-bundle-complexVariant-nonHGVS.json"))
    assert stored["id"] in {v["id"] for v in again.receipt["variants"]}


UNKNOWN = "GRCh38:1:12345:A:C"


def _merged_world(services):
    tenants, ingest = services
    lab_a, lab_b = _caller(tenants, "Lab A"), _caller(tenants, "Lab B")
    ingest.submit(lab_a, fixture("genomics-reporting/Bundle-bundle-compound-heterozygote.json"))
    [stored] = ingest.submit(lab_b, _genomic_with_transcript_alias()).receipt["variants"]
    return {lab_a.submitter_id: "Lab A", lab_b.submitter_id: "Lab B"}, stored


def test_a_merged_key_reads_its_targets_facts(services, store):
    labs, stored = _merged_world(services)
    with store.reading() as conn:
        ids, aggregates, rows, names = hook_reads.variants_with_facts(conn, [f"hgvs:{NMNAT1}", UNKNOWN])
    assert ids == {f"hgvs:{NMNAT1}": stored["id"]}  # the unknown key is simply absent
    assert set(aggregates) == {stored["id"]}
    assert {r.variant_id for r in rows} == {stored["id"]}
    assert {r.submitter_id for r in rows if r.classification_type == "germline"} <= set(labs)
    assert names == {r.submitter_id: labs[r.submitter_id] for r in rows}


def test_both_keys_of_a_merge_give_one_set_of_facts(services, store):
    _, stored = _merged_world(services)
    with store.reading() as conn:
        alone = hook_reads.variants_with_facts(conn, [stored["key"]])
        both = hook_reads.variants_with_facts(conn, [stored["key"], f"hgvs:{NMNAT1}"])
    assert both[0] == {stored["key"]: stored["id"], f"hgvs:{NMNAT1}": stored["id"]}
    assert both[1] == alone[1]
    assert sorted(both[2]) == sorted(alone[2])  # the target's submissions once, not once per key
    assert alone[2], "the genomic record has current submissions"


def test_the_aggregate_matches_the_general_lookup(services, store):
    _, stored = _merged_world(services)
    with store.reading() as conn:
        _, aggregates, rows, _ = hook_reads.variants_with_facts(conn, [stored["key"]])
        general = load_aggregates(conn, [stored["id"]])
        current = load_current_submissions(conn, [stored["id"]])
    assert aggregates[stored["id"]] == general[(stored["id"], "", "germline")]
    assert sorted(rows) == sorted(current)


def _variant_id(store, key: str) -> str:
    with store.reading() as conn:
        return conn.execute(select(variants.c.id).where(variants.c.key == key)).scalar()


def test_same_patient_links_within_an_institution_and_never_across(services, store):
    tenants, ingest = services
    lab_a, lab_b = _caller(tenants, "Lab A"), _caller(tenants, "Lab B")
    first = fixture("synthetic/grch38-spdi.json")
    second = fixture("synthetic/report-original.json")  # the same synthetic patient (MRN-0001), another report
    ingest.submit(lab_a, first)
    ingest.submit(lab_a, second)
    ingest.submit(lab_b, first)
    with store.reading() as conn:
        per_submitter = conn.execute(select(cases.c.submitter_id, cases.c.id)).all()
    by_lab: dict[str, set[str]] = {}
    for submitter, case_id in per_submitter:
        by_lab.setdefault(submitter, set()).add(case_id)
    assert sorted(len(ids) for ids in by_lab.values()) == [1, 1]  # one case per institution
    assert len({c for ids in by_lab.values() for c in ids}) == 2  # and the two are unlinked


def test_concurrent_submitters_all_land(services, store):
    tenants, ingest = services
    callers = [_caller(tenants, f"Lab {i}") for i in range(4)]
    bundle = fixture("synthetic/every-term.json")
    errors: list[BaseException] = []

    def submit(caller) -> None:
        try:
            ingest.submit(caller, bundle)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(c,)) for c in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.reading() as conn:
        current = conn.execute(select(submissions.c.submitter_id).where(submissions.c.superseded_version.is_(None)))
        per_lab = {}
        for (submitter,) in current:
            per_lab[submitter] = per_lab.get(submitter, 0) + 1
    assert len(per_lab) == 4 and len(set(per_lab.values())) == 1


def test_the_same_bundle_sent_twice_at_once_is_stored_once(services, store):
    tenants, ingest = services
    lab = _caller(tenants, "Lab A")
    bundle = fixture("synthetic/every-term.json")
    results, errors = [], []

    def submit() -> None:
        try:
            results.append(ingest.submit(lab, bundle))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.receipt["report"] for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False, True, True]


def _with_hgvs(bundle: dict, transcript_only: bool) -> dict:
    """``bundle`` (one variant) with NMNAT1's c.HGVS on its variant; ``transcript_only`` drops its coordinates."""
    variant = next(e["resource"] for e in bundle["entry"] if e["resource"].get("code", {}).get("coding", [{}])[0]
                   .get("code") == "69548-6")
    if transcript_only:
        variant["component"] = [c for c in variant["component"] if c["code"]["coding"][0]["code"] == "48018-6"]
    variant["component"].append({"code": {"coding": [{"system": "http://loinc.org", "code": "48004-6"}]},
                                 "valueCodeableConcept": {"coding": [{"system": "http://varnomen.hgvs.org",
                                                                      "code": NMNAT1}]}})
    return bundle


def test_a_merge_that_supersedes_the_same_labs_submission_keeps_the_counts(services, store):
    """When one lab classified both the genomic record and a transcript-only record of it (same condition), the
    merge that links them supersedes the transcript-only one (the genomic one stands), and the kept count of current
    submissions goes down with it."""
    tenants, ingest = services
    lab_a, lab_b = _caller(tenants, "Lab A"), _caller(tenants, "Lab B")
    ingest.submit(lab_a, lab_report([(BRCA1_A, "P")], report_id="g-1"))
    first = ingest.submit(lab_a, _with_hgvs(lab_report([(BRCA1_A, "VUS")], report_id="t-1"), transcript_only=True))
    [transcript] = first.receipt["variants"]
    assert transcript["key"] == f"hgvs:{NMNAT1}"
    merged = ingest.submit(lab_b, _with_hgvs(lab_report([(BRCA1_A, "LP")], report_id="g-2"), transcript_only=False))
    assert merged.receipt["merged"] == [{"from": transcript["id"], "into": _variant_id(store, BRCA1_A.key)}]
    with store.reading() as conn:
        current = conn.execute(select(submissions.c.submitter_id, submissions.c.term).where(
            submissions.c.superseded_version.is_(None))).all()
        kept, counted = counters.kept(conn), counters.recount(conn)
    assert sorted(current) == sorted([(lab_a.submitter_id, "Pathogenic"), (lab_b.submitter_id, "Likely pathogenic")])
    assert kept == counted and kept[counters.CURRENT_SUBMISSIONS] == 2

