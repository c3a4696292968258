"""Starting work: what each process version is for, shown where people start it.

Revision ID: a4c8e2f6b1d9
Revises: f2b6d8e1a3c5
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'a4c8e2f6b1d9'
down_revision = 'f2b6d8e1a3c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('definition_versions', 'description')
