"""Drafts per person: what one person saved on a task is theirs alone.

Revision ID: c5e1a7b9d2f4
Revises: b3d9f4a6c8e1
Create Date: 2026-12-01
"""
import json
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = 'c5e1a7b9d2f4'
down_revision = 'b3d9f4a6c8e1'
branch_labels = None
depends_on = None


def upgrade():
    drafts = op.create_table('task_drafts',
                             sa.Column('id', sa.Integer(), nullable=False),
                             sa.Column('task_id', sa.String(length=36), nullable=False),
                             sa.Column('author', sa.String(length=40), nullable=False),
                             sa.Column('data', sa.JSON(), nullable=False),
                             sa.Column('saved_at', sa.DateTime(), nullable=False),
                             sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id']),
                             sa.PrimaryKeyConstraint('id'),
                             sa.UniqueConstraint('task_id', 'author'))
    with op.batch_alter_table('task_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_drafts_task_id'), ['task_id'], unique=False)
    # A draft saved before belonged to whoever had the task claimed; one on an unclaimed task was
    # anyone's to see, and is kept for nobody.
    conn = op.get_bind()
    kept = conn.execute(sa.text(
        "SELECT t.id, u.id, t.draft FROM human_tasks t JOIN users u ON u.name = t.assignee "
        "WHERE t.draft IS NOT NULL AND t.status = 'open'")).fetchall()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if kept:
        op.bulk_insert(drafts, [{"task_id": task_id, "author": f"user:{user_id}", "saved_at": now,
                                 "data": json.loads(draft) if isinstance(draft, str) else draft}
                                for task_id, user_id, draft in kept])
    op.drop_column('human_tasks', 'draft')


def downgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft', sa.JSON(), nullable=True))
    op.drop_table('task_drafts')
