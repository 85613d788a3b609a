"""de-identification: relatives, age at report, evaluation-date precision

Revision ID: 0002_shared
Revises: 0001_shared
Create Date: 2026-11-24 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0002_shared'
down_revision = '0001_shared'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_relatives',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('relationship', sa.String(length=10), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=True),
    sa.Column('created_version', sa.BigInteger(), nullable=False),
    sa.Column('superseded_version', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_relatives_case_id_cases')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_case_relatives_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_relatives'))
    )
    with op.batch_alter_table('case_relatives', schema=None) as batch_op:
        batch_op.create_index('ix_case_relatives_case', ['case_id'], unique=False)
        batch_op.create_index('ix_case_relatives_report', ['report_id'], unique=False)

    op.create_table('case_relative_conditions',
    sa.Column('relative_id', sa.String(length=36), nullable=False),
    sa.Column('condition_key', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['condition_key'], ['conditions.key'],
                            name=op.f('fk_case_relative_conditions_condition_key_conditions')),
    sa.ForeignKeyConstraint(['relative_id'], ['case_relatives.id'],
                            name=op.f('fk_case_relative_conditions_relative_id_case_relatives')),
    sa.PrimaryKeyConstraint('relative_id', 'condition_key', name=op.f('pk_case_relative_conditions'))
    )
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('age_at_report', sa.String(length=3), nullable=True))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('date_last_evaluated_precision', sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('date_last_evaluated_precision')
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.drop_column('age_at_report')
    op.drop_table('case_relative_conditions')
    with op.batch_alter_table('case_relatives', schema=None) as batch_op:
        batch_op.drop_index('ix_case_relatives_report')
        batch_op.drop_index('ix_case_relatives_case')
    op.drop_table('case_relatives')
