"""Tables of the linkage vault: a separate database that maps keyed hashes to random ids.

Only HMACs (keyed with each institution's own linkage key) and random ids live here, never an identifier.
It lets an institution find its own patients' cases and its own earlier reports; nobody else can link.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table

from app.store.tables import NAMING

vault_metadata = MetaData(naming_convention=NAMING)

patient_links = Table(
    "patient_links",
    vault_metadata,
    Column("link_hash", String(64), primary_key=True),  # HMAC(institution key, system|value)
    Column("submitter_id", String(36), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_patient_links_case", "case_id"),
)

report_links = Table(
    "report_links",
    vault_metadata,
    Column("link_hash", String(64), primary_key=True),  # HMAC(institution key, report identifier or content)
    Column("submitter_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),  # identifier | content
    Column("report_id", String(36), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_report_links_report", "report_id"),
)
