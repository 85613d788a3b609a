"""Audit event subjects: the institutions each audit event concerns

Revision ID: 0005_shared
Revises: 0004_shared
Create Date: 2026-11-26 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_shared'
down_revision = '0004_shared'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event_subjects',
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('submitter_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_audit_event_subjects_event_id_audit_events')),
    sa.PrimaryKeyConstraint('event_id', 'submitter_id', name=op.f('pk_audit_event_subjects'))
    )
    with op.batch_alter_table('audit_event_subjects', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_subjects_submitter', ['submitter_id', 'event_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_event_subjects', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_subjects_submitter')

    op.drop_table('audit_event_subjects')
