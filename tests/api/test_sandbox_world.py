"""Seeding the sandbox's synthetic world into a real store (SQLite and PostgreSQL) through the public ingest path:
store versions, releases, flags, expert-panel resolution, out-of-date patient reports, idempotency."""

from __future__ import annotations

import pytest

from app.domain.aggregation import Aggregate
from app.domain.reclassification import reclassification_of
from app.sandbox.demo_tenants import seed_demo_tenants
from app.sandbox.seeding import SeedingError, seed_world
from app.sandbox.world import Submission, build_world
from app.sandbox.world_patients import OUT_OF_DATE
from app.sandbox.world_scenarios import FLAGGED_KINDS, HOSPITAL
from app.services.overview import store_overview

TERMS = {"P": "Pathogenic", "LP": "Likely pathogenic", "VUS": "Uncertain significance", "LB": "Likely benign",
         "B": "Benign"}


@pytest.fixture
def seeded(app):
    services = app.extensions["varshare"]
    seed_demo_tenants(services.tenants)
    summary = seed_world(app)
    return app, services, summary


def _variant(services, key: str) -> dict:
    items = services.variants.search(key).items
    assert len(items) == 1, key
    return services.variants.detail(items[0]["id"])


def test_seeding_stores_the_world_in_several_versions_with_releases_and_flags(seeded):
    _app, services, summary = seeded
    world = build_world()
    assert summary.reports_stored == sum(isinstance(s, Submission) for s in world.steps)
    assert summary.releases_created == ["sandbox-2023-06", "sandbox-2025-06"]
    overview = store_overview(services.store)
    assert overview.variants >= len(world.variants)  # plus the GRCh37 records
    assert overview.conflicts >= 5
    releases = {r["name"]: r["version"] for r in services.releases.list()}
    assert releases["sandbox-2023-06"] < releases["sandbox-2025-06"] <= overview.version
    assert services.releases.verify("sandbox-2023-06") == []
    flagged = [v for v in world.variants if world.kinds[v.handle] in FLAGGED_KINDS]
    for variant in flagged:
        submitter, reason = FLAGGED_KINDS[world.kinds[variant.handle]]
        rows = [s for s in _variant(services, variant.key)["submissions"] if s["submitter"] == submitter]
        assert rows and all(s["flagged"] and s["flag_reason"] == reason for s in rows)
    grch37 = next(v for v in world.variants if v.handle == "HFE C282Y")
    found = services.variants.search(f"GRCh37:6:{grch37.grch37_position}:G:A").items
    assert found and found[0]["aggregate"]["classification"] == "Pathogenic"


def test_the_expert_panel_resolves_a_conflict_that_the_first_release_still_shows(seeded):
    _app, services, _ = seeded
    world = build_world()
    first_release = services.releases.get("sandbox-2023-06")["version"]
    resolved = [v for v in world.variants if world.kinds[v.handle] == "expert-panel"]
    assert resolved
    for variant in resolved:
        now = _variant(services, variant.key)
        assert now["aggregate"]["review_status"] == "reviewed by expert panel" and now["aggregate"]["stars"] == 3
        assert not now["aggregate"]["conflict"]
        then = services.variants.detail(now["id"], as_of=first_release)
        assert then["aggregate"]["conflict"]
    guideline = _variant(services, world.variant("CYP2C19*2").key)["aggregate"]
    assert guideline["stars"] == 4 and guideline["classification"] == "drug response"


def test_patients_reports_are_out_of_date_where_the_world_says_so(seeded):
    _app, services, _ = seeded
    world = build_world()
    out_of_date = set()
    for patient in world.patients:
        for report in patient.reports:
            for finding in report.findings:
                current = _variant(services, world.variant(finding.handle).key)["aggregate"]
                if reclassification_of(TERMS.get(finding.stated, finding.stated), Aggregate.from_dict(current)):
                    out_of_date.add(patient.id)
    assert out_of_date == set(OUT_OF_DATE) and len(out_of_date) >= 6
    hospital = services.tenants.caller_named(HOSPITAL)
    feed = services.reclassifications.since(hospital, services.releases.get("sandbox-2023-06")["version"])
    flagged_cases = {item["case"] for item in feed if "versus_report" in item}
    hospital_out_of_date = [p for p in world.patients if p.ehr == HOSPITAL and p.id in OUT_OF_DATE]
    assert len(flagged_cases) == len(hospital_out_of_date)
    assert {item["versus_report"]["severity"] for item in feed if "versus_report" in item} >= {"critical",
                                                                                                "warning"}


def test_seeding_twice_changes_nothing(seeded):
    app, services, _ = seeded
    before = store_overview(services.store)
    again = seed_world(app)
    assert not again.changed
    assert again.reports_replayed == sum(isinstance(s, Submission) for s in build_world().steps)
    assert again.releases_skipped == ["sandbox-2023-06", "sandbox-2025-06"]
    assert store_overview(services.store) == before


def test_a_refused_step_stops_seeding_with_a_readable_error(app):
    seed_demo_tenants(app.extensions["varshare"].tenants)
    world = build_world()
    broken = Submission("Demo Lab Alpha", {"resourceType": "Bundle", "type": "collection",
                                           "entry": [{"resource": {"resourceType": "Observation", "id": "x"}}]},
                        "/fhir/Bundle", "broken report")
    with pytest.raises(SeedingError, match="broken report: HTTP 4"):
        seed_world(app, world.__class__(world.institutions, world.variants, world.kinds, world.patients,
                                        (broken,), world.ehr_resources))
