"""Links name whom their holder is told to ask (a customer's account manager, say).

Revision ID: e4b8d2f6a1c3
Revises: d9a5c3e7f2b4
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'e4b8d2f6a1c3'
down_revision = 'd9a5c3e7f2b4'
branch_labels = None
depends_on = None


def upgrade():
    # Nothing references external_links, so SQLite may rebuild it to add the foreign key.
    with op.batch_alter_table('external_links') as batch:
        batch.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_external_links_contact_id_users', 'users', ['contact_id'], ['id'])
    op.execute('UPDATE external_links SET contact_id = created_by')


def downgrade():
    with op.batch_alter_table('external_links') as batch:
        batch.drop_constraint('fk_external_links_contact_id_users', type_='foreignkey')
        batch.drop_column('contact_id')
