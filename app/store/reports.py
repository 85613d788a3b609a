"""Repository of received reports: status, revision and the receipt given for them (counts and ids only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from app.store.tables import reports


@dataclass(frozen=True)
class ReportRow:
    """A received report as stored (never its content)."""

    id: str
    submitter_id: str
    status: str
    revision: int
    retracted_version: int | None
    summary: dict[str, Any]


def insert_report(conn: Connection, *, id: str, submitter_id: str, status: str, revision: int,
                  report_year: int | None, version: int, summary: dict[str, Any]) -> None:
    """Record a received report and its receipt."""
    conn.execute(insert(reports).values(id=id, submitter_id=submitter_id, status=status, revision=revision,
                                        report_year=report_year, received_version=version, summary=summary))


def find_report(conn: Connection, report_id: str) -> ReportRow | None:
    """A stored report by id."""
    row = conn.execute(select(reports.c.id, reports.c.submitter_id, reports.c.status, reports.c.revision,
                              reports.c.retracted_version, reports.c.summary).where(reports.c.id == report_id)).first()
    return ReportRow(*row) if row else None


def mark_retracted(conn: Connection, report_id: str, version: int) -> None:
    """Mark a report as retracted (entered in error) at ``version``."""
    conn.execute(update(reports).where(reports.c.id == report_id).values(retracted_version=version))


def set_summary(conn: Connection, report_id: str, summary: dict[str, Any]) -> None:
    """Store the receipt of a report once everything it caused is known."""
    conn.execute(update(reports).where(reports.c.id == report_id).values(summary=summary))
