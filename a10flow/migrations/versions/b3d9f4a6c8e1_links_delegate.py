"""Links delegate: a task done through a link remembers who sent it.

Revision ID: b3d9f4a6c8e1
Revises: a7c2e5f1d3b6
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'b3d9f4a6c8e1'
down_revision = 'a7c2e5f1d3b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_for', sa.String(length=120), nullable=True))


def downgrade():
    op.drop_column('human_tasks', 'completed_for')
