"""Documents: files given for forms' fields, stored by SHA-256; this table says what and whose.

Revision ID: c7e3a9d5b2f1
Revises: f8c2a4e6b0d3
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = 'c7e3a9d5b2f1'
down_revision = 'f8c2a4e6b0d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'documents',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('media_type', sa.String(length=127), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('field', sa.String(length=200), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('given_by', sa.String(length=120), nullable=False),
        sa.Column('given_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id']),
        sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id']),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_task_id'), ['task_id'], unique=False)


def downgrade():
    op.drop_table('documents')
