"""Headline counts kept with the changes (store_counters), filled from the tables once

The overview page and the metrics read them instead of counting variants, current submissions and variant-level
conflicts on every view, and the institutions' listing its per-institution counts of current submissions and of
the variants they cover.

Revision ID: 0007_shared
Revises: 0006_shared
Create Date: 2026-11-24 09:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0007_shared'
down_revision = '0006_shared'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('store_counters',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_store_counters'))
    )
    op.execute("INSERT INTO store_counters (name, value) SELECT 'variants', count(*) FROM variants")
    op.execute("INSERT INTO store_counters (name, value) SELECT 'current_submissions', count(*) FROM submissions "
               "WHERE superseded_version IS NULL")
    op.execute("INSERT INTO store_counters (name, value) SELECT 'aggregate_conflicts', count(*) FROM aggregates "
               "WHERE condition_key = '' AND conflict = true")
    op.execute("INSERT INTO store_counters (name, value) SELECT 'submissions:' || submitter_id, count(*) "
               "FROM submissions WHERE superseded_version IS NULL GROUP BY submitter_id")
    op.execute("INSERT INTO store_counters (name, value) SELECT 'variants:' || submitter_id, "
               "count(DISTINCT variant_id) FROM submissions WHERE superseded_version IS NULL GROUP BY submitter_id")


def downgrade() -> None:
    op.drop_table('store_counters')
