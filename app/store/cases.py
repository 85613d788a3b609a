"""Repository of de-identified cases, their findings (case facts) and coded phenotypes.

A case is a random id owned by one institution; the linkage vault, not this store, knows which patient it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, insert, select, update

from app.store.tables import case_facts, case_phenotypes, cases


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
    report_year, created_version."""
    if rows:
        conn.execute(insert(case_facts), [{**row, "superseded_version": None} for row in rows])


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
    return {r.variant_id for r in rows}
