"""Linkage-vault repository: keyed hashes of patient and report identifiers -> random ids.

Callers pass HMACs computed with the institution's own linkage key; this module never sees an identifier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from app.store.vault_tables import patient_links, report_links

# Built once: the hook path runs it on every call, and building a statement per call costs more than running it.
_OWN_CASE_IDS = select(patient_links.c.case_id).where(
    patient_links.c.link_hash.in_(bindparam("hashes", expanding=True)),
    patient_links.c.submitter_id == bindparam("submitter"))


def find_case_ids(vault: Connection, hashes: Iterable[str]) -> dict[str, str]:
    """Link hash -> case id for the hashes already linked."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    rows = vault.execute(select(patient_links.c.link_hash, patient_links.c.case_id)
                         .where(patient_links.c.link_hash.in_(wanted)))
    return {h: c for h, c in rows}


def link_cases(vault: Connection, submitter_id: str, links: dict[str, str]) -> None:
    """Store new hash -> case id links (hashes already linked are left alone)."""
    present = find_case_ids(vault, links)
    now = dt.datetime.now(dt.UTC)
    rows = [{"link_hash": h, "submitter_id": submitter_id, "case_id": c, "created_at": now}
            for h, c in sorted(links.items()) if h not in present]
    if rows:
        vault.execute(insert(patient_links), rows)


def find_report_id(vault: Connection, link_hash: str) -> str | None:
    """The report a report-identifier or content hash points to."""
    return vault.execute(select(report_links.c.report_id).where(report_links.c.link_hash == link_hash)).scalar()


def link_report(vault: Connection, submitter_id: str, link_hash: str, kind: str, report_id: str) -> None:
    """Point a hash at a report (replacing an earlier target: an identifier follows the newest revision)."""
    if find_report_id(vault, link_hash) is None:
        vault.execute(insert(report_links).values(link_hash=link_hash, submitter_id=submitter_id, kind=kind,
                                                  report_id=report_id, created_at=dt.datetime.now(dt.UTC)))
    else:
        vault.execute(update(report_links).where(report_links.c.link_hash == link_hash).values(report_id=report_id))


def find_own_case_ids(vault: Connection, submitter_id: str, hashes: Iterable[str]) -> set[str]:
    """The case ids one institution's hashes link to (another institution's links are never returned)."""
    wanted = sorted(set(hashes))
    if not wanted:
        return set()
    return set(vault.execute(_OWN_CASE_IDS, {"hashes": wanted, "submitter": submitter_id}).scalars())


def unlink_cases(vault: Connection, submitter_id: str, case_ids: Iterable[str]) -> int:
    """Remove every link of one institution to the given cases (all identifiers of the patient); returns how many."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return 0
    return vault.execute(delete(patient_links).where(patient_links.c.case_id.in_(wanted),
                                                     patient_links.c.submitter_id == submitter_id)).rowcount
