"""The ingest entry point: one submitted FHIR report (Bundle, bare DiagnosticReport or lone Observation) ->
:class:`app.domain.reports.MappedReport`.

Pipeline: index every resource once (entries and contained) -> R4B validation per entry -> route each
Observation on ``code`` -> read Variants (call, identity, aliases) and implications -> link implications to
Variants (``derivedFrom``/``hasMember``, reverse index) -> classifications and per-patient case facts.
Problems become :class:`Issue` objects with input paths; nothing here raises on bad input. ``read_for_hook`` is
the same reading (``lenient``, no R4B pass) stopped before the report is built, for the CDS hook.

Decisions (genomics-reporting.md, classification-aggregation.md §17 and the issue):

- Only ``Present`` (LA9633-4) is a finding; absent/no-call/indeterminate are information issues. A missing
  value is an error for lab submissions, and "present + warning" when ``lenient`` (hook-time EHR data).
- Reference calls (ref == alt, or SO:0002073 wild type) are not findings (information issue).
- Variant identity follows the precedence in :mod:`app.ingest.alleles`. CNVs (copy number 82155-3,
  inner/outer ranges, CNV change types) become structural (region) variants and repeat-motif/repeat-number
  components repeat variants; both are findings and can be classified like any other variant.
- Classification type is ``germline`` for every Diagnostic Implication (and STU1 53037-8 Observation),
  whatever
  the genomic source class: somatic impact/oncogenicity profiles are not read yet. ``origin`` carries the
  variant's genomic source class.
- Unknown significance terms are kept verbatim with a warning; a 53037-8 component on the Variant itself is
  accepted with a warning; an implication on a combination (parent Variant, Genotype, Haplotype, several
  Variants) is skipped with an information issue; two different terms for one variant and condition in one
  report are an error.
- Date last evaluated: the implication's effective[x], else its ``issued``, else the report's ``issued``.
- Submitter is never read from the bundle; ``performer`` keeps only an Organization's identifier value or id.
- ``lenient`` also downgrades R4B structure errors to warnings; ``validate=False`` skips the R4B pass altogether
  (hook-time prefetch: targeted checks only, because full model validation costs several times the mapping).
"""

from __future__ import annotations

from typing import NamedTuple

from app.domain.reports import Issue, MappedReport
from app.ingest import routing
from app.ingest.bundle_index import BundleIndex, Entry, index_submission
from app.ingest.cases import Subjects, build_cases, findings_by_subject, report_date_of
from app.ingest.classifications import build_classifications, kept_assertions, with_stated_terms
from app.ingest.components import Components
from app.ingest.findings import Found, read_finding
from app.ingest.implications import Assertion, read_assertions, significance_value
from app.ingest.linking import ObservationGraph
from app.ingest.profiles import Profiles
from app.ingest.report_header import read_issued, read_performer, read_status
from app.ingest.validation import validate_submission
from app.ingest.values import identifiers_of, list_of


def map_submission(resource: dict, *, lenient: bool = False, validate: bool = True,
                   profiles: Profiles | None = None) -> MappedReport:
    """Read one submission into a MappedReport; every problem is an Issue, never an exception. With ``validate``
    and ``profiles``, the deviations from the Genomics Reporting profiles are reported too (never refusing)."""
    try:
        return _Mapping(resource, lenient, validate, profiles=profiles).run()
    except Exception:
        report = MappedReport()
        report.issues.append(
            Issue(
                "fatal",
                "exception",
                "(root)",
                "The submission could not be read; check that it is a FHIR R4 resource.",
            )
        )
        return report


class HookReading(NamedTuple):
    """What the hook-time reader needs from a submission (see :func:`read_for_hook`)."""

    findings: list[Found]  # as map_submission's cases list them, subject by subject (zygosity and origin unread)
    classified: list[tuple[Assertion, Found]]  # the pairs map_submission's classifications are built from


def read_for_hook(resource: dict) -> HookReading | None:
    """``map_submission(resource, lenient=True, validate=False)`` up to its classifications and case findings,
    without building the report (for the CDS hook, which needs only those). The same reading, so the same
    findings in the same order and the same classifications (as the assertions they are built from); when the
    mapping fails, none. None when the submission carries family history: only the full mapping reads that,
    and a case's family history can decide whether the whole report is readable.
    """
    try:
        mapping = _Mapping(resource, True, False, details=False)
        if mapping.index.of_type("FamilyMemberHistory"):
            return None
        if not mapping.read():
            return HookReading([], [])
        classified = kept_assertions(mapping.pairs, mapping.issues)
        by_subject = findings_by_subject(mapping.subjects, list(mapping.variants.items()))
        return HookReading([found for group in by_subject.values() for found in group], classified)
    except Exception:
        return HookReading([], [])


class _Mapping:
    """The state of mapping one submission."""

    def __init__(self, resource: dict, lenient: bool, validate: bool = True, *, details: bool = True,
                 profiles: Profiles | None = None) -> None:
        self.resource = resource
        self.profiles = profiles if validate else None
        self.lenient = lenient
        self.validate = validate
        self.details = details  # False: findings without zygosity and origin (nothing built from them reads them)
        self.report = MappedReport()
        self.issues = self.report.issues
        self.index: BundleIndex = index_submission(resource)
        self.kinds: dict[Entry, str] = {}
        self.components: dict[Entry, Components] = {}
        self.variants: dict[Entry, Found] = {}
        self.not_findings: dict[Entry, str] = {}
        self.head: Entry | None = None
        self.subjects = Subjects(self.index)
        self.pairs: list[tuple[Assertion, Found]] = []  # every assertion on an identified variant, in order

    def run(self) -> MappedReport:
        if not self.read():
            return self.report
        head, subjects = self.head, self.subjects
        self.report.classifications = build_classifications(self.pairs, self.issues)
        findings = with_stated_terms(list(self.variants.items()), self.report.classifications)
        year_sources = [head.resource] if head is not None else []
        year_sources += [e.resource for e, _ in findings]
        report_date = report_date_of(year_sources)
        self.report.cases = build_cases(
            self.index, subjects, self.kinds, findings, report_date.year if report_date else None, report_date
        )
        self.report.about_patient = subjects.report_subject is not None or bool(self.index.of_type("Patient"))
        return self.report

    def read(self) -> bool:
        """Everything up to the classifications: header, graph, subjects, Variants and their assertions.

        False (and nothing read) when the submission is not readable at all.
        """
        self.issues.extend(self.index.issues)
        if any(i.severity == "fatal" for i in self.issues):
            return False
        if self.validate:
            self.issues.extend(validate_submission(self.resource, self.index, lenient=self.lenient))
        observations = self.index.of_type("Observation")
        kinds = self.kinds
        for entry in observations:
            kinds[entry] = routing.route_observation(entry.resource)
        head = self.head = self._read_header(observations)
        graph = ObservationGraph(self.index, observations, kinds, self.issues)
        self._flag_orphans(graph, head, observations)
        subjects = self.subjects
        if head is not None and head.resource_type == "DiagnosticReport":
            subjects.report_subject = subjects.key_of(head)
        mapped = [e for e in observations if subjects.check(e, kinds[e], self.issues)]
        for entry in mapped:
            if kinds[entry] == routing.VARIANT and not graph.is_parent(entry):
                self._read_variant(entry)
        assertions = self._read_implications(mapped, graph)
        self.pairs = [(assertion, self.variants[target]) for assertion, target in assertions]
        if self.profiles is not None:
            # Conformance notes where the mapping has not already said something about the same element.
            said = {issue.location for issue in self.issues}
            notes = self.profiles.check((entry.resource, entry.location) for entry in self.index.entries)
            self.issues.extend(issue for issue in notes if issue.location not in said)
        return True

    def _read_header(self, observations: list[Entry]) -> Entry | None:
        reports = self.index.of_type("DiagnosticReport")
        if len(reports) > 1:
            self.issues.append(
                Issue(
                    "error",
                    "business-rule",
                    reports[1].location,
                    "More than one DiagnosticReport: submit one report per Bundle.",
                )
            )
        head = reports[0] if reports else None
        if (
            head is None
            and len(self.index.entries) >= 1
            and self.index.entries[0].resource_type == "Observation"
            and self.index.bundle_type is None
        ):
            head = self.index.entries[0]
        if head is None:
            return None
        if head.resource_type == "DiagnosticReport":
            self.report.report_identifiers = identifiers_of(head.resource)
        self.report.status = read_status(head, self.issues)
        self.report.issued = read_issued(head)
        self.report.performer = read_performer(self.index, head)
        return head

    def _flag_orphans(self, graph: ObservationGraph, head: Entry | None, observations: list[Entry]) -> None:
        if head is None or head.resource_type != "DiagnosticReport":
            return
        roots = []
        for i, reference in enumerate(list_of(head.resource.get("result"))):
            target = self.index.resolve(reference, head)
            if target is not None:
                roots.append(target)
            elif isinstance(reference, dict) and isinstance(reference.get("reference"), str):
                self.issues.append(
                    Issue(
                        "warning",
                        "not-found",
                        f"{head.location}.result[{i}]",
                        "The referenced result is not in this submission.",
                    )
                )
        reached = graph.reachable(roots)
        for entry in observations:
            if entry not in reached and self.kinds[entry] in routing.MAPPED_KINDS:
                self.issues.append(
                    Issue(
                        "information",
                        "informational",
                        entry.location,
                        "Not referenced from the DiagnosticReport (directly or through "
                        "hasMember/derivedFrom); it is processed anyway.",
                    )
                )

    def _components(self, entry: Entry) -> Components:
        found = self.components.get(entry)
        if found is None:
            found = self.components[entry] = Components(entry.resource, entry.location)
        return found

    def _read_variant(self, entry: Entry) -> None:
        finding, why = read_finding(entry, self._components(entry), self.lenient, self.issues, details=self.details)
        if finding is None:
            self.not_findings[entry] = why
        else:
            self.variants[entry] = finding

    def _read_implications(
        self, mapped: list[Entry], graph: ObservationGraph
    ) -> list[tuple[Assertion, Entry]]:
        out: list[tuple[Assertion, Entry]] = []
        for entry in mapped:
            kind = self.kinds[entry]
            if kind == routing.VARIANT:
                components = self._components(entry)
                value = significance_value(components)
                if value is None:
                    continue
                self.issues.append(
                    Issue(
                        "warning",
                        "structure",
                        value[1],
                        "Clinical significance on the Variant "
                        "itself is accepted, but belongs on a Diagnostic Implication.",
                    )
                )
                targets, combination = ([entry], False) if not graph.is_parent(entry) else ([], True)
            elif kind == routing.DIAGNOSTIC_IMPLICATION:
                components = self._components(entry)
                value = significance_value(components)
                if value is None:
                    self.issues.append(
                        Issue(
                            "information",
                            "informational",
                            entry.location,
                            "Diagnostic implication without clinical significance (53037-8).",
                        )
                    )
                    continue
                targets, combination = graph.variant_targets(entry)
            elif kind == routing.SIGNIFICANCE_STU1:
                components = self._components(entry)
                value = (entry.resource.get("valueCodeableConcept"), f"{entry.location}.valueCodeableConcept")
                targets, combination = graph.variant_targets(entry)
            else:
                continue
            assertions = read_assertions(
                entry.resource, components, value[0], value[1], self.report.issued, self.issues
            )
            if not assertions:
                continue
            if combination:
                self.issues.append(
                    Issue(
                        "information",
                        "not-supported",
                        entry.location,
                        "This implication classifies a combination of variants (complex or "
                        "compound variant, genotype or haplotype); it is not stored.",
                    )
                )
                continue
            if not targets:
                self.issues.append(
                    Issue(
                        "warning",
                        "not-found",
                        f"{entry.location}.derivedFrom",
                        "The variant this implication classifies is not in this submission; "
                        "the classification is not stored.",
                    )
                )
                continue
            target = targets[0]
            if target not in self.variants:
                why = self.not_findings.get(target, "not identified")
                self.issues.append(
                    Issue(
                        "warning",
                        "business-rule",
                        entry.location,
                        f"The classified variant is {why}; the classification is not stored.",
                    )
                )
                continue
            out.extend((assertion, target) for assertion in assertions)
        return out
