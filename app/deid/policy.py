"""The de-identification policy: one object that says what the shared store keeps, and why (HIPAA Safe Harbor).

Everything the service stores about a report is built from this allowlist; anything not named here is dropped.
The same object is published at ``GET /api/privacy-policy`` so an institution's privacy office can read what
is kept, what is dropped, the small-cell threshold k and the date and age rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

POLICY_VERSION = "2026-1"
DEFAULT_K = 5
AGE_TOP_CODE = 90  # ages at or over this are stored as the single category "90+" (Safe Harbor, class C)

# A variant written as free text is kept only when it looks like "GENE protein-change" (e.g. "EGFR L858R",
# "BRAF Val600Glu"); anything else might be prose carrying patient data and is dropped.
_AMINO = r"(?:[ACDEFGHIKLMNPQRSTVWY]|Ala|Arg|Asn|Asp|Cys|Gln|Glu|Gly|His|Ile|Leu|Lys|Met|Phe|Pro|Ser|Thr|Trp|Tyr|Val)"
TEXT_ALIAS = re.compile(
    rf"^[A-Z][A-Z0-9]{{1,14}}(?:-[A-Z0-9]{{1,5}})? (?:p\.)?{_AMINO}[1-9]\d{{0,4}}"
    rf"(?:{_AMINO}|Ter|\*|X|=|fs(?:\*\d{{1,4}})?|del|dup)?$"
)
# HGNC approved symbols: upper-case letters and digits, optionally hyphenated or with an "orf" infix.
GENE_SYMBOL = re.compile(r"^[A-Z][A-Z0-9]{0,14}(?:orf\d{1,3}[A-Z0-9]*)?(?:-[A-Z0-9]{1,8})?$")

KEPT_FIELDS: tuple[tuple[str, str], ...] = (
    ("variant", "normalised key (assembly, chromosome, position, ref, alt), SPDI, HGNC gene symbol (validated)"),
    ("variant alias", "c./g./p. HGVS, SPDI, ClinVar VariationID, dbSNP rsID, ISCN, each validated by pattern; "
                      "free text only as 'GENE protein-change'"),
    ("classification", "term, classification type, assertion-criteria code, mode of inheritance (coded), origin, "
                       "date last evaluated (see date rules)"),
    ("condition", "coded condition (system, code, terminology label); a condition given only as text is keyed "
                  "by its normalised text and scanned by the PHI guard"),
    ("case", "random case id and the submitting institution"),
    ("case fact", "variant, zygosity, origin, the classification the report stated, report year, age at report "
                  "in whole years ('90+' from 90)"),
    ("case phenotype", "HPO / SNOMED CT codes only"),
    ("relative", "relationship (v3-RoleCode), sex and coded conditions, under its own random id"),
    ("report", "random id, status, revision, report year, receipt (ids, counts, issue locations and messages)"),
)

DROPPED: tuple[str, ...] = (
    "names (patients, relatives, contacts, practitioners, organisations)",
    "identifiers of every kind (MRN, SSN, passport, driver's licence, accession, report, specimen, resource ids)",
    "addresses, ZIP codes and every geographic unit",
    "telephone, fax, email and URLs (Attachment.url, meta.source, Bundle.link, fullUrl, request.url)",
    "birth dates and every date about a patient finer than a year",
    "ages over 89 (stored as '90+', and then no report year)",
    "free text: narrative text.div, notes, conclusion, display and text fields, method text",
    "attachments (presentedForm and any other), photos and media",
    "extensions and modifierExtensions not on the allowlist (none are), meta.*, contained resources' "
    "non-clinical content",
    "raw bundles: they are never kept",
)


@dataclass(frozen=True)
class PrivacyPolicy:
    """What the shared store keeps; one object, documented defaults (HIPAA Safe Harbor)."""

    k: int = DEFAULT_K  # case-level counts below k are shown as "<k"
    version: str = POLICY_VERSION
    profile: str = "safe_harbor"
    age_top_code: int = AGE_TOP_CODE
    classification_date_precision_in_reports: str = "year"  # inside a patient's report
    classification_date_precision_alone: str = "day"  # classification-only submissions (about a variant)
    condition_systems: tuple[str, ...] = (
        "MONDO", "OMIM", "MedGen", "Orphanet", "HPO", "SNOMED CT", "any other coded system (system|code)")
    phenotype_systems: tuple[str, ...] = ("HPO", "SNOMED CT")
    alias_kinds: tuple[str, ...] = ("hgvs.c", "hgvs.g", "hgvs.p", "spdi", "clinvar", "dbsnp", "iscn", "text")
    extensions_kept: tuple[str, ...] = ()
    kept: tuple[tuple[str, str], ...] = KEPT_FIELDS
    dropped: tuple[str, ...] = DROPPED


def build_policy(k: int = DEFAULT_K) -> PrivacyPolicy:
    """The policy in force, with the deployment's small-cell threshold."""
    return PrivacyPolicy(k=k)


def describe_policy(policy: PrivacyPolicy) -> dict[str, Any]:
    """The policy as a JSON-ready document for privacy offices (GET /api/privacy-policy)."""
    return {
        "version": policy.version,
        "profile": policy.profile,
        "summary": "The shared store keeps only coded, validated clinical-genetics facts. Cases are random ids; "
                   "patient identifiers are used in memory only, to compute keyed hashes kept in a separate "
                   "linkage vault. Raw bundles are never kept.",
        "kept": [{"record": record, "fields": fields} for record, fields in policy.kept],
        "dropped": list(policy.dropped),
        "allowlist": {
            "conditionSystems": list(policy.condition_systems),
            "phenotypeSystems": list(policy.phenotype_systems),
            "variantAliasKinds": list(policy.alias_kinds),
            "textAliasPattern": TEXT_ALIAS.pattern,
            "geneSymbolPattern": GENE_SYMBOL.pattern,
            "extensions": list(policy.extensions_kept),
        },
        "dates": {
            "aboutPatients": "year only (birth, death, collection, issue and report dates)",
            "classificationDateInPatientReport": policy.classification_date_precision_in_reports,
            "classificationDateClassificationOnly": policy.classification_date_precision_alone,
            "note": "A classification-only submission's evaluation date is about a variant, not a person, "
                    "and keeps its day.",
        },
        "ages": {
            "unit": "whole years at the report",
            "topCode": f"{policy.age_top_code}+",
            "rule": f"ages of {policy.age_top_code} or more are stored as '{policy.age_top_code}+' and the "
                    "report year of such a case is not stored",
        },
        "smallCells": {
            "k": policy.k,
            "rule": f"any case-level count (carriers of a variant, phenotype counts, zygosity counts) below "
                    f"{policy.k} is shown as '<{policy.k}'; case facts of a variant are never listed "
                    "individually by any API",
        },
        "linkage": {
            "caseIds": "random (128 bits); not derived from any identifier",
            "vault": "a separate database mapping HMAC-SHA256(institution key, identifier system|value) to the "
                     "random case id, for every identifier a report gives; each institution's key is derived "
                     "from the deployment secret and the institution id, so institutions never link",
            "relatives": "own random ids; never linked",
        },
        "phiGuard": "before anything is committed, every string about to be stored is scanned (including "
                    "decoded base64) for the names, identifiers, addresses, phone numbers, email addresses and "
                    "birth dates the submitted bundle itself carries; a hit rejects the whole submission (422) "
                    "naming the field, never the value",
        "erasure": "`varshare case erase --tenant NAME --patient-identifier SYSTEM|VALUE` removes the "
                   "institution's links and case facts for the patient; its classifications of variants remain",
    }
