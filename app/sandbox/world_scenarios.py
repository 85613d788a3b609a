"""What the sandbox's institutions said about each variant, and when: the classification scenarios.

Each variant follows one scenario *kind*: a list of classification events ``(era, institution, term)``.
Eras are replayed in order, so the store moves through several versions:

- era 1 (evaluations of 2020): first classifications; then the EHRs' patient reports (2020-2021);
- era 2 (evaluations of 2022): more labs, the practice guideline; then curator flags and the release
  ``sandbox-2023-06``;
- era 3 (evaluations of 2024): reclassifications (a lab's newer evaluation supersedes its older one), new
  conflicts, the expert panel's resolutions; then the release ``sandbox-2025-06``.

Kinds, and the aggregate they end in (ClinVar's rules, default settings):

=====================  ==================================================================================
agree-pathogenic       two labs P + LP: "Pathogenic/Likely pathogenic", 2 stars
agree-benign           two labs B + LB: "Benign/Likely benign"
agree-uncertain        two labs VUS: "Uncertain significance"
single-lab             one lab LP: 1 star, single submitter
no-criteria            one lab P without assertion criteria: 0 stars
conflict-p-vus         VUS in era 1, LP from another lab in era 3: conflict involving P (medically significant)
conflict-p-b           P in era 1, B from another lab in era 3: conflict involving P (medically significant)
conflict-vus-b         VUS in era 1, LB from another lab in era 3: VUS vs benign only (not medically significant)
conflict-early         LP vs VUS from era 2 on: a conflict already in the first release
expert-panel           LP vs VUS in era 1 (conflict), the expert panel says LP in era 3: 3 stars, resolved
expert-panel-agree     three labs P/LP, then the expert panel P
reclass-up             a lab's VUS becomes LP in era 3 and a second lab says P: VUS -> P
reclass-down           a lab's LP becomes VUS in era 3, a second lab agrees: P -> VUS
reclass-benign         a lab's VUS becomes LB in era 3, a second lab says B: VUS -> B
reclass-uncertain      a lab's LB becomes VUS in era 3: B -> VUS
flag-outlier           P + LP, an outlier B in era 2 flagged by the curator: back to P/LP
flag-outdated          an old LP, then B + LB in era 2; the old LP is flagged as outdated: B/LB
drug-response          a lab and the practice guideline say "drug response": 4 stars
risk-factor            P and "risk factor": "Pathogenic; risk factor"
benign-risk            B, LB and "risk factor": "Benign/Likely benign; risk factor"
=====================  ==================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from app.sandbox.world_catalog import CatalogVariant

ALPHA, BETA, GAMMA, DELTA = "Demo Lab Alpha", "Demo Lab Beta", "Demo Lab Gamma", "Demo Lab Delta"
PANEL, GUIDELINE = "Demo Expert Panel", "Demo Guideline Body"
HOSPITAL, CLINIC = "Demo EHR Hospital", "Demo EHR Clinic"
CURATOR = "Demo Curator"
ERAS = (1, 2, 3)
RELEASES = {2: "sandbox-2023-06", 3: "sandbox-2025-06"}  # created after the era (and its flags)


@dataclass(frozen=True)
class Event:
    """One institution's classification of a variant in an era; ``criteria`` False: no assertion criteria."""

    era: int
    institution: str
    term: str  # P, LP, VUS, LB, B, or a ClinVar "other" term ("drug response", "risk factor")
    criteria: bool = True


def _e(era: int, institution: str, term: str, criteria: bool = True) -> Event:
    return Event(era, institution, term, criteria)


KINDS: dict[str, tuple[Event, ...]] = {
    "agree-pathogenic": (_e(1, ALPHA, "P"), _e(1, BETA, "LP")),
    "agree-benign": (_e(1, BETA, "B"), _e(1, GAMMA, "LB")),
    "agree-uncertain": (_e(1, ALPHA, "VUS"), _e(2, GAMMA, "VUS")),
    "single-lab": (_e(1, GAMMA, "LP"),),
    "no-criteria": (_e(1, DELTA, "P", criteria=False),),
    "conflict-p-vus": (_e(1, ALPHA, "VUS"), _e(3, BETA, "LP")),
    "conflict-p-b": (_e(1, ALPHA, "P"), _e(3, GAMMA, "B")),
    "conflict-vus-b": (_e(1, GAMMA, "VUS"), _e(3, DELTA, "LB")),
    "conflict-early": (_e(1, BETA, "LP"), _e(2, DELTA, "VUS")),
    "expert-panel": (_e(1, ALPHA, "LP"), _e(1, BETA, "VUS"), _e(3, PANEL, "LP")),
    "expert-panel-agree": (_e(1, ALPHA, "P"), _e(1, BETA, "P"), _e(2, GAMMA, "LP"), _e(3, PANEL, "P")),
    "reclass-up": (_e(1, ALPHA, "VUS"), _e(3, ALPHA, "LP"), _e(3, BETA, "P")),
    "reclass-down": (_e(1, GAMMA, "LP"), _e(3, GAMMA, "VUS"), _e(3, DELTA, "VUS")),
    "reclass-benign": (_e(1, BETA, "VUS"), _e(3, BETA, "LB"), _e(3, GAMMA, "B")),
    "reclass-uncertain": (_e(1, DELTA, "LB"), _e(3, DELTA, "VUS")),
    "flag-outlier": (_e(1, ALPHA, "P"), _e(1, BETA, "LP"), _e(2, GAMMA, "B")),
    "flag-outdated": (_e(1, DELTA, "LP"), _e(2, ALPHA, "B"), _e(2, BETA, "LB")),
    "drug-response": (_e(1, ALPHA, "drug response"), _e(2, GUIDELINE, "drug response")),
    "risk-factor": (_e(1, ALPHA, "P"), _e(1, BETA, "risk factor")),
    "benign-risk": (_e(1, ALPHA, "B"), _e(2, GAMMA, "LB"), _e(2, DELTA, "risk factor")),
}
# (kind, institution whose submission the curator flags after era 2, reason code)
FLAGGED_KINDS = {"flag-outlier": (GAMMA, "outlier-claim"), "flag-outdated": (DELTA, "outdated-claim")}

# The real variants' stories, and the synthetic variants the patients carry; other synthetic variants cycle
# through CYCLE so that every kind occurs several times.
ASSIGNED: dict[str, str] = {
    "BRCA1 c.68_69del": "agree-pathogenic", "BRCA1 c.5266dupC": "expert-panel-agree",
    "BRCA2 c.5946del": "agree-pathogenic", "BRCA2 K3326*": "flag-outdated", "CHEK2 c.1100del": "reclass-up",
    "TP53 R175H": "agree-pathogenic", "TP53 R248Q": "single-lab", "TP53 R273H": "conflict-early",
    "MLH1 c.-93G>A": "agree-benign", "CFTR F508del": "agree-pathogenic", "CFTR G551D": "agree-pathogenic",
    "HFE C282Y": "agree-pathogenic", "HFE H63D": "conflict-vus-b", "CYP2C19*2": "drug-response",
    "CYP2C19*3": "drug-response", "CYP2C19*17": "drug-response", "SLCO1B1 c.521T>C": "drug-response",
    "MTHFR C677T": "benign-risk", "F5 Leiden": "risk-factor",
    # carried by the synthetic patients (world_patients.py)
    "BRCA2#1": "reclass-up", "BRCA1#2": "agree-benign", "MYH7#1": "reclass-down", "LDLR#1": "conflict-p-vus",
    "KCNQ1#1": "reclass-uncertain", "TP53#1": "reclass-benign", "MLH1#1": "expert-panel",
    "SCN5A#1": "conflict-vus-b", "MSH2#1": "conflict-p-b", "PALB2#1": "flag-outlier",
}
CYCLE = ("conflict-p-vus", "agree-benign", "conflict-p-b", "reclass-up", "agree-uncertain", "conflict-vus-b",
         "expert-panel", "reclass-down", "single-lab", "flag-outlier", "reclass-benign", "conflict-early",
         "agree-pathogenic", "reclass-uncertain", "no-criteria", "flag-outdated", "agree-uncertain")


def assign_kinds(catalog: tuple[CatalogVariant, ...]) -> dict[str, str]:
    """Variant handle -> scenario kind, deterministic."""
    kinds: dict[str, str] = {}
    cycled = 0
    for variant in catalog:
        if variant.handle in ASSIGNED:
            kinds[variant.handle] = ASSIGNED[variant.handle]
        else:
            kinds[variant.handle] = CYCLE[cycled % len(CYCLE)]
            cycled += 1
    return kinds


def events_of(kind: str) -> tuple[Event, ...]:
    """The classification events of a scenario kind."""
    return KINDS[kind]
