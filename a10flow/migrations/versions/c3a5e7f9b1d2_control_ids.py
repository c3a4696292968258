"""Control ids, parsed: each process version keeps, per element, the list of canonical control
ids its control property names ("A.10.3, ISO 27001 A.5.19" is two), and each instance the
canonical ids of what it ran under.

Revision ID: c3a5e7f9b1d2
Revises: e4b8d2f6a1c3
Create Date: 2026-12-01
"""
import json

import sqlalchemy as sa
from alembic import op

from a10flow.evidence.controls import order, parse

revision = 'c3a5e7f9b1d2'
down_revision = 'e4b8d2f6a1c3'
branch_labels = None
depends_on = None


def _ids(text):
    """What ``text`` names; a value deploy would now refuse is kept as it was, not lost."""
    try:
        return parse(text)
    except ValueError:
        return [text]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def upgrade():
    conn = op.get_bind()
    versions = sa.table('definition_versions', sa.column('id', sa.Integer), sa.column('controls', sa.JSON))
    for version_id, controls in conn.execute(sa.select(versions.c.id, versions.c.controls)):
        written = _json(controls) or {}
        conn.execute(versions.update().where(versions.c.id == version_id).values(
            controls={element: _ids(text) for element, text in written.items() if isinstance(text, str)}))
    instances = sa.table('instances', sa.column('id', sa.Integer), sa.column('controls', sa.JSON))
    for instance_id, controls in conn.execute(sa.select(instances.c.id, instances.c.controls)):
        ids = {c for text in (_json(controls) or []) for c in _ids(text)}
        conn.execute(instances.update().where(instances.c.id == instance_id).values(controls=sorted(ids, key=order)))


def downgrade():
    conn = op.get_bind()
    versions = sa.table('definition_versions', sa.column('id', sa.Integer), sa.column('controls', sa.JSON))
    for version_id, controls in conn.execute(sa.select(versions.c.id, versions.c.controls)):
        conn.execute(versions.update().where(versions.c.id == version_id).values(
            controls={element: ", ".join(ids) for element, ids in (_json(controls) or {}).items()}))
