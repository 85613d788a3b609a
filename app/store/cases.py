"""Repository of de-identified cases, their findings (case facts) and coded phenotypes.

A case is a random id owned by one institution; the linkage vault, not this store, knows which patient it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from app.domain.reports import Relative
from app.store.tables import case_facts, case_phenotypes, case_relative_conditions, case_relatives, cases


def ensure_cases(conn: Connection, submitter_id: str, case_ids: Iterable[str], version: int) -> None:
    """Create the cases that do not exist yet."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return
    present = set(conn.execute(select(cases.c.id).where(cases.c.id.in_(wanted))).scalars())
    rows = [{"id": c, "submitter_id": submitter_id, "created_version": version} for c in wanted if c not in present]
    if rows:
        conn.execute(insert(cases), rows)


def insert_case_facts(conn: Connection, rows: list[dict]) -> None:
    """Insert findings: dicts with id, case_id, report_id, variant_id, zygosity, origin, stated_term,
    report_year, age_at_report (optional), created_version."""
    if rows:
        conn.execute(insert(case_facts), [{"age_at_report": None, **row, "superseded_version": None}
                                          for row in rows])


def insert_relatives(conn: Connection, case_id: str, report_id: str, relatives: Iterable[Relative],
                     version: int) -> int:
    """Store a case's relatives (relationship, sex, coded conditions) under new random ids; returns how many.
    Their condition keys must already be stored."""
    rows, conditions = [], []
    for relative in relatives:
        relative_id = str(uuid.uuid4())
        rows.append({"id": relative_id, "case_id": case_id, "report_id": report_id,
                     "relationship": relative.relationship, "sex": relative.sex, "created_version": version,
                     "superseded_version": None})
        conditions.extend({"relative_id": relative_id, "condition_key": c.key}
                          for c in {c.key: c for c in relative.conditions}.values())
    if rows:
        conn.execute(insert(case_relatives), rows)
    if conditions:
        conn.execute(insert(case_relative_conditions), conditions)
    return len(rows)


def add_case_phenotypes(conn: Connection, pairs: Iterable[tuple[str, str]], version: int) -> None:
    """Attach coded phenotypes (case id, condition key) not attached yet."""
    wanted = sorted(set(pairs))
    if not wanted:
        return
    case_ids = sorted({c for c, _ in wanted})
    present = {(c, k) for c, k in conn.execute(select(case_phenotypes.c.case_id, case_phenotypes.c.condition_key)
                                               .where(case_phenotypes.c.case_id.in_(case_ids)))}
    rows = [{"case_id": c, "condition_key": k, "created_version": version} for c, k in wanted if (c, k) not in present]
    if rows:
        conn.execute(insert(case_phenotypes), rows)


def withdraw_report_case_facts(conn: Connection, report_id: str, version: int) -> set[str]:
    """Supersede a report's current findings (amendment or retraction); returns the variants concerned."""
    rows = conn.execute(select(case_facts.c.id, case_facts.c.variant_id).where(
        case_facts.c.report_id == report_id, case_facts.c.superseded_version.is_(None))).all()
    if rows:
        conn.execute(update(case_facts).where(case_facts.c.id.in_([r.id for r in rows]))
                     .values(superseded_version=version))
    conn.execute(update(case_relatives).where(case_relatives.c.report_id == report_id,
                                              case_relatives.c.superseded_version.is_(None))
                 .values(superseded_version=version))
    return {r.variant_id for r in rows}


@dataclass(frozen=True)
class ErasedCases:
    """What erasing cases removed (row counts), and the variants whose case counts changed."""

    cases: int
    case_facts: int
    phenotypes: int
    relatives: int
    variants: frozenset[str]


def erase_cases(conn: Connection, submitter_id: str, case_ids: Iterable[str]) -> ErasedCases:
    """Delete an institution's cases with every case fact, phenotype and relative (history included).
    Cases of other institutions are never touched; submissions (classifications) are not case data and stay."""
    wanted = sorted(set(case_ids))
    owned = sorted(conn.execute(select(cases.c.id).where(cases.c.id.in_(wanted),
                                                         cases.c.submitter_id == submitter_id)).scalars()) \
        if wanted else []
    if not owned:
        return ErasedCases(0, 0, 0, 0, frozenset())
    variants = frozenset(conn.execute(select(case_facts.c.variant_id).where(case_facts.c.case_id.in_(owned)))
                         .scalars())
    relative_ids = select(case_relatives.c.id).where(case_relatives.c.case_id.in_(owned))
    conn.execute(delete(case_relative_conditions).where(case_relative_conditions.c.relative_id.in_(relative_ids)))
    relatives = conn.execute(delete(case_relatives).where(case_relatives.c.case_id.in_(owned))).rowcount
    facts = conn.execute(delete(case_facts).where(case_facts.c.case_id.in_(owned))).rowcount
    phenotypes = conn.execute(delete(case_phenotypes).where(case_phenotypes.c.case_id.in_(owned))).rowcount
    removed = conn.execute(delete(cases).where(cases.c.id.in_(owned))).rowcount
    return ErasedCases(removed, facts, phenotypes, relatives, variants)
