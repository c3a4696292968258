"""What may cross into an instance: each version's start form and message forms.

Revision ID: a7c2e5f1d3b6
Revises: f1a7c3d9e2b4
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'a7c2e5f1d3b6'
down_revision = 'f1a7c3d9e2b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inputs', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('definition_versions', 'inputs')
