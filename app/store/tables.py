"""Tables of the shared variant store (one SQLAlchemy MetaData; Alembic migrations mirror it).

The shared store is read by many institutions, so nothing here holds a patient identifier or a value
derived from one: cases are random ids, report identifiers and content hashes live in the linkage vault.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

ROLES = ("lab", "expert-panel", "practice-guideline", "ehr", "curator", "reader", "admin")

store_versions = Table(
    "store_versions",
    metadata,
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("committed_at", DateTime(timezone=True), nullable=False),
    Column("submitter_id", String(36), nullable=True),
    Column("kind", String(40), nullable=False),  # ingest | amendment | retraction | flag | tenant | ...
    Column("summary", JSON, nullable=False),
)

# Numbers kept with the changes that move them (``app.store.counters``): the headline counts (counting 1 million
# variants and 3 million submissions took half a second on every view of the public overview page, and grew with
# the store) and how far the audit subjects have been indexed by institution (``app.store.audit``).
store_counters = Table(
    "store_counters",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

submitters = Table(
    "submitters",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(40), nullable=False),
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("token_hint", String(12), nullable=True),  # first characters, to tell tokens apart in listings
    Column("jwks_url", Text, nullable=True),
    Column("issuer", Text, nullable=True),
    Column("is_demo", Boolean, nullable=False, server_default=text("false")),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_submitters_issuer", "issuer"),
)

variants = Table(
    "variants",
    metadata,
    Column("id", String(32), primary_key=True),  # derived from key
    Column("key", Text, nullable=False, unique=True),
    Column("kind", String(20), nullable=False),  # allele | transcript | structural | repeat
    Column("normalised", Boolean, nullable=False),
    Column("assembly", String(10), nullable=True),
    Column("chromosome", String(4), nullable=True),
    Column("position", BigInteger, nullable=True),
    Column("ref", Text, nullable=True),
    Column("alt", Text, nullable=True),
    Column("spdi", Text, nullable=True),
    Column("gene", String(40), nullable=True),
    Column("merged_into", String(32), ForeignKey("variants.id"), nullable=True),
    Column("created_version", BigInteger, nullable=False),
    Index("ix_variants_gene", "gene"),
    Index("ix_variants_locus", "assembly", "chromosome", "position"),
)

variant_aliases = Table(
    "variant_aliases",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("variant_id", String(32), ForeignKey("variants.id"), nullable=False),
    Column("kind", String(20), nullable=False),  # hgvs.c | hgvs.g | hgvs.p | spdi | clinvar | dbsnp | iscn | text
    Column("value", Text, nullable=False),
    Column("created_version", BigInteger, nullable=False),
    UniqueConstraint("kind", "value", "variant_id", name="uq_variant_aliases_kind_value_variant"),
    Index("ix_variant_aliases_variant", "variant_id"),
)

conditions = Table(
    "conditions",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("system", Text, nullable=True),
    Column("code", String(200), nullable=True),
    Column("label", String(40), nullable=True),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(36), primary_key=True),  # random
    Column("submitter_id", String(36), ForeignKey("submitters.id"), nullable=False),
    Column("status", String(30), nullable=False),
    Column("revision", Integer, nullable=False, server_default=text("1")),
    Column("report_year", Integer, nullable=True),
    Column("received_version", BigInteger, nullable=False),
    Column("retracted_version", BigInteger, nullable=True),
    Column("summary", JSON, nullable=False),  # counts only
    Index("ix_reports_submitter", "submitter_id"),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("submitter_id", String(36), ForeignKey("submitters.id"), nullable=False),
    Column("variant_id", String(32), ForeignKey("variants.id"), nullable=False),
    Column("condition_key", String(300), ForeignKey("conditions.key"), nullable=False),
    Column("classification_type", String(30), nullable=False),
    Column("term", String(200), nullable=False),
    Column("term_recognised", Boolean, nullable=False),
    Column("criteria_provided", Boolean, nullable=False),
    Column("criteria_code", String(60), nullable=True),
    Column("date_last_evaluated", Date, nullable=True),
    Column("date_last_evaluated_precision", String(5), nullable=True),  # day | year (inside patient reports)
    Column("mode_of_inheritance", String(40), nullable=True),
    Column("origin", String(30), nullable=True),
    Column("revision", Integer, nullable=False),  # 1, 2, ... per (submitter, variant, condition, type)
    Column("report_id", String(36), ForeignKey("reports.id"), nullable=True),
    Column("created_version", BigInteger, nullable=False),
    Column("superseded_version", BigInteger, nullable=True),  # NULL while current
    Column("retracted", Boolean, nullable=False, server_default=text("false")),
    Column("flagged", Boolean, nullable=False, server_default=text("false")),
    Column("flag_reason", Text, nullable=True),
    Column("flagged_by", String(36), ForeignKey("submitters.id"), nullable=True),
    Column("flagged_version", BigInteger, nullable=True),
    Index("ix_submissions_variant", "variant_id", "classification_type"),
    Index("ix_submissions_submitter", "submitter_id"),
    Index("ix_submissions_report", "report_id"),
    Index(
        "uq_submissions_current",
        "submitter_id",
        "variant_id",
        "condition_key",
        "classification_type",
        unique=True,
        sqlite_where=text("superseded_version IS NULL"),
        postgresql_where=text("superseded_version IS NULL"),
    ),
)

submission_flags = Table(
    "submission_flags",  # every flag and unflag, so "as of version N" answers show the flags of that time
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("submission_id", String(36), ForeignKey("submissions.id"), nullable=False),
    Column("version", BigInteger, ForeignKey("store_versions.version"), nullable=False),
    Column("flagged", Boolean, nullable=False),
    Column("reason", String(40), nullable=True),
    Column("curator_id", String(36), ForeignKey("submitters.id"), nullable=True),
    Index("ix_submission_flags_submission", "submission_id", "version"),
)

aggregates = Table(
    "aggregates",
    metadata,
    Column("variant_id", String(32), ForeignKey("variants.id"), primary_key=True),
    Column("condition_key", String(300), primary_key=True),  # "" = all conditions (variant level)
    Column("classification_type", String(30), primary_key=True),
    Column("classification", String(300), nullable=False),
    Column("review_status", String(80), nullable=False),
    Column("stars", Integer, nullable=False),
    Column("conflict", Boolean, nullable=False),
    Column("explanation", Text, nullable=True),
    Column("submitter_count", Integer, nullable=False),
    Column("last_evaluated", Date, nullable=True),
    Column("computed_version", BigInteger, nullable=False),
)

change_events = Table(
    "change_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("version", BigInteger, ForeignKey("store_versions.version"), nullable=False),
    Column("variant_id", String(32), ForeignKey("variants.id"), nullable=False),
    Column("condition_key", String(300), nullable=False),
    Column("classification_type", String(30), nullable=False),
    Column("old_classification", String(300), nullable=True),
    Column("new_classification", String(300), nullable=True),
    Column("old_review_status", String(80), nullable=True),
    Column("new_review_status", String(80), nullable=True),
    Column("new_aggregate", JSON, nullable=True),  # full snapshot, for as-of queries
    Column("cause_kind", String(30), nullable=False),  # submission | flag | unflag | amendment | retraction
    Column("cause_ref", String(36), nullable=True),
    Index("ix_change_events_version", "version"),
    Index("ix_change_events_variant", "variant_id", "version"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", String(36), primary_key=True),  # random; the vault links institutions' patients to it
    Column("submitter_id", String(36), ForeignKey("submitters.id"), nullable=False),
    Column("created_version", BigInteger, nullable=False),
    Index("ix_cases_submitter", "submitter_id"),
)

case_facts = Table(
    "case_facts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False),
    Column("report_id", String(36), ForeignKey("reports.id"), nullable=False),
    Column("variant_id", String(32), ForeignKey("variants.id"), nullable=False),
    Column("zygosity", String(20), nullable=True),
    Column("origin", String(30), nullable=True),
    Column("stated_term", String(200), nullable=True),
    Column("report_year", Integer, nullable=True),  # NULL when the age is top-coded ("90+")
    Column("age_at_report", String(3), nullable=True),  # whole years "0".."89", or "90+"
    Column("created_version", BigInteger, nullable=False),
    Column("superseded_version", BigInteger, nullable=True),
    Index("ix_case_facts_case", "case_id"),
    Index("ix_case_facts_variant", "variant_id"),
)

case_phenotypes = Table(
    "case_phenotypes",
    metadata,
    Column("case_id", String(36), ForeignKey("cases.id"), primary_key=True),
    Column("condition_key", String(300), ForeignKey("conditions.key"), primary_key=True),
    Column("created_version", BigInteger, nullable=False),
)

case_relatives = Table(
    "case_relatives",
    metadata,
    Column("id", String(36), primary_key=True),  # random; relatives are never linked to anyone
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False),
    Column("report_id", String(36), ForeignKey("reports.id"), nullable=False),
    Column("relationship", String(10), nullable=True),  # v3-RoleCode code
    Column("sex", String(10), nullable=True),  # administrative gender code
    Column("created_version", BigInteger, nullable=False),
    Column("superseded_version", BigInteger, nullable=True),
    Index("ix_case_relatives_case", "case_id"),
    Index("ix_case_relatives_report", "report_id"),
)

case_relative_conditions = Table(
    "case_relative_conditions",
    metadata,
    Column("relative_id", String(36), ForeignKey("case_relatives.id"), primary_key=True),
    Column("condition_key", String(300), ForeignKey("conditions.key"), primary_key=True),
)

releases = Table(
    "releases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("version", BigInteger, ForeignKey("store_versions.version"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("files", JSON, nullable=False),  # [{name, sha256, bytes}]
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("type", String(60), nullable=False),
    Column("subtype", String(60), nullable=True),
    Column("action", String(2), nullable=False),  # C R U D E
    Column("outcome", String(2), nullable=False),  # 0 4 8 12
    Column("agent_submitter_id", String(36), nullable=True),
    Column("agent_client", String(200), nullable=True),
    Column("source", String(100), nullable=False),
    Column("request_id", String(64), nullable=True),
    Column("entities", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    # Not unique-indexed: a hash is fixed by its predecessor, and the chain is checked by walking it in id order
    # (verify_chain); an index on random 64-hex values cost every append a random leaf page (and its splits).
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_recorded", "recorded_at"),
    Index("ix_audit_events_agent_id", "agent_submitter_id", "id"),  # a tenant's own events, newest first
)

# Which institutions each audit event concerns (its "submitter" entities; "*" = every institution), written
# with the event so per-tenant audit access is an indexed probe on both engines, not a JSON search. Searches that
# walk events by id probe this key (event_id, then the IN list of institutions); on SQLite the key is the table
# (WITHOUT ROWID). A hook call's event concerns a dozen institutions, and an index by institution in the append
# cost it one page per subject: that index (audit_subject_index, below) is filled in batches after the answers.
audit_event_subjects = Table(
    "audit_event_subjects",
    metadata,
    Column("event_id", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("audit_events.id"),
           primary_key=True),
    Column("submitter_id", String(36), primary_key=True),
    sqlite_with_rowid=False,
)

# The audit subjects again, keyed by institution first, so a tenant's audit search finds its events without walking
# the whole log. Filled after the answers have left, in batches of events (Store.after_response): in the append's
# own transaction it cost a hook call one page per subject (see audit_event_subjects). Events beyond the indexed
# ones are searched through audit_event_subjects.
audit_subject_index = Table(
    "audit_subject_index",
    metadata,
    Column("submitter_id", String(36), primary_key=True),
    Column("event_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    sqlite_with_rowid=False,
)

cds_feedback = Table(
    "cds_feedback",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("submitter_id", String(36), ForeignKey("submitters.id"), nullable=True),
    Column("service_id", String(100), nullable=False),
    Column("card_uuid", String(64), nullable=False),
    Column("card_kind", String(40), nullable=True),
    Column("outcome", String(20), nullable=False),  # accepted | overridden
    Column("override_reason", JSON, nullable=True),
    Column("accepted_suggestions", JSON, nullable=True),
    Column("outcome_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_cds_feedback_service", "service_id"),
)

# Processed CDS client JWT ids (CDS Hooks replay protection), shared by every worker and host. Holds a
# SHA-256 of the jti only; rows past their token's exp are purged.
jwt_replay = Table(
    "jwt_replay",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("issuer", Text, nullable=False),
    Column("jti_hash", String(64), nullable=False),
    Column("exp", BigInteger, nullable=False),  # the token's exp (epoch seconds)
    UniqueConstraint("issuer", "jti_hash", name="uq_jwt_replay_issuer_jti_hash"),
    Index("ix_jwt_replay_exp", "exp"),
)
