"""Single sign-on: a user made by an OpenID provider is known by its issuer and subject, never by name.

Revision ID: f6a2c8e4b1d7
Revises: b4d6f8a1c3e5
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = 'f6a2c8e4b1d7'
down_revision = 'b4d6f8a1c3e5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_issuer', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_users_oidc_identity', ['oidc_issuer', 'oidc_subject'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_oidc_identity', type_='unique')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')
