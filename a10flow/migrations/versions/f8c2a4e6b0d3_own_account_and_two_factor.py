"""Each person's own account: two-factor sign-in (TOTP and recovery codes), and when a token or a
session was last used.

Revision ID: f8c2a4e6b0d3
Revises: f6a2c8e4b1d7
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = 'f8c2a4e6b0d3'
down_revision = 'f6a2c8e4b1d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(255), nullable=True))
        batch_op.add_column(sa.Column('totp_on_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('web_sessions') as batch_op:
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))
    op.create_table('recovery_codes',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('code_hash', sa.String(length=64), nullable=False),
                    sa.Column('used_at', sa.DateTime(), nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('code_hash'))
    with op.batch_alter_table('recovery_codes') as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('recovery_codes')
    with op.batch_alter_table('web_sessions') as batch_op:
        batch_op.drop_column('last_used_at')
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.drop_column('last_used_at')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_on_at')
        batch_op.drop_column('totp_secret')
