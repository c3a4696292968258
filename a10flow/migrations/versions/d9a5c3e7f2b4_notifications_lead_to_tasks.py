"""Notifications lead to the task they are about.

Revision ID: d9a5c3e7f2b4
Revises: c7f3b1d5e9a2
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'd9a5c3e7f2b4'
down_revision = 'c7f3b1d5e9a2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('notifications', sa.Column('task_id', sa.String(length=36), nullable=True))


def downgrade():
    op.drop_column('notifications', 'task_id')
