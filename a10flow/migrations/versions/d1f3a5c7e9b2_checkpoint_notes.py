"""Checkpoints as C2SP signed notes over a Merkle tree of the chain heads they saw.

Revision ID: d1f3a5c7e9b2
Revises: c3a5e7f9b1d2
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'd1f3a5c7e9b2'
down_revision = 'c3a5e7f9b1d2'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, not a batch: on SQLite a batch copies the table and drops its append-only triggers.
    op.add_column('checkpoints', sa.Column('note', sa.Text(), nullable=True))
    op.add_column('checkpoints', sa.Column('frontier', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('checkpoints', 'frontier')
    op.drop_column('checkpoints', 'note')
