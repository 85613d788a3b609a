"""FHIR R4 Genomics Reporting resources of the sandbox world: Variant and Diagnostic Implication Observations,
region-studied Observations, DiagnosticReports, Patients and ServiceRequests, as plain JSON dicts.

The same builders make what labs submit (classification-only reports) and what the synthetic EHRs hold and
submit (patient reports), so the EHR-side FHIR endpoint serves exactly what the EHR sent to varshare.
"""

from __future__ import annotations

from app.sandbox.world_catalog import ACCESSIONS, GENE_BY_SYMBOL, MONDO, OMIM, CatalogVariant, Gene

LOINC = "http://loinc.org"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
HGNC = "http://www.genenames.org"
REFSEQ = "http://www.ncbi.nlm.nih.gov/refseq"
HGVS = "http://varnomen.hgvs.org"
DBSNP = "http://www.ncbi.nlm.nih.gov/projects/SNP"
SPDI = "https://api.ncbi.nlm.nih.gov/variation/v0/"
PROJECT_TERMS = "https://varshare.org/fhir/CodeSystem/clinvar-germline-classification"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
VARIANT_CODE, IMPLICATION_CODE, REGION_CODE, REPORT_CODE = "69548-6", "diagnostic-implication", "53041-0", "51969-4"
TERMS = {"P": ("LA6668-3", "Pathogenic"), "LP": ("LA26332-9", "Likely pathogenic"),
         "VUS": ("LA26333-7", "Uncertain significance"), "LB": ("LA26334-5", "Likely benign"),
         "B": ("LA6675-8", "Benign")}
ZYGOSITY = {"heterozygous": ("LA6706-1", "Heterozygous"), "homozygous": ("LA6705-3", "Homozygous")}
ASSEMBLY_CODES = {"GRCh38": ("LA26806-2", "GRCh38"), "GRCh37": ("LA14029-5", "GRCh37")}
CATEGORIES = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]},
              {"coding": [{"system": V2_0074, "code": "GE"}]}]
REPORT_CATEGORY = [{"coding": [{"system": V2_0074, "code": "GE", "display": "Genetics"}]}]


def concept(code: str, system: str = LOINC, display: str | None = None) -> dict:
    """A CodeableConcept with one coding."""
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def loinc_answer(answer: tuple[str, str]) -> dict:
    """A LOINC answer ``(LA code, display)`` as a CodeableConcept."""
    return concept(answer[0], LOINC, answer[1])


def _component(code: str, **value) -> dict:
    return {"code": concept(code), **value}


def gene_concept(gene: Gene) -> dict:
    """The HGNC coding of a gene."""
    return concept(gene.hgnc, HGNC, gene.symbol)


def term_concept(term: str) -> dict:
    """A classification term: LOINC LL4034-6 for the five tiers, the project's code system for other terms."""
    if term in TERMS:
        code, display = TERMS[term]
        return concept(code, LOINC, display)
    return concept(term, PROJECT_TERMS, term)


def condition_concept(gene: Gene) -> dict:
    """The condition a gene's classifications are for (coded, or text only for drug responses)."""
    if gene.condition_system in (MONDO, OMIM):
        return concept(gene.condition_code, gene.condition_system, gene.condition_label)
    return {"text": gene.condition_label}


def _identity(variant: CatalogVariant, gene: Gene, assembly: str, style: str) -> list[dict]:
    accession = ACCESSIONS[assembly][gene.chromosome]
    position = variant.position if assembly == "GRCh38" else variant.grch37_position
    assert position is not None
    snv = len(variant.ref) == 1 and len(variant.alt) == 1
    assembly_code = _component("62374-4", valueCodeableConcept=loinc_answer(ASSEMBLY_CODES[assembly]))
    if style == "spdi" and snv:
        spdi = f"{accession}:{position - 1}:{variant.ref}:{variant.alt}"
        return [assembly_code, _component("81252-9", valueCodeableConcept=concept(spdi, SPDI))]
    if style == "g-hgvs" and snv:
        expression = f"{accession}:g.{position}{variant.ref}>{variant.alt}"
        return [assembly_code, _component("81290-9", valueCodeableConcept=concept(expression, HGVS))]
    return [assembly_code,
            _component("48013-7", valueCodeableConcept=concept(accession, REFSEQ)),
            _component("92822-6", valueCodeableConcept=concept("LA30102-0", LOINC, "1-based character counting")),
            _component("81254-5", valueRange={"low": {"value": position}}),
            _component("69547-8", valueString=variant.ref),
            _component("69551-0", valueString=variant.alt)]


def variant_observation(id_: str, variant: CatalogVariant, *, subject: str | None = None, assembly: str = "GRCh38",
                        style: str = "vcf", zygosity: str | None = None, issued: str | None = None) -> dict:
    """A Variant Observation (LOINC 69548-6, value Present) with gene, HGVS, dbSNP and the allele itself."""
    gene = GENE_BY_SYMBOL[variant.gene]
    components = [_component("48018-6", valueCodeableConcept=gene_concept(gene)),
                  _component("51958-7", valueCodeableConcept=concept(gene.transcript, REFSEQ)),
                  _component("48004-6", valueCodeableConcept=concept(f"{gene.transcript}:{variant.hgvs_c}", HGVS))]
    if variant.hgvs_p:
        components.append(_component("48005-3", valueCodeableConcept=concept(variant.hgvs_p, HGVS)))
    if variant.rsid:
        components.append(_component("81252-9", valueCodeableConcept=concept(variant.rsid, DBSNP)))
    components += _identity(variant, gene, assembly, style)
    components.append(_component("48002-0", valueCodeableConcept=concept("LA6683-2", LOINC, "Germline")))
    if zygosity:
        components.append(_component("53034-5", valueCodeableConcept=loinc_answer(ZYGOSITY[zygosity])))
    observation = {"resourceType": "Observation", "id": id_, "status": "final", "category": CATEGORIES,
                   "code": concept(VARIANT_CODE, LOINC, "Genetic variant assessment"),
                   "valueCodeableConcept": concept("LA9633-4", LOINC, "Present"), "component": components}
    if subject:
        observation["subject"] = {"reference": subject}
    if issued:
        observation["issued"] = f"{issued}T12:00:00Z"
    return observation


def implication(id_: str, variant_ref: str, variant: CatalogVariant, term: str, evaluated: str, *,
                subject: str | None = None, method: str | None = None) -> dict:
    """A Diagnostic Implication: the term (53037-8) for the gene's condition (81259-4), ``derivedFrom`` the
    Variant; ``method`` names the assertion criteria (none: no assertion criteria provided)."""
    gene = GENE_BY_SYMBOL[variant.gene]
    observation = {"resourceType": "Observation", "id": id_, "status": "final", "category": CATEGORIES,
                   "code": concept(IMPLICATION_CODE, TBD, "Diagnostic Implication"),
                   "derivedFrom": [{"reference": variant_ref}], "effectiveDateTime": evaluated,
                   "component": [_component("53037-8", valueCodeableConcept=term_concept(term)),
                                 _component("81259-4", valueCodeableConcept=condition_concept(gene))]}
    if method:
        observation["method"] = {"text": method}
    if subject:
        observation["subject"] = {"reference": subject}
    return observation


def region_studied(id_: str, genes: tuple[str, ...], subject: str, issued: str) -> dict:
    """The genes a test covered (LOINC 53041-0 with one gene-studied component per gene)."""
    return {"resourceType": "Observation", "id": id_, "status": "final", "category": CATEGORIES,
            "code": concept(REGION_CODE, LOINC, "DNA region of interest panel"), "subject": {"reference": subject},
            "issued": f"{issued}T12:00:00Z",
            "component": [_component("48018-6", valueCodeableConcept=gene_concept(GENE_BY_SYMBOL[g])) for g in genes]}


def diagnostic_report(id_: str, identifier: tuple[str, str], issued: str, results: list[str], *,
                      subject: str | None = None, title: str | None = None, performer: str | None = None) -> dict:
    """A genetic analysis report (LOINC 51969-4, category GE) listing its result Observations."""
    report = {"resourceType": "DiagnosticReport", "id": id_,
              "identifier": [{"system": identifier[0], "value": identifier[1]}], "status": "final",
              "category": REPORT_CATEGORY, "code": concept(REPORT_CODE, LOINC, "Genetic analysis report"),
              "issued": f"{issued}T12:00:00Z", "result": [{"reference": r} for r in results]}
    if subject:
        report["subject"] = {"reference": subject}
        report["effectiveDateTime"] = issued
    if title:
        report["code"]["text"] = title
    if performer:
        report["performer"] = [{"display": performer}]
    return report


def patient(id_: str, mrn_system: str, mrn: str, given: str, family: str, gender: str, birth_date: str) -> dict:
    """A synthetic Patient with an MRN."""
    return {"resourceType": "Patient", "id": id_,
            "identifier": [{"type": concept("MR", "http://terminology.hl7.org/CodeSystem/v2-0203"),
                            "system": mrn_system, "value": mrn}],
            "name": [{"use": "official", "family": family, "given": [given]}], "gender": gender,
            "birthDate": birth_date}


def service_request(id_: str, subject: str, test_system: str, test_code: str, title: str, genes: tuple[str, ...],
                    status: str, authored: str) -> dict:
    """A genetic test order (category v2-0074 GE): the test's code and one HGNC-coded ``orderDetail`` per gene."""
    return {"resourceType": "ServiceRequest", "id": id_, "status": status, "intent": "order",
            "category": [concept("108252007", "http://snomed.info/sct", "Laboratory procedure"),
                         concept("GE", V2_0074, "Genetics")],
            "code": {**concept(test_code, test_system, title), "text": title},
            "orderDetail": [gene_concept(GENE_BY_SYMBOL[g]) for g in genes],
            "subject": {"reference": subject}, "authoredOn": authored}


def collection(entries: list[tuple[str, dict]]) -> dict:
    """A collection Bundle of ``(fullUrl, resource)`` entries."""
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries]}
