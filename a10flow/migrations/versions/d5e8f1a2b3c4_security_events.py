"""Security events: refused attempts (sign-in, tokens, roles, forms), listable by admins.

Revision ID: d5e8f1a2b3c4
Revises: c4d1e7a9f2b3
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = 'd5e8f1a2b3c4'
down_revision = 'c4d1e7a9f2b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('security_events',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('at', sa.DateTime(), nullable=False),
                    sa.Column('user_name', sa.String(length=120), nullable=True),
                    sa.Column('address', sa.String(length=64), nullable=True),
                    sa.Column('method', sa.String(length=10), nullable=False),
                    sa.Column('path', sa.String(length=500), nullable=False),
                    sa.Column('status', sa.Integer(), nullable=False),
                    sa.Column('reason', sa.String(length=500), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_security_events_at', 'security_events', ['at'], unique=False)


def downgrade():
    op.drop_index('ix_security_events_at', table_name='security_events')
    op.drop_table('security_events')
