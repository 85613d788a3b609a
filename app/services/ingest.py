"""Ingest use case: one submitted report -> the shared store, in one unit of work, or nothing at all.

Idempotency: a keyed hash of the canonical content finds an identical earlier submission (the same receipt is
returned and nothing changes). Report identity: keyed hashes of the DiagnosticReport identifiers find the
earlier report, so `amended`/`corrected` replace its submissions and case facts (history kept) and
`entered-in-error` retracts them. All those hashes live in the linkage vault, never in the shared store.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.audit.events import CREATE, IMPORT, MINOR_FAILURE, OPERATION, READ, SUCCESS, AuditEvent, entity, submitter
from app.config import ConfigError, Settings
from app.deid.deny_list import DenyList
from app.deid.outgoing import report_fields
from app.deid.phi_guard import find_phi
from app.deid.policy import build_policy
from app.deid.reports import deidentify_report
from app.domain.reports import Issue, MappedReport
from app.ingest.mapper import map_submission
from app.ingest.phi_sources import collect_phi
from app.ingest.profiles import Profiles, ProfilesError, load_profiles
from app.security.linkage_keys import link_hash
from app.services.aggregation import recompute_aggregates, rules_from_settings
from app.services.audit import record_alone, record_disclosure, record_event
from app.services.failures import store_failures_as_unavailable
from app.services.tenants import Caller, Tenants
from app.store import cases as case_repo
from app.store import links
from app.store import reports as report_repo
from app.store import submissions as submission_repo
from app.store.database import Store
from app.store.submissions import SubmissionInput
from app.store.variants import store_variants

REPLACING = frozenset({"amended", "corrected"})
RETRACTING = frozenset({"entered-in-error", "cancelled"})
PRELIMINARY = frozenset({"preliminary", "registered", "partial"})


class IngestRejected(Exception):
    """The submission is refused as a whole; ``issues`` say what and where, ``status`` is the HTTP status."""

    def __init__(self, status: int, issues: list[Issue]) -> None:
        super().__init__(f"submission rejected ({status})")
        self.status = status
        self.issues = issues


@dataclass
class IngestResult:
    """A receipt: what was stored (ids and counts only) and the warnings to act on."""

    receipt: dict[str, Any]
    replayed: bool = False
    issues: list[Issue] = field(default_factory=list)


def _issue_dicts(issues: list[Issue]) -> list[dict[str, str]]:
    return [{"severity": i.severity, "code": i.code, "location": i.location, "message": i.message} for i in issues]


def issues_from_dicts(items: list[dict[str, str]]) -> list[Issue]:
    """Issues back from a stored receipt."""
    return [Issue(i["severity"], i["code"], i["location"], i["message"]) for i in items]


class _StoredMeanwhile(Exception):
    """An identical submission was stored by a concurrent request; answer with its receipt."""


def _reject(status: int, code: str, location: str, message: str) -> IngestRejected:
    return IngestRejected(status, [Issue("error", code, location, message)])


def refuse_phi(deny: DenyList, mapped: MappedReport, receipt: dict[str, Any] | None = None) -> None:
    """The PHI guard: raise 422 when anything about to be stored carries an identifying value of the bundle.

    Called inside the unit of work, so a hit rolls everything back. Issues name the field, never the value."""
    hits = find_phi(deny, report_fields(mapped, receipt))
    if hits:
        raise IngestRejected(422, [Issue("error", "security", hit.location,
                                         f"PHI guard: the {hit.field} would carry a {hit.category} that appears "
                                         "elsewhere in this submission; the submission was refused and nothing "
                                         "was stored. Remove identifying data from coded fields.")
                                   for hit in hits])


def profiles_of(settings: Settings) -> Profiles:
    """The compiled profiles of ``VARSHARE_FHIR_PROFILES_DIR`` (read once per process); a ConfigError if broken."""
    try:
        return load_profiles(Path(settings.fhir_profiles_dir).resolve())
    except ProfilesError as exc:
        raise ConfigError(f"VARSHARE_FHIR_PROFILES_DIR: {exc}") from None


class Ingest:
    """Stores mapped reports for an authenticated submitter."""

    def __init__(self, store: Store, tenants: Tenants, settings: Settings) -> None:
        self._store = store
        self._tenants = tenants
        self._settings = settings
        self._policy = build_policy(settings.privacy_k)
        self._rules = rules_from_settings(settings)
        self.profiles = profiles_of(settings)

    def submit(self, caller: Caller, resource: dict) -> IngestResult:
        """Map, check and store one report (a Bundle, a DiagnosticReport or an Observation)."""
        with store_failures_as_unavailable():
            try:
                return self._submit(caller, resource)
            except IngestRejected as rejected:
                # The refusal is audited on its own: rule ids and paths only, never values.
                record_alone(self._store, AuditEvent.of(CREATE, "C", outcome=MINOR_FAILURE,
                                                        submitter_id=caller.submitter_id, client=caller.name,
                                                        entities=[entity("rule", i.code, path=i.location)
                                                                  for i in rejected.issues[:20]]))
                raise

    def report_receipt(self, caller: Caller, report_id: str) -> dict[str, Any] | None:
        """The receipt of one of the caller's own reports (None for unknown ids and other submitters' reports)."""
        with store_failures_as_unavailable(), self._store.reading() as conn:
            row = report_repo.find_report(conn, report_id)
        if row is None or row.submitter_id != caller.submitter_id:
            return None
        record_disclosure(self._store, AuditEvent.of(READ, "R", submitter_id=caller.submitter_id, client=caller.name,
                                                     entities=[entity("report", report_id),
                                                               submitter(caller.submitter_id)]))
        return {**row.summary, "retracted": row.retracted_version is not None}

    def _submit(self, caller: Caller, resource: dict) -> IngestResult:
        key = self._tenants.linkage_key(caller.submitter_id)
        content_hash = link_hash(key, "content|" + hashlib.sha256(orjson.dumps(resource, option=orjson.OPT_SORT_KEYS))
                                 .hexdigest())
        replay = self._replay(content_hash)
        if replay is not None:
            return replay
        mapped, deny = self._shareable(map_submission(resource, profiles=self.profiles), resource)
        identifier_hashes = [link_hash(key, f"report|{system}|{value}") for system, value in mapped.report_identifiers]
        try:
            return self._store_report(caller, key, mapped, content_hash, identifier_hashes, deny)
        except _StoredMeanwhile:
            replay = self._replay(content_hash)
            assert replay is not None
            return replay

    def _shareable(self, mapped: MappedReport, resource: dict) -> tuple[MappedReport, DenyList]:
        """The de-identified report and the submission's identifying values, or IngestRejected (422) for the rules
        of content: the mapping's errors and the status of the report."""
        if mapped.errors:
            raise IngestRejected(422, mapped.errors)
        shared = deidentify_report(mapped, self._policy)
        if shared.status in PRELIMINARY and not self._settings.accept_preliminary_reports:
            raise _reject(422, "business-rule", "DiagnosticReport.status",
                          f"{shared.status} reports are not shared; send the final report")
        return shared, collect_phi(resource)

    def validate(self, caller: Caller, resource: dict) -> list[Issue]:
        """What submitting ``resource`` would report about its content, storing nothing (FHIR ``$validate``): the
        mapping's issues (conformance notes included), the status rule and the PHI guard on the de-identified report.
        Whether it would replace, retract or conflict with an earlier report is decided when it is submitted. The
        call is audited like a refusal: counts and rule paths, never values."""
        mapped = map_submission(resource, profiles=self.profiles)
        issues = list(mapped.issues)
        if not mapped.errors:
            try:
                shared, deny = self._shareable(mapped, resource)
                refuse_phi(deny, shared)
            except IngestRejected as rejected:
                issues += rejected.issues
        errors = [i for i in issues if i.severity in ("error", "fatal")]
        with store_failures_as_unavailable():
            record_alone(self._store, AuditEvent.of(
                OPERATION, "E", outcome=MINOR_FAILURE if errors else SUCCESS, submitter_id=caller.submitter_id,
                client=caller.name, entities=[entity("operation", "validate", issues=len(issues), errors=len(errors)),
                                              *(entity("rule", i.code, path=i.location) for i in errors[:20])]))
        return issues

    def _replay(self, content_hash: str) -> IngestResult | None:
        with self._store.reading_vault() as vault:
            report_id = links.find_report_id(vault, content_hash)
        if report_id is None:
            return None
        with self._store.reading() as conn:
            row = report_repo.find_report(conn, report_id)
        if row is None:  # a vault link whose store transaction never committed: treat as new
            return None
        return IngestResult(receipt={**row.summary, "replayed": True}, replayed=True,
                            issues=issues_from_dicts(row.summary.get("issues", [])))

    def _store_report(self, caller: Caller, key: bytes, mapped: MappedReport, content_hash: str,
                      identifier_hashes: list[str], deny: DenyList) -> IngestResult:
        warnings = [i for i in mapped.issues if i.severity != "error"]
        report_id = str(uuid.uuid4())
        with self._store.unit_of_work() as uow:
            uow.lock_writes()
            if links.find_report_id(uow.vault, content_hash) is not None:
                raise _StoredMeanwhile  # the same content committed while we waited for the write lock
            prior_id = next((r for r in (links.find_report_id(uow.vault, h) for h in identifier_hashes) if r), None)
            prior = report_repo.find_report(uow.conn, prior_id) if prior_id else None
            if prior is not None and prior.submitter_id != caller.submitter_id:
                prior = None  # hashes are per institution, so this cannot happen; never touch another's report
            active = prior is not None and prior.status not in RETRACTING and prior.retracted_version is None
            withdrawn: set[str] = set()
            if mapped.status in RETRACTING and not active:
                raise _reject(422, "not-found", "DiagnosticReport.identifier",
                              "entered-in-error needs the identifier of an earlier, not yet retracted report "
                              "from this submitter")
            if active and mapped.status not in REPLACING | RETRACTING:
                raise _reject(409, "duplicate", "DiagnosticReport.identifier",
                              "a different report with this identifier was already received; send it with status "
                              "'amended' or 'corrected' to replace the earlier one")
            if not active and mapped.status in REPLACING and identifier_hashes:
                warnings.append(Issue("warning", "not-found", "DiagnosticReport.identifier",
                                      f"no earlier report with this identifier; the {mapped.status} report is "
                                      "stored as a new one"))
            version = uow.bump_version("retraction" if mapped.status in RETRACTING else
                                       "amendment" if active else "ingest", caller.submitter_id,
                                       {"report": report_id})
            revision = prior.revision + 1 if prior is not None else 1
            if active:
                withdrawn |= submission_repo.withdraw_report_submissions(
                    uow.conn, prior.id, version, retract=mapped.status in RETRACTING)
                withdrawn |= case_repo.withdraw_report_case_facts(uow.conn, prior.id, version)
                if mapped.status in RETRACTING:
                    report_repo.mark_retracted(uow.conn, prior.id, version)
            report_repo.insert_report(uow.conn, id=report_id, submitter_id=caller.submitter_id, status=mapped.status,
                                      revision=revision, report_year=mapped.issued.year if mapped.issued else None,
                                      version=version, summary={})
            if mapped.status in RETRACTING:
                receipt = self._receipt(report_id, mapped.status, revision, version, warnings, {}, None, 0, 0,
                                        withdrawn, prior if active else None)
            else:
                receipt = self._store_content(uow, caller, key, mapped, report_id, revision, version, warnings,
                                              withdrawn, prior if active else None)
            affected = withdrawn | {v["id"] for v in receipt["variants"]} | {m["from"] for m in receipt["merged"]}
            recompute_aggregates(uow.conn, affected, version, "retraction" if mapped.status in RETRACTING else
                                 "amendment" if active else "submission", report_id, self._rules)
            refuse_phi(deny, mapped, receipt)
            report_repo.set_summary(uow.conn, report_id, receipt)
            record_event(uow, AuditEvent.of(
                IMPORT, "C", submitter_id=caller.submitter_id, client=caller.name,
                entities=[entity("report", report_id, status=mapped.status, revision=revision, storeVersion=version,
                                 classifications=receipt["classifications"]["created"], findings=receipt["findings"]),
                          *(entity("case", case_id) for case_id in receipt.get("caseIds", []))]))
            for h in identifier_hashes:
                links.link_report(uow.vault, caller.submitter_id, h, "identifier", report_id)
            links.link_report(uow.vault, caller.submitter_id, content_hash, "content", report_id)
        return IngestResult(receipt=receipt, issues=warnings)

    def _store_content(self, uow, caller: Caller, key: bytes, mapped: MappedReport, report_id: str, revision: int,
                       version: int, warnings: list[Issue], withdrawn: set[str], prior) -> dict[str, Any]:
        variants = [c.variant for c in mapped.classifications]
        variants += [f.variant for case in mapped.cases for f in case.findings]
        stored = store_variants(uow.conn, variants, version)
        conditions = [c.condition for c in mapped.classifications]
        conditions += [p for case in mapped.cases for p in case.phenotypes]
        conditions += [c for case in mapped.cases for r in case.relatives for c in r.conditions]
        submission_repo.store_conditions(uow.conn, conditions)
        items = [SubmissionInput(
            variant_id=stored.ids[c.variant.key], condition_key=c.condition.key,
            classification_type=c.classification_type, term=c.term, term_recognised=c.term_recognised,
            criteria_provided=c.criteria_provided, criteria_code=c.criteria_code,
            date_last_evaluated=c.date_last_evaluated, mode_of_inheritance=c.mode_of_inheritance, origin=c.origin,
            date_precision=c.date_precision,
        ) for c in mapped.classifications]
        changes = submission_repo.record_submissions(
            uow.conn, caller.submitter_id, report_id, items, version,
            late_evaluations_stay_history=self._rules.supersede_by == "date_last_evaluated")
        if changes.stale:
            warnings.append(Issue("warning", "business-rule", "DiagnosticReport",
                                  f"{len(changes.stale)} classification(s) are older than this submitter's current "
                                  "evaluation of the same variant and condition; kept in history only"))
        findings, case_ids = self._store_cases(uow, caller, key, mapped, report_id, stored.ids, version, warnings)
        receipt = self._receipt(report_id, mapped.status, revision, version, warnings, stored.ids, changes,
                                findings, len(mapped.cases), withdrawn, prior, merges=stored.merges,
                                variants={v.key: v for v in variants})
        if case_ids:
            receipt["caseIds"] = case_ids  # the submitter's own case pseudonyms (random ids)
        return receipt

    def _store_cases(self, uow, caller: Caller, key: bytes, mapped: MappedReport, report_id: str,
                     variant_ids: dict[str, str], version: int, warnings: list[Issue]) -> tuple[int, list[str]]:
        facts: list[dict[str, Any]] = []
        phenotypes: list[tuple[str, str]] = []
        new_links: dict[str, str] = {}
        case_ids: list[str] = []
        relatives: list[tuple[str, list]] = []
        for case in mapped.cases:
            hashes = [link_hash(key, f"patient|{system.strip()}|{value.strip()}")
                      for system, value in case.patient_identifiers]
            known = links.find_case_ids(uow.vault, hashes)
            case_id = next((known[h] for h in hashes if h in known), None) or str(uuid.uuid4())
            if not hashes:
                warnings.append(Issue("warning", "required", "Patient.identifier",
                                      "the patient has no identifier, so later reports about the same patient "
                                      "cannot be linked to this case"))
            new_links.update({h: case_id for h in hashes if h not in known})
            case_ids.append(case_id)
            facts.extend({
                "id": str(uuid.uuid4()), "case_id": case_id, "report_id": report_id,
                "variant_id": variant_ids[f.variant.key], "zygosity": f.zygosity, "origin": f.origin,
                "stated_term": f.stated_term, "report_year": case.report_year, "age_at_report": case.age,
                "created_version": version,
            } for f in case.findings)
            phenotypes.extend((case_id, p.key) for p in case.phenotypes)
            relatives.append((case_id, case.relatives))
        if not case_ids:
            return 0, []
        case_repo.ensure_cases(uow.conn, caller.submitter_id, case_ids, version)
        case_repo.insert_case_facts(uow.conn, facts)
        case_repo.add_case_phenotypes(uow.conn, phenotypes, version)
        for case_id, family in relatives:
            case_repo.insert_relatives(uow.conn, case_id, report_id, family, version)
        links.link_cases(uow.vault, caller.submitter_id, new_links)
        return len(facts), sorted(set(case_ids))

    @staticmethod
    def _receipt(report_id: str, status: str, revision: int, version: int, warnings: list[Issue],
                 variant_ids: dict[str, str], changes, findings: int, cases: int, withdrawn: set[str], prior,
                 merges=(), variants=None) -> dict[str, Any]:
        listed = {}
        for variant_key, variant_id in sorted(variant_ids.items()):
            variant = (variants or {}).get(variant_key)
            listed.setdefault(variant_id, {"id": variant_id, "key": variant_key,
                                           "kind": variant.kind.value if variant else None,
                                           "normalised": bool(variant.normalised) if variant else None})
        return {
            "report": report_id,
            "status": status,
            "revision": revision,
            "replaces": prior.id if prior is not None else None,
            "storeVersion": version,
            "classifications": {
                "created": len(changes.created) if changes else 0,
                "unchanged": len(changes.unchanged) if changes else 0,
                "stale": len(changes.stale) if changes else 0,
                "superseded": len(changes.superseded) if changes else 0,
            },
            "withdrawnVariants": len(withdrawn),
            "findings": findings,
            "cases": cases,
            "variants": list(listed.values()),
            "merged": [{"from": a, "into": b} for a, b in merges],
            "issues": _issue_dicts(warnings),
            "replayed": False,
        }

    def submit_batch_entries(self, caller: Caller, bundle: dict) -> list[IngestResult | IngestRejected]:
        """FHIR batch semantics: each entry is its own submission and succeeds or fails on its own."""
        outcomes: list[IngestResult | IngestRejected] = []
        for i, entry in enumerate(bundle.get("entry") or []):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                outcomes.append(_reject(400, "required", f"Bundle.entry[{i}].resource", "the entry has no resource"))
                continue
            try:
                outcomes.append(self.submit(caller, resource))
            except IngestRejected as rejected:
                outcomes.append(rejected)
        return outcomes
