"""Conformance with the Genomics Reporting profiles in fhir_profiles/: the rules come from the IG's own
StructureDefinitions, deviations are reported (warning or information) and never decide acceptance."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from app.config import DEFAULT_FHIR_PROFILES_DIR, ConfigError, load_settings
from app.ingest import map_submission
from app.ingest.profiles import PER_RULE, ProfilesError, load_profiles
from app.services.ingest import profiles_of
from tests.unit.ingest.conftest import OFFICIAL, load

PROFILES_DIR = Path(__file__).resolve().parents[3] / "fhir_profiles"
VARIANT = load(OFFICIAL / "Observation-NTHL1-snv-var.json")
IMPLICATION = load(OFFICIAL / "Observation-NTHL1-snv-disease.json")
LOINC = "http://loinc.org"


@pytest.fixture(scope="module")
def profiles():
    return load_profiles(PROFILES_DIR)


def _component(code: str, **value) -> dict:
    return {"code": {"coding": [{"system": LOINC, "code": code}]}, **value}


def _concept(system: str | None, code: str | None = None, text: str | None = None) -> dict:
    concept: dict = {}
    if system is not None:
        concept["coding"] = [{"system": system, "code": code}]
    if text is not None:
        concept["text"] = text
    return concept


def _variant(*extra: dict, drop: tuple[int, ...] = ()) -> dict:
    variant = copy.deepcopy(VARIANT)
    variant["component"] = [c for i, c in enumerate(variant["component"]) if i not in drop] + list(extra)
    return variant


def _notes(profiles, resource: dict) -> list[tuple[str, str, str]]:
    return [(i.severity, i.code, i.location) for i in profiles.check([(resource, "Observation")])]


def test_the_directory_is_the_published_package_verbatim_plus_loinc_answer_lists():
    """Every IG file is byte for byte what hl7.fhir.uv.genomics-reporting 3.0.0 publishes (checksums recorded
    when it was copied), so the checks run on the IG's rules, not on a paraphrase."""
    manifest = (PROFILES_DIR / "genomics-reporting.sha256").read_text().split("\n")
    expected = dict(reversed(line.split("  ", 1)) for line in manifest if line)
    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in (PROFILES_DIR / "genomics-reporting").glob("*.json")}
    assert on_disk == expected and len(expected) >= 20
    package = json.loads((PROFILES_DIR / "genomics-reporting" / "package.json").read_text())
    assert (package["name"], package["version"], package["license"]) == (
        "hl7.fhir.uv.genomics-reporting", "3.0.0", "CC0-1.0")
    assert (PROFILES_DIR / "README.md").is_file()
    assert DEFAULT_FHIR_PROFILES_DIR == PROFILES_DIR


def test_rules_are_compiled_from_the_snapshots(profiles):
    assert {"variant", "diagnostic-implication", "therapeutic-implication", "molecular-consequence", "genotype",
            "haplotype", "sequence-phase-relationship", "genomic-report"} <= set(profiles.profiles)
    assert not {"genomic-base", "finding", "implication"} & set(profiles.profiles)  # abstract: no fixed code
    variant = profiles.profiles["variant"]
    assert variant.codes == {(LOINC, "69548-6")}
    allelic = variant.components[(LOINC, "53034-5")]
    assert (allelic.name, allelic.max, allelic.value_keys, allelic.value_required) == (
        "allelic-state", 1, ("valueCodeableConcept",), True)
    assert (allelic.binding.strength, allelic.binding.value_set.url) == ("extensible", "http://loinc.org/vs/LL381-5")
    assert (LOINC, "LA6706-1") in allelic.binding.value_set.codes
    hgvs = variant.components[(LOINC, "48004-6")].binding
    assert hgvs.strength == "required" and hgvs.value_set.admits(("http://varnomen.hgvs.org", "anything"))
    assert variant.components[(LOINC, "81254-5")].value_keys == ("valueRange",)
    assert variant.components[(LOINC, "82155-3")].value_keys == ("valueQuantity", "valueRange")
    assert variant.components[(LOINC, "48000-4")].binding is None  # LL2938-0 is not on disk: not checked
    confidence = next(c for c in variant.components.values() if c.name == "variant-confidence-status")
    assert confidence.binding.value_set.codes == {
        ("http://terminology.hl7.org/CodeSystem/variant-confidence-status-cs", code)
        for code in ("high", "intermediate", "low")}  # the CodeSystem's concepts, from its own file
    assert {(c.name, c.coding[1], c.min) for c in variant.categories} == {("labCategory", "laboratory", 1),
                                                                          ("geCategory", "GE", 1)}
    assert profiles.profiles["diagnostic-implication"].no_value and not variant.no_value
    assert "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant" in profiles.urls


def test_conformant_resources_have_no_notes(profiles):
    assert _notes(profiles, VARIANT) == []
    assert _notes(profiles, IMPLICATION) == []
    assert profiles.profile_of({"resourceType": "Patient"}) is None
    assert profiles.profile_of({"resourceType": "Observation", "code": {"text": "no coding"}}) is None


@pytest.mark.parametrize(("component", "expected"), [
    # extensible binding, another LOINC answer: information
    (_component("53034-5", valueCodeableConcept=_concept(LOINC, "LA6668-3")),
     ("information", "code-invalid", "Observation.component[7].valueCodeableConcept")),
    # extensible binding, text only: allowed when no code fits
    (_component("53034-5", valueCodeableConcept=_concept(None, text="compound heterozygous")), None),
    # required binding (HGVS), another system: warning
    (_component("81290-9", valueCodeableConcept=_concept("http://example.org/hgvs", "NC_000016.10:g.1C>T")),
     ("warning", "code-invalid", "Observation.component[7].valueCodeableConcept")),
    # required binding, text only: warning
    (_component("81290-9", valueCodeableConcept=_concept(None, text="NC_000016.10:g.1C>T")),
     ("warning", "code-invalid", "Observation.component[7].valueCodeableConcept")),
    # HGVS system written with an alias the ingest accepts: conformant
    (_component("81290-9", valueCodeableConcept=_concept("https://varnomen.hgvs.org/", "NC_000016.10:g.1C>T")), None),
    # wrong value type for the slice
    (_component("81254-5", valueString="2040196"), ("warning", "structure", "Observation.component[7].valueString")),
    # a value the slice requires is missing (dataAbsentReason would do)
    (_component("53034-5"), ("warning", "required", "Observation.component[7]")),
    (_component("53034-5", dataAbsentReason=_concept("http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                                     "unknown")), None),
    # a code no slice claims: open slicing, nothing to say
    (_component("12345-6", valueString="x"), None),
])
def test_component_deviations(profiles, component, expected):
    """Each case replaces the component with the same code (if any) by the one given, which comes last."""
    code = component["code"]["coding"][0]["code"]
    same = tuple(i for i, c in enumerate(VARIANT["component"]) if c["code"]["coding"][0]["code"] == code)
    variant = _variant(component, drop=same)
    last = f"Observation.component[{len(variant['component']) - 1}]"
    assert _notes(profiles, variant) == ([(expected[0], expected[1], expected[2].replace("Observation.component[7]",
                                                                                     last))] if expected else [])


def test_a_slice_given_twice_is_reported_at_the_second(profiles):
    twice = _variant(copy.deepcopy(VARIANT["component"][6]))  # genomic-source-class again, max 1
    assert _notes(profiles, twice) == [("warning", "structure", "Observation.component[7]")]
    genes = _variant(copy.deepcopy(VARIANT["component"][3]))  # gene-studied is 0..*
    assert _notes(profiles, genes) == []


def test_category_value_and_report_code(profiles):
    no_ge = _variant()
    no_ge["category"] = no_ge["category"][:1]
    assert _notes(profiles, no_ge) == [("information", "required", "Observation.category")]
    valued = copy.deepcopy(IMPLICATION) | {"valueCodeableConcept": _concept(LOINC, "LA6668-3")}
    assert _notes(profiles, valued) == [("warning", "structure", "Observation")]
    report = {"resourceType": "DiagnosticReport", "status": "final", "code": _concept(LOINC, "81247-9"),
              "category": [_concept("http://terminology.hl7.org/CodeSystem/v2-0074", "GE")]}
    assert _notes(profiles, report) == [("information", "code-invalid", "Observation.code")]
    report["code"] = _concept(LOINC, "51969-4")
    assert _notes(profiles, report) == []


def test_one_rule_broken_by_many_resources_is_reported_a_few_times_then_counted(profiles):
    variants = []
    for i in range(PER_RULE + 4):
        variant = _variant()
        variant["category"] = variant["category"][:1]
        variants.append((variant, f"Bundle.entry[{i}].resource"))
    notes = profiles.check(variants)
    assert [n.location for n in notes] == [f"Bundle.entry[{i}].resource.category" for i in range(PER_RULE)] + [
        f"Bundle.entry[{PER_RULE}].resource.category"]
    assert notes[-1].severity == "information" and notes[-1].message.startswith("4 more resources deviate")


def _bundle(*resources: dict) -> dict:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"http://lab.example/{r['resourceType']}/{r['id']}", "resource": r}
                      for r in resources]}


def test_the_mapping_reports_notes_but_accepts_or_refuses_as_before(profiles):
    for path in sorted(OFFICIAL.glob("*.json")) + sorted(OFFICIAL.glob("stu1-original/*.json")):
        resource = load(path)
        without = map_submission(resource)
        with_notes = map_submission(resource, profiles=profiles)
        assert with_notes.errors == without.errors, path.name
        assert with_notes.issues[:len(without.issues)] == without.issues, path.name
        assert all(i.severity in ("warning", "information") for i in with_notes.issues[len(without.issues):])
    nonconformant = _variant(_component("53034-5", valueCodeableConcept=_concept(LOINC, "LA6668-3")))
    report = map_submission(_bundle(nonconformant, IMPLICATION), profiles=profiles)
    assert not report.errors and report.classifications
    assert [(i.severity, i.location) for i in report.issues if i.code == "code-invalid"] == [
        ("information", "Bundle.entry[0].resource.component[7].valueCodeableConcept")]
    assert "LA6668-3" not in report.issues[-1].message  # the rule and the element, never the value sent
    hook = map_submission(_bundle(nonconformant, IMPLICATION), lenient=True, validate=False, profiles=profiles)
    assert not [i for i in hook.issues if i.code == "code-invalid"]  # hook-time reading checks nothing


def test_official_examples_deviate_only_where_they_really_do(profiles):
    """The STU3-era examples conform, except cgexample's change type coded in LOINC where the profile's extensible
    binding asks for Sequence Ontology; the STU1 example lacks the GE category and uses the STU1 report code."""
    found = {}
    for path in sorted(OFFICIAL.glob("*.json")) + sorted(OFFICIAL.glob("stu1-original/*.json")):
        notes = map_submission(load(path), profiles=profiles).issues
        notes = [(i.severity, i.location) for i in notes if "Genomics Reporting STU3" in i.message
                 or "more resources deviate" in i.message]
        if notes:
            found[path.name] = notes
    change_type = [("information", "Bundle.entry[5].resource.component[8].valueCodeableConcept"),
                   ("information", "Bundle.entry[9].resource.component[4].valueCodeableConcept")]
    assert found == {
        "Bundle-bundle-cgexample.json": change_type,
        "Bundle-bundle-cgexample-withGrouping.json": change_type,
        "oncology-report-example.json": [
            *(("information", f"Bundle.entry[{i}].resource.category") for i in (3, 4, 5, 6)),
            ("information", "Bundle.entry[15].resource.code")],
    }


def test_loading_fails_fast_with_a_clear_message(tmp_path):
    with pytest.raises(ProfilesError, match="not a directory"):
        load_profiles(tmp_path / "missing")
    partial = tmp_path / "partial"
    shutil.copytree(PROFILES_DIR, partial)
    (partial / "genomics-reporting" / "StructureDefinition-variant.json").unlink()
    with pytest.raises(ProfilesError, match="lacks the profiles variant"):
        load_profiles(partial)
    with pytest.raises(ConfigError, match=r"VARSHARE_FHIR_PROFILES_DIR: .* lacks the profiles variant"):
        profiles_of(load_settings({"mode": "test", "fhir_profiles_dir": str(partial)}, environ={}))  # app start
    broken = tmp_path / "broken"
    shutil.copytree(PROFILES_DIR, broken)
    (broken / "loinc" / "ValueSet-LL381-5.json").write_text("{not json")
    with pytest.raises(ProfilesError, match="cannot be read as JSON"):
        load_profiles(broken)


def test_the_setting_must_name_a_directory(tmp_path):
    assert load_settings({"mode": "test"}, environ={}).fhir_profiles_dir == str(PROFILES_DIR)
    chosen = load_settings({"mode": "test", "fhir_profiles_dir": str(tmp_path)}, environ={})
    assert chosen.fhir_profiles_dir == str(tmp_path)
    with pytest.raises(ConfigError, match="VARSHARE_FHIR_PROFILES_DIR"):
        load_settings({"mode": "test", "fhir_profiles_dir": str(tmp_path / "nowhere")}, environ={})


def test_the_sandbox_world_sends_conformant_reports(profiles):
    """The sandbox's synthetic reports are what integrators copy: they conform to the STU3 profiles. (These checks
    found its allelic-state and assembly answers coded under their display text as the system, so the ingest
    never read the world's zygosity.)"""
    from app.ingest.bundle_index import index_submission
    from app.sandbox.world import build_world

    bundles = [step.bundle for step in build_world().steps if hasattr(step, "bundle")]
    assert len(bundles) > 20
    for bundle in bundles:
        assert profiles.check((e.resource, e.location) for e in index_submission(bundle).entries) == []
    zygosities = {f.zygosity for bundle in bundles for case in map_submission(bundle).cases for f in case.findings}
    assert {"heterozygous", "homozygous"} <= zygosities
