"""Data stores: what processes keep beside their instances (SpiffArena's JSON and KKV stores).

Revision ID: a3c5e7b9d1f4
Revises: e7b9d1f3a5c8
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'a3c5e7b9d1f4'
down_revision = 'e7b9d1f3a5c8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_stores',
        sa.Column('id', sa.String(255), primary_key=True),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('content', sa.JSON()),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('written_by', sa.Integer(), sa.ForeignKey('instances.id')),
        sa.Column('written_element', sa.String(255)),
        sa.Column('written_at', sa.DateTime()),
        sa.Column('created_at', sa.DateTime(), nullable=False))


def downgrade():
    op.drop_table('data_stores')
