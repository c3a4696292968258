"""Web sign-in and drafts: users may have a password (argon2id); a task may hold a saved draft.

Revision ID: c4d1e7a9f2b3
Revises: ab95a046f0dd
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = 'c4d1e7a9f2b3'
down_revision = 'ab95a046f0dd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('draft')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_hash')
