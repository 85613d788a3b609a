"""De-identification of a mapped report: the date and age rules of the policy, applied before anything is stored.

The mapper already produces only coded, validated domain fields; this step generalises what remains about the
patient: classification dates inside a patient's report keep only their year, ages become whole years with a
"90+" top code, and a top-coded case keeps no report year (a year beside "90+" could narrow the birth year).
"""

from __future__ import annotations

import dataclasses

from app.deid.ages import age_category, is_top_coded, year_precision
from app.deid.policy import PrivacyPolicy
from app.domain.reports import CaseRecord, Classification, MappedReport


def _classification(item: Classification, policy: PrivacyPolicy) -> Classification:
    if policy.classification_date_precision_in_reports != "year" or item.date_last_evaluated is None:
        return item
    return dataclasses.replace(item, date_last_evaluated=year_precision(item.date_last_evaluated),
                               date_precision="year")


def _case(case: CaseRecord, policy: PrivacyPolicy) -> CaseRecord:
    age = age_category(case.age_years, policy.age_top_code)
    year = None if is_top_coded(age) else case.report_year
    return dataclasses.replace(case, age_years=None, age=age, report_year=year)


def deidentify_report(mapped: MappedReport, policy: PrivacyPolicy) -> MappedReport:
    """A copy of ``mapped`` that follows the policy's date and age rules (identifiers stay for the vault only)."""
    about_patient = mapped.about_patient or bool(mapped.cases)
    classifications = [_classification(c, policy) for c in mapped.classifications] if about_patient \
        else list(mapped.classifications)
    cases = [_case(c, policy) for c in mapped.cases]
    issued = mapped.issued
    if issued is not None and about_patient:
        issued = None if any(is_top_coded(c.age) for c in cases) else year_precision(issued)
    return dataclasses.replace(mapped, classifications=classifications, cases=cases, issued=issued,
                               about_patient=about_patient)
