"""Writes the synthetic FHIR fixtures of this folder (see README.md); run it from the project root."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
LOINC = "http://loinc.org"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
PROJECT = "https://varshare.org/fhir/CodeSystem/clinvar-germline-classification"
PATIENT_URL = "urn:uuid:00000000-0000-4000-8000-000000000001"


def cc(code, system=LOINC, display=None, text=None):
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    out = {"coding": [coding]}
    if text:
        out["text"] = text
    return out


def comp(code, system=LOINC, **value):
    return {"code": cc(code, system), **value}


def variant(vid, *components, call="LA9633-4", subject=PATIENT_URL, **extra):
    obs = {
        "resourceType": "Observation",
        "id": vid,
        "status": "final",
        "category": [cc("laboratory", "http://terminology.hl7.org/CodeSystem/observation-category")],
        "code": cc("69548-6"),
        "effectiveDateTime": "2024-05-02",
        "component": list(components),
    }
    if subject:
        obs["subject"] = {"reference": subject}
    if call:
        obs["valueCodeableConcept"] = cc(call)
    obs.update(extra)
    return obs


def vcf(accession, low, ref, alt, system="LA30102-0", high=None, assembly=None, zygosity="LA6706-1"):
    out = []
    if assembly:
        out.append(comp("62374-4", valueCodeableConcept=cc(assembly)))
    out += [
        comp("48013-7", valueCodeableConcept=cc(accession, "http://www.ncbi.nlm.nih.gov/refseq")),
        comp("69547-8", valueString=ref),
        comp("69551-0", valueString=alt),
        comp("81254-5", valueRange={"low": {"value": low}, **({"high": {"value": high}} if high else {})}),
    ]
    if system:
        out.append(comp("92822-6", valueCodeableConcept=cc(system)))
    if zygosity:
        out.append(comp("53034-5", valueCodeableConcept=cc(zygosity)))
    return out


def implication(iid, target, term_concept, condition=None, subject=PATIENT_URL, **extra):
    components = [comp("53037-8", valueCodeableConcept=term_concept)]
    if condition:
        components.append(comp("81259-4", valueCodeableConcept=condition))
    obs = {
        "resourceType": "Observation",
        "id": iid,
        "status": "final",
        "code": cc("diagnostic-implication", TBD),
        "derivedFrom": [{"reference": target}],
        "effectiveDateTime": "2024-05-01",
        "component": components,
    }
    if subject:
        obs["subject"] = {"reference": subject}
    obs.update(extra)
    return obs


def patient(identifier="MRN-0001"):
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "http://hospital.example/mrn", "value": identifier}],
    }


def report(results, identifier="RPT-1", status="final", subject=PATIENT_URL, **extra):
    dr = {
        "resourceType": "DiagnosticReport",
        "id": "dr",
        "identifier": [{"system": "http://lab.example/reports", "value": identifier}],
        "status": status,
        "code": cc("51969-4"),
        "issued": "2024-05-03T10:00:00+02:00",
        "performer": [{"reference": "urn:uuid:00000000-0000-4000-8000-00000000000f"}],
        "result": [{"reference": r} for r in results],
    }
    if subject:
        dr["subject"] = {"reference": subject}
    dr.update(extra)
    return dr


def lab():
    return {
        "resourceType": "Organization",
        "id": "lab",
        "identifier": [{"system": "http://lab.example/id", "value": "LAB-42"}],
        "name": "Example Lab",
    }


def bundle(resources, btype="collection", with_patient=True, with_lab=True):
    """resources: list of (urn suffix, resource); the Patient and lab Organization are added."""
    entries = []
    if with_patient:
        entries.append({"fullUrl": PATIENT_URL, "resource": patient()})
    if with_lab:
        entries.append({"fullUrl": "urn:uuid:00000000-0000-4000-8000-00000000000f", "resource": lab()})
    for suffix, resource in resources:
        entries.append({"fullUrl": f"urn:uuid:11111111-0000-4000-8000-{suffix:0>12}", "resource": resource})
    out = {"resourceType": "Bundle", "type": btype, "entry": entries}
    if btype in ("transaction", "batch"):
        for entry in entries:
            entry["request"] = {"method": "POST", "url": entry["resource"]["resourceType"]}
    return out


def u(suffix):
    return f"urn:uuid:11111111-0000-4000-8000-{suffix:0>12}"


MONDO_BRCA = cc(
    "MONDO:0011450", "http://purl.obolibrary.org/obo/mondo.owl", "hereditary breast ovarian cancer"
)
P = cc("LA6668-3", display="Pathogenic")


def fixtures():
    out = {}
    spdi = variant(
        "v1",
        comp("48018-6", valueCodeableConcept=cc("HGNC:1100", "http://www.genenames.org", "BRCA1")),
        comp("62374-4", valueCodeableConcept=cc("LA26806-2", display="GRCh38")),
        comp(
            "81252-9",
            valueCodeableConcept=cc(
                "NC_000017.11:43045711:G:A", "https://api.ncbi.nlm.nih.gov/variation/v0/"
            ),
        ),
        comp("81252-9", valueCodeableConcept=cc("55601", "http://www.ncbi.nlm.nih.gov/clinvar")),
        comp("48002-0", valueCodeableConcept=cc("LA6683-2")),
        comp("53034-5", valueCodeableConcept=cc("LA6706-1")),
    )
    di = implication("i1", u(1), P, MONDO_BRCA, method={"text": "ACMG/AMP 2015 guidelines"})
    hpo = {
        "resourceType": "Observation",
        "id": "ph1",
        "status": "final",
        "code": cc("HP:0003002", "http://human-phenotype-ontology.org", "Breast carcinoma"),
        "valueBoolean": True,
        "subject": {"reference": PATIENT_URL},
    }
    cond = {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": PATIENT_URL},
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "254837009"}],
            "text": "breast cancer",
        },
    }
    out["grch38-spdi"] = bundle(
        [("1", spdi), ("2", di), ("3", hpo), ("4", cond), ("9", report([u(1), u(2)]))]
    )
    vcf37 = variant("v1", *vcf("NC_000017.10", 41197696, "CT", "TT", assembly="LA14029-5"))
    ins = variant("v2", *vcf("NC_000017.10", 41197700, "T", "TATA"))
    dele = variant("v3", *vcf("NC_000017.10", 41197710, "GAAA", "G", system="LA30100-4", high=41197714))
    out["grch37-vcf-trimming"] = bundle(
        [("1", vcf37), ("2", ins), ("3", dele), ("9", report([u(1), u(2), u(3)]))]
    )
    c0i = variant("v1", *vcf("NC_000001.10", 100, "A", "G", system="LA30100-4", high=101))
    c0c = variant("v2", *vcf("NC_000001.10", 200, "C", "T", system="LA30101-2", high=200))
    c1 = variant("v3", *vcf("NC_000001.10", 301, "G", "C", system="LA30102-0", high=301))
    out["coordinate-systems"] = bundle([("1", c0i), ("2", c0c), ("3", c1), ("9", report([u(1), u(2), u(3)]))])
    present = variant("v1", *vcf("NC_000002.11", 1000, "A", "C"))
    absent = variant("v2", *vcf("NC_000002.11", 2000, "A", "C"), call="LA9634-2")
    nocall = variant("v3", *vcf("NC_000002.11", 3000, "A", "C"), call="LA18198-4")
    indet = variant("v4", *vcf("NC_000002.11", 4000, "A", "C"), call="LA11884-6")
    out["call-results"] = bundle(
        [
            ("1", present),
            ("2", absent),
            ("3", nocall),
            ("4", indet),
            ("9", report([u(i) for i in range(1, 5)])),
        ]
    )
    out["missing-call"] = bundle(
        [("1", variant("v1", *vcf("NC_000002.11", 1000, "A", "C"), call=None)), ("9", report([u(1)]))]
    )
    terms = [
        cc("LA26332-9"),
        cc("LA26333-7"),
        cc("LA26334-5"),
        cc("LA6675-8"),
        cc("LA6669-1"),
        cc("LA6682-4"),
        cc("LA6674-1"),
        {"text": "likely Pathogenic"},
        cc("drug response", PROJECT),
        cc("risk factor", PROJECT),
        cc("Pathogenic, low penetrance", PROJECT),
        cc("Established risk allele", PROJECT),
        {"text": "Sort of bad"},
    ]
    resources = []
    for i, term in enumerate(terms, start=1):
        resources.append((f"{i}", variant(f"v{i}", *vcf("NC_000003.12", 5000 + 10 * i, "A", "G"))))
        resources.append((f"{100 + i}", implication(f"i{i}", u(i), term, MONDO_BRCA)))
    out["every-term"] = bundle([*resources, ("9999", report([u(i) for i in range(1, len(terms) + 1)]))])
    on_variant = variant(
        "v1", *vcf("NC_000003.12", 7000, "C", "T"), comp("53037-8", valueCodeableConcept=cc("LA26333-7"))
    )
    out["significance-on-variant"] = bundle([("1", on_variant), ("9", report([u(1)]))])
    cnv = variant(
        "v1",
        comp("48013-7", valueCodeableConcept=cc("NC_000022.11", "http://www.ncbi.nlm.nih.gov/refseq")),
        comp("48019-4", valueCodeableConcept=cc("SO:0001743", "http://www.sequenceontology.org")),
        comp("82155-3", valueQuantity={"value": 1}),
        comp("92822-6", valueCodeableConcept=cc("LA30102-0")),
        comp("81301-4", valueRange={"low": {"value": 18912231}, "high": {"value": 21465672}}),
        comp("81291-7", valueCodeableConcept=cc("seq[GRCh38] del(22)(q11.21)", "https://iscn.karger.com")),
    )
    repeat = variant(
        "v2",
        comp("48018-6", valueCodeableConcept=cc("HGNC:4851", "http://www.genenames.org", "HTT")),
        comp("51958-7", valueCodeableConcept=cc("NM_002111.8", "http://www.ncbi.nlm.nih.gov/refseq")),
        comp("repeat-motif", TBD, valueString="CAG"),
        comp("repeat-number", TBD, valueQuantity={"value": 42}),
    )
    cnv_di = implication("i1", u(1), P, cc("MONDO:0018923", "http://purl.obolibrary.org/obo/mondo.owl"))
    out["cnv-and-repeat"] = bundle(
        [("1", cnv), ("2", repeat), ("3", cnv_di), ("9", report([u(1), u(2), u(3)]))]
    )
    contained_variant = variant("cv", *vcf("NC_000017.11", 43045712, "G", "A"), subject="#pat")
    contained_di = implication("cdi", "#cv", cc("LA26332-9"), None, subject="#pat")
    contained_patient = dict(patient("MRN-C"), id="pat")
    out["bare-report-contained"] = dict(
        report(["#cv", "#cdi"], subject="#pat"),
        performer=[],
        contained=[contained_patient, contained_variant, contained_di],
    )
    del out["bare-report-contained"]["performer"]
    doc = bundle(
        [("1", variant("v1", *vcf("NC_000017.11", 43045712, "G", "A"))), ("9", report([u(1)]))],
        btype="document",
    )
    doc["entry"].insert(
        0,
        {
            "fullUrl": u("c0"),
            "resource": {
                "resourceType": "Composition",
                "id": "comp",
                "status": "final",
                "type": cc("51969-4"),
                "subject": {"reference": PATIENT_URL},
                "date": "2024-05-03",
                "author": [{"reference": u("f")}],
                "title": "Genetic analysis report",
            },
        },
    )
    doc["identifier"] = {"system": "http://lab.example/docs", "value": "DOC-1"}
    doc["timestamp"] = "2024-05-03T10:00:00+02:00"
    out["document-bundle"] = doc
    out["transaction-bundle"] = bundle(
        [
            ("1", variant("v1", *vcf("NC_000017.11", 43045712, "G", "A"))),
            ("2", implication("i1", u(1), P, MONDO_BRCA)),
            ("9", report([u(1), u(2)])),
        ],
        btype="transaction",
    )
    for name, status, term in (
        ("report-original", "final", P),
        ("report-amended", "amended", cc("LA26332-9")),
        ("report-entered-in-error", "entered-in-error", cc("LA26332-9")),
    ):
        out[name] = bundle(
            [
                ("1", variant("v1", *vcf("NC_000017.11", 43045712, "G", "A"))),
                ("2", implication("i1", u(1), term, MONDO_BRCA)),
                ("9", report([u(1), u(2)], identifier="RPT-AMEND", status=status)),
            ]
        )
    out["classification-only"] = bundle(
        [
            ("1", variant("v1", *vcf("NC_000017.11", 43045712, "G", "A"), subject=None)),
            ("2", implication("i1", u(1), P, MONDO_BRCA, subject=None)),
            ("9", report([u(1), u(2)], subject=None)),
        ],
        with_patient=False,
    )
    grouper_outer = {
        "resourceType": "Observation",
        "id": "g1",
        "status": "final",
        "code": cc("C43359", "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "Group"),
        "hasMember": [{"reference": u(11)}],
        "subject": {"reference": PATIENT_URL},
    }
    grouper_inner = dict(grouper_outer, id="g2", hasMember=[{"reference": u(1)}])
    looped = variant("v1", *vcf("NC_000017.11", 43045712, "G", "A"), derivedFrom=[{"reference": u(2)}])
    cyc = implication("i1", u(1), P, MONDO_BRCA)
    out["nested-groupers-and-cycle"] = bundle(
        [("10", grouper_outer), ("11", grouper_inner), ("1", looped), ("2", cyc), ("9", report([u(10)]))]
    )
    contra = variant(
        "v1",
        *vcf("NC_000017.11", 43045712, "G", "A"),
        comp("81290-9", valueCodeableConcept=cc("NC_000017.11:g.43045999G>A", "http://varnomen.hgvs.org")),
    )
    wrong_build = variant("v2", *vcf("NC_000017.11", 43045712, "G", "A", assembly="LA14029-5"))
    out["contradictory-coordinates"] = bundle(
        [("1", contra), ("2", wrong_build), ("9", report([u(1), u(2)]))]
    )
    bad = variant("v1", *vcf("NC_000017.11", 43045712, "G", "A"))
    bad["component"][1]["valueStringg"] = bad["component"][1].pop("valueString")
    out["unknown-element"] = bundle([("1", bad), ("9", report([u(1)]))])
    other = variant(
        "v2",
        *vcf("NC_000017.11", 43045800, "G", "A"),
        subject="urn:uuid:00000000-0000-4000-8000-0000000000ee",
    )
    out["mixed-subjects"] = bundle(
        [
            ("1", variant("v1", *vcf("NC_000017.11", 43045712, "G", "A"))),
            ("2", other),
            ("9", report([u(1), u(2)])),
        ]
    )
    out["conflicting-terms"] = bundle(
        [
            ("1", variant("v1", *vcf("NC_000017.11", 43045712, "G", "A"))),
            ("2", implication("i1", u(1), P, MONDO_BRCA)),
            ("3", implication("i2", u(1), cc("LA6675-8"), MONDO_BRCA)),
            ("9", report([u(1), u(2), u(3)])),
        ]
    )
    stu2 = variant(
        "v1",
        comp("48018-6", valueCodeableConcept=cc("HGNC:1100", "http://www.genenames.org/geneId", "BRCA1")),
        comp("51958-7", valueCodeableConcept=cc("NM_007294.4", "https://www.ncbi.nlm.nih.gov/nuccore")),
        comp("48004-6", valueCodeableConcept=cc("c.5266dupC", "https://varnomen.hgvs.org/")),
        comp("81255-2", valueCodeableConcept=cc("rs80357906", "http://example.org/dbsnp")),
    )
    stu2_di = implication("i1", u(1), cc("LA6668-3"), cc("C0677776", "https://www.ncbi.nlm.nih.gov/medgen"))
    stu2_di["code"] = cc(
        "diagnostic-implication", "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes"
    )
    stu2_di["component"].append(
        comp(
            "condition-inheritance",
            "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/TbdCodes",
            valueCodeableConcept=cc("HP:0000006", "http://human-phenotype-ontology.org"),
        )
    )
    stu1_sig = {
        "resourceType": "Observation",
        "id": "s1",
        "status": "final",
        "code": cc("53037-8"),
        "valueCodeableConcept": cc("LA26333-7"),
        "derivedFrom": [{"reference": u(3)}],
        "subject": {"reference": PATIENT_URL},
        "effectiveDateTime": "2019-01-01",
    }
    stu1_var = variant(
        "v3", comp("48004-6", valueCodeableConcept=cc("NM_000059.3:c.68-7T>A", "http://varnomen.hgvs.org"))
    )
    out["stu2-and-stu1-shapes"] = bundle(
        [
            ("1", stu2),
            ("2", stu2_di),
            ("3", stu1_var),
            ("4", stu1_sig),
            ("9", report([u(1), u(2), u(3), u(4)], code=cc("81247-9"))),
        ]
    )
    return out


if __name__ == "__main__":
    for name, content in fixtures().items():
        (HERE / f"{name}.json").write_text(json.dumps(content, indent=2) + "\n")
