"""Example lab reports for the submit page: a new synthetic patient report that changes an aggregate.

``example_report`` picks, among the world's variants, the first one the chosen lab has not classified yet and
whose current aggregate is a plain classification, and has the lab disagree with it (uncertain against a
pathogenic or benign aggregate, likely pathogenic against an uncertain one), so submitting the report turns the
aggregate into a conflict. The report names an invented patient (name, MRN, birth date, address) so the page
can show that none of it is stored. Each call makes a new report identifier; once submitted, the next example
picks another variant.
"""

from __future__ import annotations

import datetime as dt
import uuid

from app.sandbox import fhir_resources as fr
from app.sandbox.world import LAB_METHOD, METHODS, STYLES
from app.sandbox.world_catalog import CatalogVariant
from app.sandbox.world_scenarios import ALPHA, BETA, DELTA, GAMMA, GUIDELINE, PANEL
from app.services.variants import VariantQueries

EXAMPLE_LABS = (ALPHA, BETA, GAMMA, DELTA, PANEL, GUIDELINE)
_SIDES = {"Pathogenic": "P", "Likely pathogenic": "P", "Pathogenic/Likely pathogenic": "P",
          "Uncertain significance": "V", "Benign": "B", "Likely benign": "B", "Benign/Likely benign": "B"}
_DISAGREE = {"P": "VUS", "V": "LP", "B": "VUS"}


class ExampleError(ValueError):
    """No example can be made (unknown lab, or the lab has classified every variant already)."""


def _slug(name: str) -> str:
    return name.lower().removeprefix("demo ").replace(" ", "-")


def _candidate(lab: str, variants: VariantQueries, catalog: tuple[CatalogVariant, ...]) -> tuple[CatalogVariant, str]:
    for variant in catalog:
        found = variants.search(variant.key).items
        if not found:
            continue
        detail = variants.detail(found[0]["id"]) or {}
        aggregate = detail.get("aggregate") or {}
        side = _SIDES.get(aggregate.get("classification", ""))
        if side is None or aggregate.get("conflict"):
            continue
        if any(s["submitter"] == lab for s in detail.get("submissions", [])):
            continue
        return variant, _DISAGREE[side]
    raise ExampleError(f"{lab} has already classified every variant of the sandbox world")


def example_report(lab: str, variants: VariantQueries, catalog: tuple[CatalogVariant, ...],
                   today: dt.date | None = None) -> dict:
    """A collection Bundle: ``lab``'s report of one invented patient, disagreeing with a current aggregate."""
    if lab not in EXAMPLE_LABS:
        raise ExampleError(f"examples are made for the demo labs: {', '.join(EXAMPLE_LABS)}")
    variant, term = _candidate(lab, variants, catalog)
    today = today or dt.date.today()
    evaluated = today.isoformat()
    run = uuid.uuid4().hex[:8]
    slug = _slug(lab)
    base = f"https://{slug}.sandbox.varshare.example/fhir"
    patient = fr.patient(f"pt-{run}", f"https://{slug}.sandbox.varshare.example/patients", f"SBX-{run.upper()}",
                         "Robin", f"Example-{run[:4].capitalize()}", "female", "1984-02-29")
    patient["address"] = [{"line": ["12 Example Street"], "city": "Sampletown", "postalCode": "SX1 2EX"}]
    patient["telecom"] = [{"system": "phone", "value": "+44 20 7946 0000"}]
    subject = f"Patient/{patient['id']}"
    region = fr.region_studied("region", (variant.gene,), subject, evaluated)
    found = fr.variant_observation("variant", variant, subject=subject, zygosity="heterozygous", issued=evaluated,
                                   style=STYLES.get(lab, "vcf"))
    meaning = fr.implication("implication", "Observation/variant", variant, term, evaluated, subject=subject,
                             method=METHODS.get(lab, LAB_METHOD))
    report = fr.diagnostic_report("report", (f"https://{slug}.sandbox.varshare.example/reports", f"EX-{run}"),
                                  evaluated, [f"Observation/{r['id']}" for r in (region, found, meaning)],
                                  subject=subject, title=f"{variant.gene} analysis (sandbox example)", performer=lab)
    report["conclusion"] = f"Report for {patient['name'][0]['given'][0]} {patient['name'][0]['family']}."
    entries = [(f"{base}/Patient/{patient['id']}", patient)]
    entries += [(f"{base}/{r['resourceType']}/{r['id']}", r) for r in (region, found, meaning, report)]
    return fr.collection(entries)
