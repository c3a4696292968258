"""Links remember when their holder first opened them.

Revision ID: c7f3b1d5e9a2
Revises: b6e2a9c3d5f7
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'c7f3b1d5e9a2'
down_revision = 'b6e2a9c3d5f7'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('external_links', sa.Column('opened_at', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('external_links', 'opened_at')
