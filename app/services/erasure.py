"""Erasure of one institution's patient: its vault links and case data go; its classifications of variants stay.

The patient is named the way the institution knows them (an identifier ``SYSTEM|VALUE``); the keyed hash
finds the case through the vault, and every identifier linked to that case is unlinked too. Submissions
(the lab's classifications) are not case data and remain, as ClinVar's would. The erasure is recorded as a
store version of kind ``erasure`` and in the audit log (the case pseudonyms, never the identifier).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.audit.events import DELETE, AuditEvent, entity
from app.security.linkage_keys import link_hash
from app.services.audit import record_event
from app.services.tenants import Tenants
from app.store import cases as case_repo
from app.store import links
from app.store.database import Store


class ErasureError(ValueError):
    """The erasure cannot be done as asked; the message says why (and never echoes the identifier)."""


@dataclass(frozen=True)
class ErasureResult:
    """What was removed: counts only."""

    cases: int
    links: int
    case_facts: int
    phenotypes: int
    relatives: int
    store_version: int | None


def parse_patient_identifier(text: str) -> tuple[str, str]:
    """``SYSTEM|VALUE`` -> (system, value), stripped; the value may itself contain '|'."""
    system, bar, value = text.partition("|")
    if not bar or not value.strip():
        raise ErasureError("--patient-identifier must be SYSTEM|VALUE (e.g. http://hospital.example/mrn|12345)")
    return system.strip(), value.strip()


class Erasure:
    """Erases patients' case data on behalf of an institution."""

    def __init__(self, store: Store, tenants: Tenants) -> None:
        self._store = store
        self._tenants = tenants

    def erase_patient(self, tenant_name: str, system: str, value: str) -> ErasureResult:
        """Remove the institution's links and case data for the patient with this identifier."""
        row = self._tenants.get(tenant_name)
        key = self._tenants.linkage_key(row.id)
        token = link_hash(key, f"patient|{system}|{value}")
        with self._store.unit_of_work() as uow:
            uow.lock_writes()
            case_ids = links.find_own_case_ids(uow.vault, row.id, [token])
            if not case_ids:
                return ErasureResult(0, 0, 0, 0, 0, None)
            unlinked = links.unlink_cases(uow.vault, row.id, case_ids)
            erased = case_repo.erase_cases(uow.conn, row.id, case_ids)
            version = uow.bump_version("erasure", row.id, {"cases": erased.cases, "caseFacts": erased.case_facts,
                                                           "variants": sorted(erased.variants)})
            record_event(uow, AuditEvent.of(DELETE, "D", submitter_id=row.id, client=row.name, entities=[
                *(entity("case", case_id) for case_id in sorted(case_ids)),
                entity("erasure", None, links=unlinked, caseFacts=erased.case_facts, storeVersion=version)]))
        return ErasureResult(erased.cases, unlinked, erased.case_facts, erased.phenotypes, erased.relatives, version)
