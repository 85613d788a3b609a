"""The audit append writes fewer pages: no unique index on the chain hash, and the subjects in one B-tree

audit_event_subjects loses its (submitter_id, event_id) index (searches probe its key, event_id first) and on
SQLite becomes a WITHOUT ROWID table (the key is the table).

Revision ID: 0006_shared
Revises: 0005_shared
Create Date: 2026-11-24 07:00:00.000000
"""

from alembic import op

revision = '0006_shared'
down_revision = '0005_shared'
branch_labels = None
depends_on = None


def _rebuild(sqlite: bool, with_rowid: bool) -> dict:
    """Batch options that rebuild the table on SQLite (the only way to change its key or rowid) and ALTER it on
    PostgreSQL."""
    if not sqlite:
        return {}
    return {"recreate": "always", "table_kwargs": {"sqlite_with_rowid": with_rowid}}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_events_hash', type_='unique')
    with op.batch_alter_table('audit_event_subjects', schema=None, **_rebuild(sqlite, False)) as batch_op:
        batch_op.drop_index('ix_audit_event_subjects_submitter')


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('audit_event_subjects', schema=None, **_rebuild(sqlite, True)) as batch_op:
        batch_op.create_index('ix_audit_event_subjects_submitter', ['submitter_id', 'event_id'], unique=False)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_audit_events_hash', ['hash'])
