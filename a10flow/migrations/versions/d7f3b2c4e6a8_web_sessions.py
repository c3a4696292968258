"""Web sessions kept on the server, so that signing out or a new password ends them.

Revision ID: d7f3b2c4e6a8
Revises: c5e1a7b9d2f4
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = 'd7f3b2c4e6a8'
down_revision = 'c5e1a7b9d2f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('web_sessions',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('token_hash', sa.String(length=64), nullable=False),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.Column('expires_at', sa.DateTime(), nullable=False),
                    sa.Column('ended_at', sa.DateTime(), nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('token_hash'))
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('web_sessions')
