"""CDS client JWT replay cache

Revision ID: 0004_shared
Revises: 0003_shared
Create Date: 2026-11-25 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_shared'
down_revision = '0003_shared'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jwt_replay',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('issuer', sa.Text(), nullable=False),
    sa.Column('jti_hash', sa.String(length=64), nullable=False),
    sa.Column('exp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jwt_replay')),
    sa.UniqueConstraint('issuer', 'jti_hash', name='uq_jwt_replay_issuer_jti_hash')
    )
    with op.batch_alter_table('jwt_replay', schema=None) as batch_op:
        batch_op.create_index('ix_jwt_replay_exp', ['exp'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jwt_replay', schema=None) as batch_op:
        batch_op.drop_index('ix_jwt_replay_exp')

    op.drop_table('jwt_replay')
