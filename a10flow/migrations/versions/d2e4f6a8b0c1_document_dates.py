"""Documents' dates (effective, expiry), versions and when a step named them; expiry reminders, once each.

Revision ID: d2e4f6a8b0c1
Revises: c7e3a9d5b2f1
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = 'd2e4f6a8b0c1'
down_revision = 'c7e3a9d5b2f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('attached_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_expires_on'), ['expires_on'], unique=False)
    op.create_table(
        'document_reminders',
        sa.Column('document_id', sa.String(length=36), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.PrimaryKeyConstraint('document_id', 'days'))


def downgrade():
    op.drop_table('document_reminders')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_expires_on'))
        for column in ('version', 'attached_at', 'expires_on', 'effective_on'):
            batch_op.drop_column(column)
