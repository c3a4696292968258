"""Evidence integrity: signed checkpoints, and the database itself refusing to change evidence.

Revision ID: b212f35ab2eb
Revises: 36d74c23bb37
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = 'b212f35ab2eb'
down_revision = '36d74c23bb37'
branch_labels = None
depends_on = None

APPEND_ONLY = ("evidence", "checkpoints")


def upgrade():
    op.create_table('checkpoints',
                    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('at', sa.String(length=40), nullable=False),
                    sa.Column('record', sa.Text(), nullable=False),
                    sa.Column('prev_hash', sa.String(length=64), nullable=True),
                    sa.Column('hash', sa.String(length=64), nullable=False),
                    sa.Column('signature', sa.String(length=100), nullable=False),
                    sa.PrimaryKeyConstraint('seq'))
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkpointed_seq', sa.Integer(), server_default='0', nullable=False))
    # The application never updates or deletes evidence; the database refuses it too.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""CREATE FUNCTION a10flow_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                      BEGIN RAISE EXCEPTION 'a10flow: % is append-only (% refused)', TG_TABLE_NAME, TG_OP; END $$""")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION a10flow_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION a10flow_append_only()")
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'a10flow: {table} is append-only ({action} refused)'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION a10flow_append_only()")
    else:
        for table in APPEND_ONLY:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_column('checkpointed_seq')
    op.drop_table('checkpoints')
