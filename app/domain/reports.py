"""What one submitted genomic report says, in clinical-genetics terms.

These records are the contract between ``app.ingest`` (which reads FHIR JSON and produces them) and the
services/store layers (which persist them). Nothing here knows about FHIR field names, databases or HTTP.
Patient identifiers appear only in :class:`CaseRecord.patient_identifiers`, which is consumed by the linkage
vault and never written to the shared store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class VariantKind(StrEnum):
    """How precisely a variant is identified."""

    ALLELE = "allele"  # genomic (assembly, chromosome, position, ref, alt): fully normalised key
    TRANSCRIPT = "transcript"  # known only by a transcript HGVS expression: unnormalised key
    STRUCTURAL = "structural"  # CNV / imprecise SV: region key, no allele
    REPEAT = "repeat"  # repeat expansion: motif/count key, no allele
    IDENTIFIER = "identifier"  # known only by an identifier (rsID, ClinVar ID) or an unparsable expression


@dataclass(frozen=True)
class Alias:
    """One way a variant was written: kind is hgvs.c, hgvs.g, hgvs.p, spdi, clinvar, dbsnp, iscn or text."""

    kind: str
    value: str


@dataclass(frozen=True)
class Variant:
    """A variant identity. ``key`` is the canonical text the store indexes; ``variant_id`` derives from it."""

    key: str
    kind: VariantKind
    normalised: bool
    assembly: str | None = None  # "GRCh37" | "GRCh38"
    chromosome: str | None = None  # "1".."22", "X", "Y", "MT"
    position: int | None = None  # 1-based VCF POS after trimming
    ref: str | None = None  # trimmed; "" for a pure insertion
    alt: str | None = None  # trimmed; "" for a pure deletion
    spdi: str | None = None  # NC_...:0-based:ref:alt
    gene: str | None = None  # HGNC symbol
    aliases: tuple[Alias, ...] = ()

    @property
    def variant_id(self) -> str:
        from app.domain.variants import variant_id_for_key

        return variant_id_for_key(self.key)


@dataclass(frozen=True)
class Condition:
    """The condition a classification is for. ``key`` groups submissions (ClinVar's RCV level)."""

    key: str  # "MONDO:0007254" style "system-label:code", "text:<normalised text>" or "not-specified"
    system: str | None = None  # canonical system URI as submitted (after alias normalisation)
    code: str | None = None
    label: str | None = None  # recognised terminology label: MONDO, OMIM, MedGen, Orphanet, HPO, SNOMED CT


NOT_SPECIFIED = Condition(key="not-specified")


@dataclass(frozen=True)
class Issue:
    """A problem found while reading input: severity error rejects the report, warning is reported only."""

    severity: str  # "error" | "warning" | "information"
    code: str  # FHIR issue-type code: structure, required, value, invalid, not-supported, processing, ...
    location: str  # FHIRPath-like: Bundle.entry[3].resource.component[2]
    message: str  # actionable, never echoing patient data


@dataclass(frozen=True)
class Classification:
    """One submitter's assertion about one variant for one condition (ClinVar's SCV)."""

    variant: Variant
    condition: Condition
    term: str  # canonical ClinVar spelling, or the verbatim unknown term
    term_recognised: bool
    classification_type: str = "germline"  # germline | somatic-clinical-impact | oncogenicity
    criteria_provided: bool = False
    criteria_code: str | None = None  # e.g. "acmg-amp-2015"; the method text itself is never kept
    date_last_evaluated: dt.date | None = None
    date_precision: str = "day"  # "day" | "year": de-identification keeps only the year inside patient reports
    mode_of_inheritance: str | None = None  # coded, e.g. "HP:0000006"
    origin: str | None = None  # germline | somatic | fetal | de-novo | unknown | ...
    location: str = ""  # where in the input it came from (for issues and receipts)


@dataclass(frozen=True)
class Finding:
    """A variant observed in one patient (case level)."""

    variant: Variant
    zygosity: str | None = None  # heterozygous | homozygous | hemizygous | heteroplasmic | homoplasmic
    origin: str | None = None
    stated_term: str | None = None  # what the patient's report said about it (canonical term)
    location: str = ""


@dataclass(frozen=True)
class Relative:
    """A relative of the patient (family history): only relationship, sex and coded conditions are kept."""

    relationship: str | None = None  # v3-RoleCode code, e.g. "MTH", "BRO"
    sex: str | None = None  # administrative gender code: male | female | other | unknown
    conditions: tuple[Condition, ...] = ()  # coded conditions only, never text


@dataclass
class CaseRecord:
    """Everything case-level one report says about one patient, before de-identification."""

    patient_ref: str  # the reference used inside the input (for grouping only; never stored)
    patient_identifiers: list[tuple[str, str]] = field(default_factory=list)  # (system, value) for linkage
    findings: list[Finding] = field(default_factory=list)
    phenotypes: list[Condition] = field(default_factory=list)  # coded HPO / SNOMED phenotypes
    report_year: int | None = None
    age_years: int | None = None  # whole years at the report, read in memory; de-identification replaces it
    age: str | None = None  # what may be stored: "0".."89" or "90+" (set by de-identification)
    relatives: list[Relative] = field(default_factory=list)


@dataclass
class MappedReport:
    """The result of reading one submitted report (a bundle, a DiagnosticReport or a lone Observation)."""

    report_identifiers: list[tuple[str, str]] = field(default_factory=list)  # DR.identifier (system, value)
    status: str = "final"  # final | amended | corrected | appended | preliminary | entered-in-error | ...
    issued: dt.date | None = None
    performer: str | None = None  # provenance only; never decides the submitter
    about_patient: bool = False  # the report names a subject (classification-only submissions do not)
    classifications: list[Classification] = field(default_factory=list)
    cases: list[CaseRecord] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity in ("error", "fatal")]
