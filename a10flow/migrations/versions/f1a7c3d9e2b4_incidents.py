"""Incidents: failed elements of an instance, parked until retried or resolved.

Revision ID: f1a7c3d9e2b4
Revises: d5e8f1a2b3c4
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = 'f1a7c3d9e2b4'
down_revision = 'd5e8f1a2b3c4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incidents',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('instance_id', sa.Integer(), nullable=False),
                    sa.Column('task_id', sa.String(length=36), nullable=True),
                    sa.Column('by_timer', sa.Boolean(), nullable=False, server_default=sa.false()),
                    sa.Column('element_id', sa.String(length=255), nullable=True),
                    sa.Column('element_name', sa.String(length=255), nullable=True),
                    sa.Column('error', sa.Text(), nullable=False),
                    sa.Column('status', sa.Enum('retrying', 'open', 'resolved', name='incidentstatus',
                                                native_enum=False, length=20), nullable=False),
                    sa.Column('attempts', sa.Integer(), nullable=False),
                    sa.Column('first_failed_at', sa.DateTime(), nullable=False),
                    sa.Column('last_failed_at', sa.DateTime(), nullable=False),
                    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
                    sa.Column('retry_delays', sa.JSON(), nullable=False),
                    sa.Column('resolved_at', sa.DateTime(), nullable=True),
                    sa.Column('resolved_by', sa.String(length=120), nullable=True),
                    sa.Column('resolution', sa.Text(), nullable=True),
                    sa.ForeignKeyConstraint(['instance_id'], ['instances.id']),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_next_attempt_at'), ['next_attempt_at'], unique=False)


def downgrade():
    op.drop_table('incidents')
