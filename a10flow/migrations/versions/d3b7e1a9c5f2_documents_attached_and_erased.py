"""Documents: when a completed task named one (unnamed ones are swept), and when its bytes were erased.

Revision ID: d3b7e1a9c5f2
Revises: d2e4f6a8b0c1
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = 'd3b7e1a9c5f2'
down_revision = 'd2e4f6a8b0c1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_attached_at'), ['attached_at'], unique=False)
    # Documents given before this revision: their given time stands in for when they were named, where
    # their task is done. The sweep also checks every candidate against the records, so a document
    # given but never named is at worst kept, never a named one swept.
    op.execute("UPDATE documents SET attached_at = given_at, version = 1 WHERE task_id IN "
               "(SELECT id FROM human_tasks WHERE status <> 'open')")


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_attached_at'))
        batch_op.drop_column('erased_at')
