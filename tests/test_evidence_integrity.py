"""An auditor can trust the evidence: the database refuses changes, checkpoints are signed,
and verification names the first bad record for every way of tampering with it."""
import base64
import hashlib
import json
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from a10flow.evidence.canonical import canonical
from a10flow.cli import main
from a10flow.models import db


def _purchase(as_, amount=5000):
    """A purchase taken to its approval, with a claim given back on the way: six records."""
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    task = instance["open_tasks"][0]
    for action in ("claim", "unclaim", "claim"):
        assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/{action}").status_code == 200
    done = as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete",
                             json={"data": {"tool": "Labeller", "amount": amount}})
    assert done.status_code == 200, done.json
    return instance["id"]


def _verify(as_):
    report = as_["auditor"].get("/api/v1/evidence/verify")
    assert report.status_code == 200, report.json
    return report.json


def _checkpoint(as_):
    made = as_["owner"].post("/api/v1/evidence/checkpoints")
    assert made.status_code == 200, made.json
    return made.json


@contextmanager
def _tamper(app):
    """A connection that goes around the append-only triggers, as someone with direct
    access to the database could."""
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            else:
                triggers = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
                for name, _ in triggers:
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
            yield conn
            if conn.dialect.name != "postgresql":
                for _, sql in triggers:
                    conn.exec_driver_sql(sql)


def _record(conn, instance_id, seq):
    return json.loads(conn.execute(sa.text("SELECT record FROM evidence WHERE instance_id = :i AND seq = :s"),
                                   {"i": instance_id, "s": seq}).scalar_one())


def _rewrite(conn, instance_id, seq, record, rehash):
    body = canonical(record).decode()
    values = {"i": instance_id, "s": seq, "r": body, "h": hashlib.sha256(body.encode()).hexdigest()}
    conn.execute(sa.text("UPDATE evidence SET record = :r" + (", hash = :h" if rehash else "") +
                         " WHERE instance_id = :i AND seq = :s"), values)


def _first(as_):
    report = _verify(as_)
    assert report["ok"] is False
    problem = report["first_problem"]
    return problem["kind"], problem["instance_id"], problem["seq"]


def test_untouched_evidence_verifies_clean_and_checkpoints_are_signed(as_, purchase):
    first, second = _purchase(as_), _purchase(as_, amount=10)
    report = _verify(as_)
    assert report["ok"] and report["instances"] == 2 and report["problems"] == []
    assert report["unprotected_records"] == report["records"] > 10   # nothing signed yet

    made = _checkpoint(as_)
    assert made["created"] and made["checkpoint"]["seq"] == 1
    record = json.loads(made["checkpoint"]["record"])
    assert [(c["instance_id"], c["length"]) for c in record["chains"]] == [(0, 8), (first, 6), (second, 8)]
    # Anyone can check the signature with the published key.
    published = as_[None].get("/api/v1/evidence/public-key").json
    key = load_pem_public_key(published["pem"].encode())
    key.verify(base64.b64decode(made["checkpoint"]["signature"]), made["checkpoint"]["record"].encode())
    assert record["key_id"] == published["key_id"] == hashlib.sha256(key.public_bytes_raw()).hexdigest()

    assert _checkpoint(as_) == {"created": False, "checkpoint": made["checkpoint"]}   # nothing grew
    third = _purchase(as_)
    second_cp = json.loads(_checkpoint(as_)["checkpoint"]["record"])
    assert second_cp["prev_hash"] == made["checkpoint"]["hash"]
    assert [c["instance_id"] for c in second_cp["chains"]] == [third]   # only the chain that grew
    report = _verify(as_)
    assert report["ok"] and report["checkpoints"] == 2 and report["unprotected_records"] == 0


def test_the_database_refuses_to_change_or_delete_evidence(app, as_, purchase):
    _purchase(as_)
    _checkpoint(as_)
    with app.app_context():
        for statement in ("UPDATE evidence SET type = 'x'", "DELETE FROM evidence",
                          "UPDATE checkpoints SET signature = 'x'", "DELETE FROM checkpoints"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                with db.engine.begin() as conn:
                    conn.exec_driver_sql(statement)
    assert _verify(as_)["ok"]


def test_an_edited_record_is_named(app, as_, purchase):
    instance_id = _purchase(as_)
    with _tamper(app) as conn:
        record = _record(conn, instance_id, 5)
        record["data"]["submitted"]["amount"] = 50
        _rewrite(conn, instance_id, 5, record, rehash=False)
    assert _first(as_) == ("edited", instance_id, 5)


def test_an_edited_record_with_its_hash_rewritten_is_named(app, as_, purchase):
    instance_id = _purchase(as_)
    with _tamper(app) as conn:
        record = _record(conn, instance_id, 3)
        record["actor"]["name"] = "mallory"
        _rewrite(conn, instance_id, 3, record, rehash=True)
    assert _first(as_) == ("edited", instance_id, 3)


def test_a_deleted_record_is_named(app, as_, purchase):
    instance_id = _purchase(as_)
    with _tamper(app) as conn:
        conn.execute(sa.text("DELETE FROM evidence WHERE instance_id = :i AND seq = 3"), {"i": instance_id})
    assert _first(as_) == ("deleted", instance_id, 3)


def test_a_deleted_record_with_the_rest_renumbered_is_found(app, as_, purchase):
    instance_id = _purchase(as_)
    with _tamper(app) as conn:
        conn.execute(sa.text("DELETE FROM evidence WHERE instance_id = :i AND seq = 3"), {"i": instance_id})
        conn.execute(sa.text("UPDATE evidence SET seq = seq - 1 WHERE instance_id = :i AND seq > 3"),
                     {"i": instance_id})
    assert _first(as_) == ("deleted", instance_id, 3)


def test_reordered_records_are_named(app, as_, purchase):
    instance_id = _purchase(as_)
    with _tamper(app) as conn:
        swap = "UPDATE evidence SET seq = :to WHERE instance_id = :i AND seq = :s"
        conn.execute(sa.text(swap), {"i": instance_id, "s": 2, "to": 100})
        conn.execute(sa.text(swap), {"i": instance_id, "s": 3, "to": 2})
        conn.execute(sa.text(swap), {"i": instance_id, "s": 100, "to": 3})
    assert _first(as_) == ("reordered", instance_id, 2)


def test_an_inserted_record_is_named(app, as_, purchase):
    instance_id = _purchase(as_)
    with _tamper(app) as conn:
        before = _record(conn, instance_id, 2)
        forged = dict(before, seq=3, type="task.completed", actor={"id": 99, "name": "mallory"},
                      prev_hash=hashlib.sha256(canonical(before)).hexdigest())
        conn.execute(sa.text("UPDATE evidence SET seq = seq + 100 WHERE instance_id = :i AND seq >= 3"),
                     {"i": instance_id})
        conn.execute(sa.text("UPDATE evidence SET seq = seq - 99 WHERE instance_id = :i AND seq > 100"),
                     {"i": instance_id})
        body = canonical(forged).decode()
        conn.execute(sa.text("INSERT INTO evidence (instance_id, seq, type, at, record, prev_hash, hash) "
                             "VALUES (:i, 3, :t, :a, :r, :p, :h)"),
                     {"i": instance_id, "t": forged["type"], "a": forged["at"], "r": body,
                      "p": forged["prev_hash"], "h": hashlib.sha256(body.encode()).hexdigest()})
    assert _first(as_) == ("inserted", instance_id, 3)


def test_a_truncated_chain_is_found_by_the_checkpoint(app, as_, purchase):
    instance_id = _purchase(as_)
    _checkpoint(as_)
    with _tamper(app) as conn:   # the tamperer also winds the instance row back
        conn.execute(sa.text("DELETE FROM evidence WHERE instance_id = :i AND seq > 4"), {"i": instance_id})
        head = conn.execute(sa.text("SELECT hash FROM evidence WHERE instance_id = :i AND seq = 4"),
                            {"i": instance_id}).scalar_one()
        conn.execute(sa.text("UPDATE instances SET evidence_seq = 4, evidence_head = :h WHERE id = :i"),
                     {"i": instance_id, "h": head})
    kind, where, seq = _first(as_)
    assert (kind, where, seq) == ("truncated", instance_id, 5)
    assert "checkpoint 1 saw 6 records; 4 remain" in _verify(as_)["first_problem"]["message"]


def test_an_instance_deleted_since_a_checkpoint_is_found(app, as_, purchase):
    kept, gone = _purchase(as_), _purchase(as_)
    _checkpoint(as_)
    with _tamper(app) as conn:
        conn.execute(sa.text("DELETE FROM evidence WHERE instance_id = :i"), {"i": gone})
        conn.execute(sa.text("UPDATE instances SET evidence_seq = 0, evidence_head = NULL WHERE id = :i"),
                     {"i": gone})
    report = _verify(as_)
    assert [(p["kind"], p["instance_id"]) for p in report["problems"]] == [("instance_deleted", gone)]
    assert kept != gone


def test_a_forged_checkpoint_is_found(app, as_, purchase):
    instance_id = _purchase(as_)
    _checkpoint(as_)
    with _tamper(app) as conn:   # rewrite a chain, and the checkpoint to match, signed with another key
        record = _record(conn, instance_id, 6)
        record["actor"]["name"] = "mallory"
        _rewrite(conn, instance_id, 6, record, rehash=True)
        new_head = hashlib.sha256(canonical(record)).hexdigest()
        conn.execute(sa.text("UPDATE instances SET evidence_head = :h WHERE id = :i"),
                     {"i": instance_id, "h": new_head})
        cp = json.loads(conn.execute(sa.text("SELECT record FROM checkpoints WHERE seq = 1")).scalar_one())
        cp["chains"][0]["head"] = new_head
        body = canonical(cp)
        conn.execute(sa.text("UPDATE checkpoints SET record = :r, hash = :h, signature = :s WHERE seq = 1"),
                     {"r": body.decode(), "h": hashlib.sha256(body).hexdigest(),
                      "s": base64.b64encode(Ed25519PrivateKey.generate().sign(body)).decode()})
    report = _verify(as_)
    assert report["first_problem"]["kind"] == "checkpoint_forged" and report["first_problem"]["checkpoint"] == 1


def test_a_deleted_checkpoint_is_found(app, as_, purchase):
    _purchase(as_)
    _checkpoint(as_)
    _purchase(as_)
    _checkpoint(as_)
    with _tamper(app) as conn:
        conn.execute(sa.text("DELETE FROM checkpoints WHERE seq = 1"))
    assert _verify(as_)["first_problem"]["kind"] == "checkpoint_missing"


def test_verify_and_checkpoint_from_the_command_line(app, as_, purchase, monkeypatch):
    monkeypatch.setenv("A10FLOW_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    instance_id = _purchase(as_)
    runner = CliRunner()
    made = runner.invoke(main, ["evidence", "checkpoint"])
    assert made.exit_code == 0 and "checkpoint 1 signed" in made.output
    clean = runner.invoke(main, ["evidence", "verify"])
    assert clean.exit_code == 0 and json.loads(clean.output)["ok"] is True
    with _tamper(app) as conn:
        conn.execute(sa.text("DELETE FROM evidence WHERE instance_id = :i AND seq = 2"), {"i": instance_id})
    broken = runner.invoke(main, ["evidence", "verify"])
    assert broken.exit_code == 1 and json.loads(broken.output)["first_problem"]["seq"] == 2


def test_who_may_verify(as_):
    assert as_[None].get("/api/v1/evidence/verify").status_code == 401
    assert as_["alice"].get("/api/v1/evidence/verify").status_code == 403
    assert as_["alice"].post("/api/v1/evidence/checkpoints").status_code == 403
    assert as_["owner"].get("/api/v1/evidence/verify").status_code == 200
    assert as_[None].get("/api/v1/evidence/public-key").status_code == 200


def test_the_scheduler_signs_checkpoints_at_the_configured_interval(app, as_, purchase):
    from datetime import timedelta

    from a10flow.scheduler import CHECKPOINT_JOB_ID, Scheduler
    app.config["A10FLOW_CHECKPOINT_MINUTES"] = 15
    scheduler = Scheduler(app)
    assert scheduler.aps.get_job(CHECKPOINT_JOB_ID).trigger.interval == timedelta(minutes=15)
    _purchase(as_)
    scheduler.checkpoint()
    scheduler.checkpoint()   # nothing grew in between: no second checkpoint
    [made] = as_["auditor"].get("/api/v1/evidence/checkpoints").json["items"]
    assert [c["length"] for c in json.loads(made["record"])["chains"]] == [8, 6]   # the access record: 8 users


def test_a_lost_signing_key_is_not_silently_replaced(app, as_, purchase):
    import os
    _purchase(as_)
    _checkpoint(as_)
    os.remove(app.config["A10FLOW_SIGNING_KEY"])
    refused = as_["auditor"].get("/api/v1/evidence/verify")
    assert refused.status_code == 503 and "restore the key file" in refused.json["error"]["message"]
    assert not os.path.exists(app.config["A10FLOW_SIGNING_KEY"])
