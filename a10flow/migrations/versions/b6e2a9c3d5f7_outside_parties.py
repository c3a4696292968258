"""Outside parties: a task its process sends to an outside party, naming nobody, is not everyone's;
a link the process sent by itself is told apart from one a person handed out.

Revision ID: b6e2a9c3d5f7
Revises: a4c8e2f6b1d9
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'b6e2a9c3d5f7'
down_revision = 'a4c8e2f6b1d9'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE: a batch would copy human_tasks, which other tables' rows point at.
    op.add_column('human_tasks', sa.Column('outside_party', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('external_links', sa.Column('sent_by_process', sa.Boolean(), nullable=False,
                                              server_default=sa.false()))
    # Links the process sent by itself were the ones no person created.
    op.execute("UPDATE external_links SET sent_by_process = true WHERE created_by IS NULL")
    op.execute("UPDATE human_tasks SET outside_party = true WHERE id IN "
               "(SELECT task_id FROM external_links WHERE created_by IS NULL)")


def downgrade():
    op.drop_column('external_links', 'sent_by_process')
    op.drop_column('human_tasks', 'outside_party')
