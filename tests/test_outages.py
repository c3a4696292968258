"""When the database or the disk gets in the way, the service says so and when to ask again (503
with Retry-After, in the one JSON error shape, or a page), within seconds, and is back by itself
when they are; a bug stays a 500. Load balancers ask /healthz and /readyz."""
import errno
import re
import sqlite3
import time

import pytest
from databases import fresh_app
from helpers import hold_writes, signed_in

from a10flow import create_app, database
from a10flow.models import db


@pytest.fixture
def app(template, tmp_path, monkeypatch):
    """The service waiting one second on the database, where it would wait five."""
    yield from fresh_app(template, tmp_path, monkeypatch, A10FLOW_DATABASE_WAIT_SECONDS=1)


def test_a_held_lock_is_a_503_within_the_wait_and_the_service_is_back_when_it_goes(app, as_, purchase):
    alice = signed_in(app, "alice")
    release = hold_writes(app)
    try:
        began = time.monotonic()
        started = as_["alice"].post("/api/v1/instances", json={"process": "purchase"})
        assert started.status_code == 503, started.json
        assert time.monotonic() - began < 5   # the wait is bounded: seconds, not the lock's length
        assert started.json["error"] == {"code": "unavailable", "message": "the database cannot answer just now; "
                                         "nothing was done: try again in a few seconds",
                                         "details": []}
        assert started.headers["Retry-After"] == "5"
        page = alice.post("/start/purchase", {"action": "start"})
        assert page.status_code in (200, 503)   # a page: whatever it needs, never a 500
        assert as_[None].get("/api/v1/openapi.json").status_code == 200   # what needs no database is served
        assert as_[None].get("/healthz").json == {"status": "alive"}
    finally:
        release()
    again = as_["alice"].post("/api/v1/instances", json={"process": "purchase"})
    assert again.status_code == 201, again.json


def test_a_database_that_refuses_connections_is_a_503_and_not_ready(tmp_path, monkeypatch):
    monkeypatch.setenv("A10FLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    gone = create_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:9/nothing", TESTING=True,
                      A10FLOW_DATABASE_WAIT_SECONDS=1)
    client = gone.test_client()
    listed = client.get("/api/v1/instances", headers={"Authorization": "Bearer whatever"})
    assert listed.status_code == 503 and listed.json["error"]["code"] == "unavailable"
    assert listed.headers["Retry-After"] == "5"
    page = client.get("/sign-in")
    assert page.status_code == 200   # a page that needs no database
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signing_in = client.post("/sign-in", data={"name": "alice", "password": "alice", "csrf_token": csrf})
    assert signing_in.status_code == 503 and "try again" in signing_in.text.lower()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["database"] == "unavailable"
    assert "9" not in ready.text.replace("503", "")   # says what, never where
    assert client.get("/healthz").status_code == 200


def test_ready_when_the_database_is_at_the_latest_migration(app, as_):
    ready = as_[None].get("/readyz")
    assert ready.status_code == 200 and ready.json == {
        "status": "ready", "checks": {"database": "ok", "signing_key": "ok", "documents": "ok"}}
    with app.app_context():
        db.session.execute(db.text("UPDATE alembic_version SET version_num = 'b4d6f8a1c3e5'"))
        db.session.commit()
    behind = as_[None].get("/readyz")
    assert behind.status_code == 503 and behind.json["checks"]["database"].startswith("migrations behind")


@pytest.mark.parametrize("error, down", [
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (OSError(errno.EROFS, "Read-only file system"), True),
    (sqlite3.OperationalError("database is locked"), True),
    (sqlite3.OperationalError("no such table: instances"), False),   # a bug, not an outage
    (ValueError("a bug"), False),
])
def test_an_outage_is_told_from_a_bug(error, down):
    assert (database.outage(error) is not None) is down


def test_the_scheduler_says_once_that_the_database_is_away_and_once_that_it_is_back(app, as_, caplog):
    from a10flow.scheduler import Scheduler
    scheduler = Scheduler(app)   # not started: its jobs are run here, one poll at a time
    release = hold_writes(app)
    try:
        for _ in range(3):
            scheduler.tick()
    finally:
        release()
    scheduler.tick()
    said = [r.getMessage() for r in caplog.records if r.name == "a10flow.scheduler"]
    assert said == ["firing timers: the database cannot answer just now; the scheduler tries again at each poll, "
                    "and says when it can", "firing timers: the database and the disk serve again"]
