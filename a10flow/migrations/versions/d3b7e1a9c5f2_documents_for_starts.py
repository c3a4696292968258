"""Documents given for a start form (before there is an instance or a task); and documents named
before attached_at was kept get it, so that only those no step ever named read as orphans.

Revision ID: d3b7e1a9c5f2
Revises: d2e4f6a8b0c1
Create Date: 2026-12-08
"""
from alembic import op
import sqlalchemy as sa

revision = 'd3b7e1a9c5f2'
down_revision = 'd2e4f6a8b0c1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('task_id', existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column('start_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_documents_start_version_id', 'definition_versions', ['start_version_id'], ['id'])
    # Documents named before attached_at was kept: attached when the completion that names them (by id, in its
    # evidence record) was done; one given but left out of its completion stays an orphan.
    op.execute("UPDATE documents SET attached_at = (SELECT completed_at FROM human_tasks "
               "WHERE human_tasks.id = documents.task_id AND human_tasks.status = 'completed') "
               "WHERE attached_at IS NULL AND EXISTS (SELECT 1 FROM evidence WHERE evidence.instance_id = documents.instance_id "
               "AND evidence.type = 'task.completed' AND evidence.record LIKE '%' || documents.id || '%')")


def downgrade():
    op.execute("DELETE FROM document_reminders WHERE document_id IN (SELECT id FROM documents WHERE task_id IS NULL)")
    op.execute("DELETE FROM documents WHERE task_id IS NULL")
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint('fk_documents_start_version_id', type_='foreignkey')
        batch_op.drop_column('start_version_id')
        batch_op.alter_column('task_id', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=False)
