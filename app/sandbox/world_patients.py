"""The synthetic patients of the sandbox's two EHR institutions, their genetic reports and test orders.

All names, MRNs and birth dates are invented. Each report is what the performing lab told the patient at the
time (era 1 of the world, 2020-2021); several of those stated classifications are out of date against the
final aggregates (see ``OUT_OF_DATE``). Draft ServiceRequests give the order hooks something to check:
a repeat of a test whose genes the patient's earlier results already cover, or a test of new genes.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.sandbox.world_scenarios import ALPHA, BETA, CLINIC, DELTA, GAMMA, HOSPITAL

HETEROZYGOUS, HOMOZYGOUS = "heterozygous", "homozygous"
TEST_SYSTEM = "https://varshare.org/fhir/CodeSystem/sandbox-genetic-tests"  # synthetic test catalogue
TESTS = {
    "hboc-panel": ("Hereditary breast and ovarian cancer gene panel", ("BRCA1", "BRCA2", "PALB2", "CHEK2")),
    "brca-test": ("BRCA1 and BRCA2 sequencing and deletion/duplication analysis", ("BRCA1", "BRCA2")),
    "cf-panel": ("CFTR sequencing", ("CFTR",)),
    "cardiomyopathy-panel": ("Hypertrophic cardiomyopathy gene panel", ("MYH7", "MYBPC3")),
    "arrhythmia-panel": ("Inherited arrhythmia gene panel", ("KCNQ1", "SCN5A")),
    "fh-panel": ("Familial hypercholesterolemia gene panel", ("LDLR",)),
    "lynch-panel": ("Lynch syndrome gene panel", ("MLH1", "MSH2")),
    "tp53-test": ("TP53 sequencing", ("TP53",)),
    "hfe-genotyping": ("HFE C282Y and H63D genotyping", ("HFE",)),
    "pgx-panel": ("Pharmacogenomic panel", ("CYP2C19", "SLCO1B1")),
    "thrombophilia-panel": ("Thrombophilia genotyping", ("F5", "MTHFR")),
}


@dataclass(frozen=True)
class Finding:
    """A variant in a patient's report and the classification the report stated."""

    handle: str
    zygosity: str
    stated: str  # P, LP, VUS, LB, B, or "drug response"/"risk factor"


@dataclass(frozen=True)
class Report:
    """One genetic test result in the patient's record."""

    test: str  # key of TESTS: the genes it covered
    issued: str  # date
    lab: str  # the performing lab (shown on the EHR side only)
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Order:
    """A genetic test order (ServiceRequest)."""

    test: str
    status: str  # "draft" for orders being written, "completed" for the orders behind the reports
    authored: str


@dataclass(frozen=True)
class Patient:
    """A synthetic patient of one EHR institution."""

    id: str
    ehr: str
    mrn: str
    given: str
    family: str
    gender: str
    birth_date: str
    reports: tuple[Report, ...] = ()
    orders: tuple[Order, ...] = ()


def _f(handle: str, stated: str, zygosity: str = HETEROZYGOUS) -> Finding:
    return Finding(handle, zygosity, stated)


def _done(test: str, authored: str) -> Order:
    return Order(test, "completed", authored)


def _draft(test: str) -> Order:
    return Order(test, "draft", "2025-06-02")


PATIENTS: tuple[Patient, ...] = (
    Patient("hosp-001", HOSPITAL, "H-40101", "Maren", "Okafor", "female", "1979-03-14",
            (Report("hboc-panel", "2020-09-14", ALPHA, (_f("BRCA2#1", "VUS"), _f("BRCA1#2", "B"))),),
            (_done("hboc-panel", "2020-08-20"), _draft("brca-test"))),
    Patient("hosp-002", HOSPITAL, "H-40102", "Teodor", "Lindqvist", "male", "2011-07-02",
            (Report("cf-panel", "2020-11-03", ALPHA, (_f("CFTR F508del", "P"), _f("CFTR G551D", "P"))),)),
    Patient("hosp-003", HOSPITAL, "H-40103", "Priya", "Ramaswamy", "female", "1985-12-01",
            (Report("cardiomyopathy-panel", "2020-10-21", GAMMA, (_f("MYH7#1", "LP"),)),)),
    Patient("hosp-004", HOSPITAL, "H-40104", "Aurelio", "Benedetti", "male", "1968-05-27",
            (Report("fh-panel", "2021-02-11", ALPHA, (_f("LDLR#1", "VUS"),)),)),
    Patient("hosp-005", HOSPITAL, "H-40105", "Sigrid", "Halvorsen", "female", "1992-08-09",
            (Report("arrhythmia-panel", "2020-12-07", DELTA, (_f("KCNQ1#1", "LB"),)),)),
    Patient("hosp-006", HOSPITAL, "H-40106", "Desmond", "Achterberg", "male", "1957-01-30",
            (Report("hfe-genotyping", "2020-06-18", ALPHA, (_f("HFE C282Y", "P", HOMOZYGOUS),)),),
            (_draft("hfe-genotyping"),)),
    Patient("hosp-007", HOSPITAL, "H-40107", "Yelena", "Voronova", "female", "1973-04-22",
            (Report("tp53-test", "2021-01-19", BETA, (_f("TP53#1", "VUS"),)),)),
    Patient("hosp-008", HOSPITAL, "H-40108", "Kwame", "Mensah-Oduro", "male", "1966-10-05",
            (Report("lynch-panel", "2020-07-30", BETA, (_f("MLH1#1", "VUS"),)),)),
    Patient("clin-001", CLINIC, "C-7701", "Ines", "Carvalho", "female", "1951-02-17",
            (Report("pgx-panel", "2021-03-08", ALPHA, (_f("CYP2C19*2", "drug response", HOMOZYGOUS),)),),
            (_draft("pgx-panel"),)),
    Patient("clin-002", CLINIC, "C-7702", "Rafferty", "Quill", "male", "1988-06-11",
            (Report("arrhythmia-panel", "2020-09-29", GAMMA, (_f("SCN5A#1", "VUS"),)),)),
    Patient("clin-003", CLINIC, "C-7703", "Hanne", "Osterberg", "female", "1977-11-23",
            (Report("lynch-panel", "2021-04-14", ALPHA, (_f("MSH2#1", "P"),)),)),
    Patient("clin-004", CLINIC, "C-7704", "Miriam", "Adeyemi", "female", "1982-09-03",
            (Report("brca-test", "2020-05-26", BETA, (_f("BRCA1 c.68_69del", "LP"),)),),
            (_draft("cardiomyopathy-panel"),)),
    Patient("clin-005", CLINIC, "C-7705", "Lucia", "Fernsby", "female", "1990-01-15",
            (Report("hboc-panel", "2021-05-20", ALPHA, (_f("PALB2#1", "P"),)),
             Report("thrombophilia-panel", "2020-03-02", ALPHA, (_f("MTHFR C677T", "B", HOMOZYGOUS),)))),
    Patient("clin-006", CLINIC, "C-7706", "Gideon", "Marchetti", "male", "1959-12-28",
            (Report("hboc-panel", "2020-10-12", ALPHA, (_f("CHEK2 c.1100del", "VUS"),)),)),
    Patient("clin-007", CLINIC, "C-7707", "Noor", "Haddad", "female", "1995-07-19",
            (Report("pgx-panel", "2021-06-01", ALPHA, (_f("SLCO1B1 c.521T>C", "drug response"),)),
             Report("thrombophilia-panel", "2021-06-01", ALPHA, (_f("F5 Leiden", "P"),)))),
    Patient("clin-008", CLINIC, "C-7708", "Bartholomew", "Eze", "male", "1970-03-06", (),
            (_draft("brca-test"),)),
)

# Patients whose report states a classification that the final aggregate contradicts, and how
# (app/domain/reclassification.py's directions).
OUT_OF_DATE = {
    "hosp-001": "BRCA2#1: VUS -> Pathogenic/Likely pathogenic (critical)",
    "hosp-003": "MYH7#1: LP -> Uncertain significance",
    "hosp-004": "LDLR#1: VUS -> conflicting, involving pathogenic",
    "hosp-005": "KCNQ1#1: LB -> Uncertain significance",
    "hosp-007": "TP53#1: VUS -> Benign/Likely benign",
    "hosp-008": "MLH1#1: VUS -> Likely pathogenic by the expert panel (critical)",
    "clin-002": "SCN5A#1: VUS -> conflicting, VUS vs benign only",
    "clin-003": "MSH2#1: P -> conflicting, involving pathogenic",
    "clin-006": "CHEK2 c.1100del: VUS -> Pathogenic/Likely pathogenic (critical)",
}
# Draft orders whose genes the patient's earlier results already cover (the order hooks' duplicate case).
DUPLICATE_ORDERS = {"hosp-001": "brca-test", "hosp-006": "hfe-genotyping", "clin-001": "pgx-panel"}
