"""Synthetic, deterministic lab reports for the ingest benchmark: STU3 Genomics Reporting collection Bundles.

Each Bundle is what a germline sequencing lab sends for one patient: a Patient (with an MRN), the performing lab
Organization, a DiagnosticReport (LOINC 51969-4) whose ``result`` lists every Observation, N Variant
Observations (69548-6, GRCh38, 1-based exact coordinates, c.HGVS, gene, zygosity, germline) and M Diagnostic
Implications (ACMG/AMP 2015 classification for a MONDO condition, ``derivedFrom`` the Variant).

Every variant is unique across the whole workload (per gene, variant ``j`` lies in its own 100-base window of the
gene and has its own c. position), and patients and report identifiers are distinct per bundle, so every bundle
is new to the store and really writes. All names, identifiers and calls are fictional; positions are only roughly
inside the named genes and the reference bases are random (varshare does not check them against a genome).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.domain.accessions import CHROMOSOME_ACCESSIONS

LOINC = "http://loinc.org"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
PROFILE = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
CATEGORIES = [
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]},
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "GE"}]},
]

# symbol, HGNC id, chromosome, approximate GRCh38 gene start, MANE transcript, MONDO condition, condition label
GENES = (
    ("BRCA1", "HGNC:1100", "17", 43044295, "NM_007294.4", "MONDO:0011450", "hereditary breast ovarian cancer"),
    ("BRCA2", "HGNC:1101", "13", 32315508, "NM_000059.4", "MONDO:0012933", "hereditary breast ovarian cancer 2"),
    ("TP53", "HGNC:11998", "17", 7668402, "NM_000546.6", "MONDO:0018875", "Li-Fraumeni syndrome"),
    ("MLH1", "HGNC:7127", "3", 36993332, "NM_000249.4", "MONDO:0005835", "Lynch syndrome"),
    ("MSH2", "HGNC:7325", "2", 47403067, "NM_000251.3", "MONDO:0005835", "Lynch syndrome"),
    ("MSH6", "HGNC:7329", "2", 47783082, "NM_000179.3", "MONDO:0005835", "Lynch syndrome"),
    ("PMS2", "HGNC:9122", "7", 5970925, "NM_000535.7", "MONDO:0005835", "Lynch syndrome"),
    ("APC", "HGNC:583", "5", 112707498, "NM_000038.6", "MONDO:0021055", "familial adenomatous polyposis"),
    ("PALB2", "HGNC:26144", "16", 23603160, "NM_024675.4", "MONDO:0013264", "PALB2-related cancer"),
    ("ATM", "HGNC:795", "11", 108222484, "NM_000051.4", "MONDO:0008840", "ataxia telangiectasia"),
    ("CHEK2", "HGNC:16627", "22", 28687743, "NM_007194.4", "MONDO:0013155", "CHEK2-related cancer"),
    ("CFTR", "HGNC:1884", "7", 117480025, "NM_000492.4", "MONDO:0009061", "cystic fibrosis"),
    ("MYH7", "HGNC:7577", "14", 23412740, "NM_000257.4", "MONDO:0005045", "hypertrophic cardiomyopathy"),
    ("MYBPC3", "HGNC:7551", "11", 47331406, "NM_000256.3", "MONDO:0005045", "hypertrophic cardiomyopathy"),
    ("KCNQ1", "HGNC:6294", "11", 2445008, "NM_000218.3", "MONDO:0002442", "long QT syndrome"),
    ("SCN5A", "HGNC:10593", "3", 38548062, "NM_198056.3", "MONDO:0015263", "Brugada syndrome"),
    ("LDLR", "HGNC:6547", "19", 11089462, "NM_000527.5", "MONDO:0005439", "familial hypercholesterolemia"),
    ("FBN1", "HGNC:3603", "15", 48408313, "NM_000138.5", "MONDO:0007947", "Marfan syndrome"),
    ("PTEN", "HGNC:9588", "10", 87863113, "NM_000314.8", "MONDO:0017623", "PTEN hamartoma tumor syndrome"),
    ("RET", "HGNC:9967", "10", 43077069, "NM_020975.6", "MONDO:0007497", "multiple endocrine neoplasia type 2"),
)  # fmt: skip
SIGNIFICANCE = (("LA6668-3", "Pathogenic"), ("LA26332-9", "Likely pathogenic"),
                ("LA26333-7", "Uncertain significance"), ("LA26334-5", "Likely benign"), ("LA6675-8", "Benign"))
ZYGOSITY = (("LA6706-1", "Heterozygous"), ("LA6705-3", "Homozygous"))
BASES = "ACGT"
WINDOW = 100  # bases of a gene reserved for one variant


@dataclass(frozen=True)
class LabReport:
    """One generated submission and what storing it must produce."""

    bundle: dict
    variants: int
    implications: int


def _concept(code: str, system: str = LOINC, display: str | None = None) -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _component(code: str, **value) -> dict:
    return {"code": _concept(code), **value}


def _urn(bundle_no: int, item: int) -> str:
    return f"urn:uuid:7e57be0c-{bundle_no:04x}-4000-8000-{item:012x}"


class LabReportGenerator:
    """Seeded generator: the same seed always gives byte-identical bundles."""

    def __init__(self, seed: int = 20240503) -> None:
        self._rng = random.Random(seed)
        self._next_in_gene = [0] * len(GENES)
        self._bundles = 0

    def _allele(self, gene_no: int) -> tuple[str, int, str, str, str]:
        """(gene, 1-based GRCh38 position, ref, alt, c.HGVS) of a variant no other bundle has."""
        symbol, _, _, start, transcript, _, _ = GENES[gene_no]
        j = self._next_in_gene[gene_no]
        self._next_in_gene[gene_no] += 1
        offset = self._rng.randrange(WINDOW - 10)
        position = start + j * WINDOW + offset
        c_position = j * WINDOW + offset + 1
        ref = self._rng.choice(BASES)
        shape = self._rng.random()
        if shape < 0.8:  # substitution
            alt = self._rng.choice(BASES.replace(ref, ""))
            return symbol, position, ref, alt, f"{transcript}:c.{c_position}{ref}>{alt}"
        extra = "".join(self._rng.choice(BASES) for _ in range(self._rng.randint(1, 3)))
        if shape < 0.9:  # anchored deletion
            span = f"{c_position + 1}_{c_position + len(extra)}" if len(extra) > 1 else f"{c_position + 1}"
            return symbol, position, ref + extra, ref, f"{transcript}:c.{span}del"
        return symbol, position, ref, ref + extra, f"{transcript}:c.{c_position}_{c_position + 1}ins{extra}"

    def _variant(self, vid: str, patient: str, gene_no: int) -> dict:
        symbol, hgnc, chromosome, *_ = GENES[gene_no]
        _, position, ref, alt, c_hgvs = self._allele(gene_no)
        zygosity = ZYGOSITY[0] if self._rng.random() < 0.85 else ZYGOSITY[1]
        exact = {"low": {"value": position}, "high": {"value": position + len(ref) - 1}}
        return {
            "resourceType": "Observation",
            "id": vid,
            "meta": {"profile": [PROFILE + "variant"]},
            "status": "final",
            "category": CATEGORIES,
            "code": _concept("69548-6", display="Genetic variant assessment"),
            "subject": {"reference": patient},
            "effectiveDateTime": "2024-05-02",
            "valueCodeableConcept": _concept("LA9633-4", display="Present"),
            "component": [
                _component("48018-6", valueCodeableConcept=_concept(hgnc, "http://www.genenames.org", symbol)),
                _component("48004-6", valueCodeableConcept=_concept(c_hgvs, "http://varnomen.hgvs.org")),
                _component("48013-7", valueCodeableConcept=_concept(
                    CHROMOSOME_ACCESSIONS[("GRCh38", chromosome)], "http://www.ncbi.nlm.nih.gov/refseq")),
                _component("92822-6", valueCodeableConcept=_concept("LA30102-0", display="1-based character counting")),
                _component("81254-5", valueRange=exact),
                _component("69547-8", valueString=ref),
                _component("69551-0", valueString=alt),
                _component("62374-4", valueCodeableConcept=_concept("LA26806-2", display="GRCh38")),
                _component("53034-5", valueCodeableConcept=_concept(zygosity[0], display=zygosity[1])),
                _component("48002-0", valueCodeableConcept=_concept("LA6683-2", display="Germline")),
            ],
        }

    def _implication(self, iid: str, patient: str, variant_url: str, gene_no: int) -> dict:
        *_, mondo, label = GENES[gene_no]
        term = self._rng.choice(SIGNIFICANCE)
        return {
            "resourceType": "Observation",
            "id": iid,
            "meta": {"profile": [PROFILE + "diagnostic-implication"]},
            "status": "final",
            "category": CATEGORIES,
            "code": _concept("diagnostic-implication", TBD, "Diagnostic Implication"),
            "subject": {"reference": patient},
            "effectiveDateTime": "2024-04-30",
            "method": {"text": "ACMG/AMP 2015"},
            "derivedFrom": [{"reference": variant_url}],
            "component": [
                _component("53037-8", valueCodeableConcept=_concept(term[0], display=term[1])),
                _component("81259-4", valueCodeableConcept=_concept(
                    mondo, "http://purl.obolibrary.org/obo/mondo.owl", label)),
            ],
        }

    def report(self, variants: int, implications: int) -> LabReport:
        """The next patient's report: ``variants`` Variants, the first ``implications`` of them classified."""
        number = self._bundles = self._bundles + 1
        patient_url, lab_url, report_url = _urn(number, 1), _urn(number, 2), _urn(number, 3)
        genes = [self._rng.randrange(len(GENES)) for _ in range(variants)]
        observations = []
        for i, gene_no in enumerate(genes):
            observations.append((_urn(number, 0x100 + i), self._variant(f"var-{i}", patient_url, gene_no)))
        for i, gene_no in enumerate(genes[:implications]):
            observations.append((_urn(number, 0x10000 + i),
                                 self._implication(f"di-{i}", patient_url, observations[i][0], gene_no)))
        patient = {
            "resourceType": "Patient",
            "id": "patient",
            "identifier": [{"type": _concept("MR", "http://terminology.hl7.org/CodeSystem/v2-0203"),
                            "system": "http://hospital.example/mrn", "value": f"MRN-{number:06d}"}],
            "gender": self._rng.choice(("female", "male")),
            "birthDate": f"{self._rng.randint(1940, 2015)}",
        }
        lab = {"resourceType": "Organization", "id": "lab", "name": "Bench Genomics Laboratory",
               "identifier": [{"system": "http://lab.example/id", "value": "LAB-BENCH"}]}
        report = {
            "resourceType": "DiagnosticReport",
            "id": "report",
            "meta": {"profile": [PROFILE + "genomic-report"]},
            "identifier": [{"system": "http://lab.example/reports", "value": f"RPT-BENCH-{number:06d}"}],
            "status": "final",
            "category": [_concept("GE", "http://terminology.hl7.org/CodeSystem/v2-0074")],
            "code": _concept("51969-4", display="Genetic analysis report"),
            "subject": {"reference": patient_url},
            "issued": "2024-05-03T10:00:00+02:00",
            "performer": [{"reference": lab_url}],
            "result": [{"reference": url} for url, _ in observations],
        }
        entries = [(patient_url, patient), (lab_url, lab), (report_url, report), *observations]
        bundle = {
            "resourceType": "Bundle",
            "id": f"bench-{number}",
            "type": "collection",
            "timestamp": "2024-05-03T10:00:00+02:00",
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
        }
        return LabReport(bundle, variants, implications)
