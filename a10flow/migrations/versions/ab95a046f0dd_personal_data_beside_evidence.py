"""Personal data beside evidence: values of x-pii form fields, erasable, outside the hashed records.

Revision ID: ab95a046f0dd
Revises: b212f35ab2eb
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = 'ab95a046f0dd'
down_revision = 'b212f35ab2eb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('personal_data',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('instance_id', sa.Integer(), nullable=False),
                    sa.Column('seq', sa.Integer(), nullable=False),
                    sa.Column('pointer', sa.String(length=500), nullable=False),
                    sa.Column('value', sa.Text(), nullable=True),
                    sa.Column('salt', sa.String(length=32), nullable=True),
                    sa.Column('digest', sa.String(length=64), nullable=False),
                    sa.Column('erased_at', sa.DateTime(), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_personal_data_instance_id', 'personal_data', ['instance_id'], unique=False)


def downgrade():
    op.drop_index('ix_personal_data_instance_id', table_name='personal_data')
    op.drop_table('personal_data')
