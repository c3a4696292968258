"""Auditor engagements: read-only access to chosen controls over a period, and its access log.

Revision ID: e7b9d1f3a5c8
Revises: d1f3a5c7e9b2
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'e7b9d1f3a5c8'
down_revision = 'd1f3a5c7e9b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'engagements',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('auditor', sa.String(255), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('token_hash', sa.String(64), unique=True),
        sa.Column('controls', sa.JSON(), nullable=False),
        sa.Column('period_start', sa.DateTime(), nullable=False),
        sa.Column('period_end', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime()),
        sa.Column('revoked_by', sa.String(120)))
    op.create_table(
        'engagement_access',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('engagement_id', sa.Integer(), sa.ForeignKey('engagements.id'), nullable=False, index=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('who', sa.String(120), nullable=False),
        sa.Column('action', sa.String(500), nullable=False),
        sa.Column('address', sa.String(64)))


def downgrade():
    op.drop_table('engagement_access')
    op.drop_table('engagements')
