"""Receive tasks people answer: a task row remembers the message completing it sends.

Revision ID: 36d74c23bb37
Revises: e0e901eca2dd
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = '36d74c23bb37'
down_revision = 'e0e901eca2dd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('message')
