"""Audit subjects indexed by institution (filled in batches after the answers), and a tenant's own events by id

audit_subject_index holds (submitter_id, event_id) of every event up to the watermark kept in store_counters
(audit_subjects_indexed_through, with audit_events_indexed: how many events that is), filled here for the events
already recorded. ix_audit_events_agent becomes
(agent_submitter_id, id), so a tenant's own events come newest first on PostgreSQL too (SQLite's index already
ended in the rowid).

Revision ID: 0008_shared
Revises: 0007_shared
Create Date: 2026-11-24 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_shared'
down_revision = '0007_shared'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('audit_subject_index',
    sa.Column('submitter_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('submitter_id', 'event_id', name=op.f('pk_audit_subject_index')),
    sqlite_with_rowid=False
    )
    op.execute("INSERT INTO audit_subject_index (submitter_id, event_id) "
               "SELECT submitter_id, event_id FROM audit_event_subjects")
    op.execute("INSERT INTO store_counters (name, value) SELECT 'audit_subjects_indexed_through', "
               "coalesce(max(id), 0) FROM audit_events")
    op.execute("INSERT INTO store_counters (name, value) SELECT 'audit_events_indexed', count(*) FROM audit_events")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_agent')
        batch_op.create_index('ix_audit_events_agent_id', ['agent_submitter_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_agent_id')
        batch_op.create_index('ix_audit_events_agent', ['agent_submitter_id'], unique=False)
    op.execute("DELETE FROM store_counters WHERE name IN ('audit_subjects_indexed_through', 'audit_events_indexed')")
    op.drop_table('audit_subject_index')
