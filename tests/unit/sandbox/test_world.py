"""The sandbox's synthetic world: deterministic, big enough, and telling every story it claims to tell.

The final aggregates are computed here with the domain's own aggregation over the planned submissions (no app,
no database); tests/api/test_sandbox_world.py checks the same against a seeded store.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import orjson
import pytest

from app.domain.aggregation import Aggregate, SubmissionFacts, aggregate_submissions
from app.domain.reclassification import conflict_class, conflict_sides, reclassification_of
from app.ingest.mapper import map_submission
from app.sandbox.world import Flag, Release, Submission, World, build_world
from app.sandbox.world_catalog import build_catalog
from app.sandbox.world_patients import DUPLICATE_ORDERS, OUT_OF_DATE, TESTS
from app.sandbox.world_scenarios import FLAGGED_KINDS, KINDS, events_of

TERMS = {"P": "Pathogenic", "LP": "Likely pathogenic", "VUS": "Uncertain significance", "LB": "Likely benign",
         "B": "Benign"}
YEARS = {1: 2020, 2: 2022, 3: 2024}


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


def _aggregate(world: World, handle: str, up_to_era: int = 3) -> Aggregate | None:
    """What ClinVar's rules make of the planned submissions of one variant after ``up_to_era`` (flags included)."""
    roles = dict(world.institutions)
    kind = world.kinds[handle]
    latest = {}
    for event in events_of(kind):
        if event.era <= up_to_era:
            latest[event.institution] = event  # a newer evaluation supersedes the institution's older one
    flagged = FLAGGED_KINDS.get(kind, (None, None))[0] if up_to_era >= 2 else None
    facts = [SubmissionFacts(submitter_id=name, role=roles[name], term=TERMS.get(e.term, e.term),
                             criteria_provided=e.criteria, condition_key="c",
                             date_last_evaluated=dt.date(YEARS[e.era], 6, 1), flagged=name == flagged)
             for name, e in latest.items()]
    return aggregate_submissions(facts)


def test_the_world_is_deterministic():
    assert build_catalog() == build_catalog()
    first, second = build_world.__wrapped__(), build_world.__wrapped__()
    assert orjson.dumps([s.__dict__ for s in first.steps if isinstance(s, Submission)]) == \
        orjson.dumps([s.__dict__ for s in second.steps if isinstance(s, Submission)])
    assert first.ehr_resources == second.ehr_resources


def test_the_world_has_the_institutions_variants_and_patients_it_promises(world):
    roles = Counter(role for _, role in world.institutions)
    assert roles == {"lab": 4, "expert-panel": 1, "practice-guideline": 1, "ehr": 2}
    assert len(world.variants) >= 60
    genes = {v.gene for v in world.variants}
    assert len(genes) >= 15
    assert {"BRCA1", "BRCA2", "CFTR", "MLH1", "MSH2", "TP53", "LDLR", "MYH7", "KCNQ1", "HFE", "SCN5A",
            "CYP2C19"} <= genes
    assert len(world.patients) >= 12
    assert {p.ehr for p in world.patients} == {name for name, role in world.institutions if role == "ehr"}
    assert len({v.handle for v in world.variants}) == len(world.variants)
    assert len({v.key for v in world.variants}) == len(world.variants)
    assert len({(v.gene, v.hgvs_c) for v in world.variants}) == len(world.variants)
    assert any(not v.synthetic for v in world.variants) and any(v.synthetic for v in world.variants)
    assert sum(1 for v in world.variants if v.grch37_position) >= 3
    assert set(world.kinds.values()) == set(KINDS)  # every scenario kind is used


def test_every_kind_of_conflict_and_review_tier_is_in_the_final_aggregates(world):
    finals = {v.handle: _aggregate(world, v.handle) for v in world.variants}
    conflicts = [a for a in finals.values() if a.conflict]
    assert any(conflict_class(a) == "MSD" and conflict_sides(a) == {"P", "V"} for a in conflicts)
    assert any(conflict_class(a) == "MSD" and conflict_sides(a) == {"P", "B"} for a in conflicts)
    assert any(conflict_class(a) == "non-MSD" and conflict_sides(a) == {"V", "B"} for a in conflicts)
    stars = Counter(a.stars for a in finals.values())
    assert all(stars[n] for n in (0, 1, 2, 3, 4))
    assert any("; risk factor" in a.classification for a in finals.values())
    # the expert panel resolves a conflict that stood before it spoke
    resolved = [h for h, k in world.kinds.items() if k == "expert-panel"]
    assert resolved and all(_aggregate(world, h, 2).conflict and not finals[h].conflict and finals[h].stars == 3
                            for h in resolved)
    # flags take outliers out: conflicting before the flag, not after
    for handle, kind in world.kinds.items():
        if kind in FLAGGED_KINDS:
            assert not finals[handle].conflict


def test_reclassifications_over_time_change_what_patients_were_told(world):
    out_of_date = {}
    for patient in world.patients:
        for report in patient.reports:
            for finding in report.findings:
                assert _aggregate(world, finding.handle, 1) is not None  # classified when the report was issued
                change = reclassification_of(TERMS.get(finding.stated, finding.stated),
                                             _aggregate(world, finding.handle))
                if change is not None:
                    out_of_date[patient.id] = change
    assert set(out_of_date) == set(OUT_OF_DATE)
    assert len(out_of_date) >= 6
    assert {c.severity for c in out_of_date.values()} == {"critical", "warning", "info"}
    assert {"upgrade-to-pathogenic", "downgrade-from-pathogenic", "to-benign", "upgrade-to-uncertain",
            "into-conflict"} <= {c.direction for c in out_of_date.values()}


def test_duplicate_orders_cover_genes_of_earlier_results(world):
    by_id = {p.id: p for p in world.patients}
    for patient_id, test in DUPLICATE_ORDERS.items():
        patient = by_id[patient_id]
        assert any(o.test == test and o.status == "draft" for o in patient.orders)
        found = {world.variant(f.handle).gene for r in patient.reports for f in r.findings}
        assert found & set(TESTS[test][1])
    fresh = [p for p in world.patients if p.id not in DUPLICATE_ORDERS and any(o.status == "draft" for o in p.orders)]
    assert fresh, "a draft order of new genes (no duplicate) is there too"


def test_steps_replay_eras_flags_and_releases_in_order(world):
    kinds = [type(step).__name__ for step in world.steps]
    releases = [s.name for s in world.steps if isinstance(s, Release)]
    assert releases == ["sandbox-2023-06", "sandbox-2025-06"] and kinds[-1] == "Release"
    first_flag = kinds.index("Flag")
    assert first_flag < kinds.index("Release") < len(kinds) - 1
    assert sum(isinstance(s, Flag) for s in world.steps) == sum(k in FLAGGED_KINDS for k in world.kinds.values())
    ehr = {name for name, role in world.institutions if role == "ehr"}
    patient_steps = [i for i, s in enumerate(world.steps) if isinstance(s, Submission) and s.tenant in ehr]
    assert len(patient_steps) == sum(len(p.reports) for p in world.patients)
    assert max(patient_steps) < first_flag  # the reports predate the reclassifications


def test_every_submission_maps_cleanly_through_the_real_ingest_mapper(world):
    for step in world.steps:
        if not isinstance(step, Submission):
            continue
        mapped = map_submission(step.bundle)
        assert mapped.errors == [], (step.label, mapped.errors)
        assert mapped.classifications, step.label
        if step.tenant.startswith("Demo EHR"):
            assert len(mapped.cases) == 1 and all(f.stated_term for f in mapped.cases[0].findings)
            assert not any(c.criteria_provided for c in mapped.classifications)  # the EHR restates, at tier 0
        else:
            assert not mapped.cases


def test_ehr_resources_reference_each_other_and_have_unique_ids(world):
    resources = world.ehr_resources
    ids = {(kind, r["id"]) for kind, items in resources.items() for r in items}
    assert len(ids) == sum(len(items) for items in resources.values())
    assert len(resources["Patient"]) == len(world.patients)
    for kind, items in resources.items():
        for resource in items:
            assert resource["resourceType"] == kind
            refs = [resource.get("subject", {}).get("reference")]
            refs += [r["reference"] for r in resource.get("derivedFrom", []) + resource.get("result", [])]
            for ref in filter(None, refs):
                target_type, target_id = ref.split("/")
                assert (target_type, target_id) in ids, ref
