"""Evidence scope across versions: an instance keeps the controls of every version it ran, and a
task remembers when it was withdrawn, so work cancelled while overdue still counts as overdue.

Revision ID: f2b6d8e1a3c5
Revises: e9a4c6d8f1b3
Create Date: 2026-12-01
"""
import json

from alembic import op
import sqlalchemy as sa

revision = 'f2b6d8e1a3c5'
down_revision = 'e9a4c6d8f1b3'
branch_labels = None
depends_on = None


def _ids(value):
    return {c.strip() for c in (value or "").split(",") if c.strip()}


def upgrade():
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('controls', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
    # What each instance ran under so far: its version's controls, and those its records carry.
    conn = op.get_bind()
    found = {}
    for instance_id, controls in conn.execute(sa.text(
            "SELECT i.id, v.controls FROM instances i JOIN definition_versions v ON v.id = i.version_id")):
        controls = json.loads(controls) if isinstance(controls, str) else controls
        found[instance_id] = set().union(*(_ids(c) for c in (controls or {}).values()))
    for instance_id, record in conn.execute(sa.text("SELECT instance_id, record FROM evidence")):
        if instance_id in found:
            found[instance_id] |= _ids(json.loads(record).get("control"))
    instances = sa.table('instances', sa.column('id', sa.Integer), sa.column('controls', sa.JSON))
    for instance_id, controls in found.items():
        if controls:
            conn.execute(instances.update().where(instances.c.id == instance_id).values(controls=sorted(controls)))


def downgrade():
    op.drop_column('human_tasks', 'cancelled_at')
    op.drop_column('instances', 'controls')
