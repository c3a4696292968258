"""Security events are bounded: past a rate, an address's last event counts the repeats.

Revision ID: e9a4c6d8f1b3
Revises: d7f3b2c4e6a8
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'e9a4c6d8f1b3'
down_revision = 'd7f3b2c4e6a8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeats', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_at', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('security_events', 'last_at')
    op.drop_column('security_events', 'repeats')
