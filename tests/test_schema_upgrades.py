"""Upgrading a database that holds data: what the earlier schema kept is carried over, not lost."""
import json

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from a10flow.database import MIGRATIONS
from a10flow.models import Instance, TaskDraft, db

BEFORE_DRAFTS_PER_PERSON = "b3d9f4a6c8e1"
NOW = "2026-11-30 09:00:00"


def _insert(table, **row):
    names = ", ".join(row)
    db.session.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in row)})"), row)


def test_drafts_and_controls_survive_the_upgrade(app):
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision=BEFORE_DRAFTS_PER_PERSON)
        _insert("users", id=1, name="alice", role="staff", groups="[]", created_at=NOW)
        _insert("definitions", id=1, key="p", kind="process", name="P", created_at=NOW)
        _insert("definition_versions", id=1, definition_id=1, version=1, name="P", filename="p.bpmn", xml="<x/>",
                xml_sha256="0", content_hash="0", created_at=NOW, controls=json.dumps({"t": "A.10.3, ISO 27001 A.5.19"}))
        _insert("instances", id=1, version_id=1, status="running", state="{}", data="{}", created_at=NOW,
                updated_at=NOW, evidence_seq=1, checkpointed_seq=0)
        _insert("evidence", instance_id=1, seq=1, type="task.completed", at=NOW, hash="0",
                record=json.dumps({"control": "A.10.4"}))   # it ran an earlier version carrying A.10.4
        for task, assignee in (("claimed", "alice"), ("unclaimed", None)):
            _insert("human_tasks", id=task, instance_id=1, element_id="t", name="T", status="open", assignee=assignee,
                    created_at=NOW, draft=json.dumps({"note": f"saved on the {task} task"}))
        db.session.commit()
        upgrade(directory=MIGRATIONS)
        drafts = db.session.scalars(db.select(TaskDraft)).all()
        assert [(d.task_id, d.author, d.data) for d in drafts] == [
            ("claimed", "user:1", {"note": "saved on the claimed task"})]   # the unclaimed one was anyone's
        assert db.session.get(Instance, 1).controls == ["A.10.3", "A.10.4", "ISO/IEC 27001 A.5.19"]
