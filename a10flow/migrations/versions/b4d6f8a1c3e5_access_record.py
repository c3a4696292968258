"""The access record: a chain of its own for who held which role when; users can be disabled.

Revision ID: b4d6f8a1c3e5
Revises: a3c5e7b9d1f4
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = 'b4d6f8a1c3e5'
down_revision = 'a3c5e7b9d1f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'chain_heads',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column('evidence_seq', sa.Integer(), nullable=False),
        sa.Column('evidence_head', sa.String(64)),
        sa.Column('checkpointed_seq', sa.Integer(), nullable=False))
    op.execute("INSERT INTO chain_heads (id, evidence_seq, checkpointed_seq) VALUES (0, 0, 0)")   # the access record
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('disabled_at', sa.DateTime()))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('disabled_at')
    op.drop_table('chain_heads')
