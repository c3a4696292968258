"""Tokens expire and can be revoked; every refused attempt is kept as a security event that
admins and owners can list: who, from where, what, when, and why."""
from datetime import datetime, timedelta, timezone

from a10flow import clock

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_token_expires_and_can_be_revoked(app, as_):
    clock.set(T0)
    made = as_["alice"].post("/api/v1/tokens", json={"days": 7})
    assert made.status_code == 201 and made.json["expires_at"].startswith("2026-05-11")
    client = app.test_client()
    assert client.get("/api/v1/tasks", headers=_bearer(made.json["token"])).status_code == 200
    assert "token" not in as_["alice"].get("/api/v1/tokens").json["items"][0]   # shown once only
    clock.set(T0 + timedelta(days=8))
    assert client.get("/api/v1/tasks", headers=_bearer(made.json["token"])).status_code == 401

    clock.set(T0)
    again = as_["alice"].post("/api/v1/tokens", json={}).json
    assert as_["bob"].post(f"/api/v1/tokens/{again['id']}/revoke").status_code == 404   # not bob's
    assert as_["alice"].post(f"/api/v1/tokens/{again['id']}/revoke").json["revoked_at"]
    assert client.get("/api/v1/tasks", headers=_bearer(again["token"])).status_code == 401
    assert as_["alice"].post("/api/v1/tokens", json={"days": 1000}).status_code == 422


def test_refused_attempts_are_listed_for_admins(app, as_, purchase):
    from helpers import Visitor, set_passwords
    clock.set(T0)
    app.test_client().get("/api/v1/tasks", headers=_bearer("stolen"))
    as_["alice"].post("/api/v1/definitions")                      # staff may not deploy
    set_passwords(app, "alice")
    Visitor(app).sign_in("alice", "guess")
    events = as_["admin"].get("/api/v1/security-events").json["items"]
    seen = [(e["status"], e["user_name"], e["method"], e["path"]) for e in events]
    assert seen == [(401, "alice", "POST", "/sign-in"), (403, "alice", "POST", "/api/v1/definitions"),
                    (401, None, "GET", "/api/v1/tasks")]
    assert events[0]["reason"] == "wrong name or password" and events[0]["at"].startswith("2026-05-04")
    assert "unknown, revoked or expired" in events[2]["reason"]
    assert as_["alice"].get("/api/v1/security-events").status_code == 403
    assert as_["admin"].get("/api/v1/security-events").json["items"][0]["user_name"] == "alice"   # just now
    assert as_["admin"].get("/api/v1/security-events?since=2026-06-01T00:00:00Z").json["items"] == []


def test_a_flood_of_refused_requests_cannot_fill_the_table(app, as_):
    from a10flow.models import SecurityEvent, db
    from a10flow.people import security_events
    clock.set(T0)
    client = app.test_client()
    for _ in range(security_events.PER_MINUTE + 40):   # an anonymous client hammering with bad tokens
        assert client.get("/api/v1/tasks", headers=_bearer("guess")).status_code == 401
    with app.app_context():
        rows = db.session.scalars(db.select(SecurityEvent).order_by(SecurityEvent.id)).all()
    assert len(rows) == security_events.PER_MINUTE and rows[-1].repeats == 40   # counted, not each kept
    clock.set(T0 + timedelta(minutes=2))   # a new minute keeps them one by one again
    client.get("/api/v1/tasks", headers=_bearer("guess"))
    newest, before = as_["admin"].get("/api/v1/security-events").json["items"][:2]
    assert newest["repeats"] == 0 and before["repeats"] == 40 and before["last_at"].startswith("2026-05-04T09:00")
