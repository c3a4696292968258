"""Documents given for a start form (before there is an instance or a task).

Revision ID: e5c9a3f7b1d4
Revises: d3b7e1a9c5f2
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = 'e5c9a3f7b1d4'
down_revision = 'd3b7e1a9c5f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('task_id', existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column('start_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_documents_start_version_id', 'definition_versions', ['start_version_id'], ['id'])


def downgrade():
    op.execute("DELETE FROM document_reminders WHERE document_id IN (SELECT id FROM documents WHERE task_id IS NULL)")
    op.execute("DELETE FROM documents WHERE task_id IS NULL")
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint('fk_documents_start_version_id', type_='foreignkey')
        batch_op.drop_column('start_version_id')
        batch_op.alter_column('task_id', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=False)
