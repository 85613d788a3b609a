"""What the mapper passes on for de-identification: relatives, age in memory, validated genes and text aliases."""

from __future__ import annotations

import copy

from app.ingest.mapper import map_submission
from tests.data.canary.bundles import canary_bundle, elderly_bundle
from tests.unit.ingest.conftest import SYNTHETIC, load


def test_relatives_keep_only_relationship_sex_and_coded_conditions():
    [case] = map_submission(canary_bundle()).cases
    [relative] = case.relatives
    assert (relative.relationship, relative.sex) == ("MTH", "female")
    assert [c.key for c in relative.conditions] == ["SNOMED:254837009"]
    assert set(vars(relative)) == {"relationship", "sex", "conditions"}


def test_age_at_the_report_is_computed_in_memory():
    assert [c.age_years for c in map_submission(canary_bundle()).cases] == [62]
    assert [c.age_years for c in map_submission(elderly_bundle()).cases] == [94]


def test_classification_only_submissions_are_not_about_a_patient():
    assert map_submission(load(SYNTHETIC / "classification-only.json")).about_patient is False
    assert map_submission(load(SYNTHETIC / "grch38-spdi.json")).about_patient is True


def _with_variant_component(component: dict) -> dict:
    bundle = copy.deepcopy(load(SYNTHETIC / "grch38-spdi.json"))
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == "v1":
            entry["resource"]["component"].append(component)
    return bundle


def _aliases(bundle: dict) -> set[tuple[str, str]]:
    report = map_submission(bundle)
    return {(a.kind, a.value) for c in report.cases for f in c.findings for a in f.variant.aliases}


def test_free_text_variant_names_are_kept_only_as_gene_and_protein_change():
    code = {"coding": [{"system": "http://loinc.org", "code": "81252-9"}]}
    kept = _aliases(_with_variant_component({"code": code, "valueCodeableConcept": {"text": "BRCA1 Cys61Gly"}}))
    assert ("text", "BRCA1 Cys61Gly") in kept
    prose = _with_variant_component({"code": code, "valueCodeableConcept": {"text": "variant seen in the mother"}})
    assert not any(kind == "text" for kind, _ in _aliases(prose))
    assert any("free text was not kept" in i.message and i.severity == "information"
               for i in map_submission(prose).issues)


def test_a_gene_that_is_not_an_hgnc_symbol_is_not_kept():
    bundle = copy.deepcopy(load(SYNTHETIC / "grch38-spdi.json"))
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == "v1":
            entry["resource"]["component"][0]["valueCodeableConcept"] = {"text": "gene of Mrs Smith"}
    report = map_submission(bundle)
    assert [f.variant.gene for c in report.cases for f in c.findings] == [None]
