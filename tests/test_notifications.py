"""Reminders and escalation drawn in BPMN: notify and escalate, the outbox, e-mail over real SMTP."""
from datetime import datetime, timedelta, timezone

from a10flow import clock, notify, scheduler
from a10flow.models import User, db
from conftest import DATA, form

SUPPLIER = form("start", supplier={"type": "string"})

T0 = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)


def _emails(app, **names):
    with app.app_context():
        for name, email in names.items():
            db.session.scalar(db.select(User).where(User.name == name)).email = email
        db.session.commit()


def _tick(app):
    with app.app_context():
        fired = scheduler.sweep()
        sent = notify.deliver(app.config["A10FLOW_SMTP"])
        return fired, sent


def test_reminder_then_escalation_reach_people_in_app_and_by_email(app, as_, smtp):
    inbox = smtp.inbox
    _emails(app, alice="alice@example.org", sam="sam@example.org")
    assert as_["owner"].deploy(DATA / "remind.bpmn", SUPPLIER).status_code == 201
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "remind", "data": {"supplier": "Acme"}}).json
    [task] = instance["open_tasks"]

    clock.set(T0 + timedelta(days=1, minutes=1))
    assert _tick(app) == (1, (1, 0))        # one reminder, to alice (bob has no e-mail address)
    mine = as_["alice"].get("/api/v1/notifications").json
    assert mine["unread"] == 1 and mine["items"][0]["subject"] == "Reminder: questionnaire for Acme"
    assert as_["bob"].get("/api/v1/notifications").json["items"][0]["email"] == "none"
    [mail] = inbox.messages
    assert mail.rcpt_tos == ["alice@example.org"] and b"Please answer the questionnaire for Acme." in mail.content

    # Claimed: the next reminder goes to the assignee only.
    as_["bob"].post(f"/api/v1/tasks/{task['id']}/claim")
    clock.set(T0 + timedelta(days=2, minutes=1))
    _tick(app)
    assert as_["bob"].get("/api/v1/notifications").json["unread"] == 2
    assert as_["alice"].get("/api/v1/notifications").json["unread"] == 1

    # A week: the task moves to security, who are told so.
    clock.set(T0 + timedelta(days=7, minutes=1))
    _tick(app)
    moved = as_["sam"].get(f"/api/v1/tasks/{task['id']}").json
    assert moved["candidate_groups"] == ["security"] and moved["assignee"] is None
    assert as_["bob"].get(f"/api/v1/tasks/{task['id']}").status_code == 404
    told = as_["sam"].get("/api/v1/notifications?unread=true").json["items"]
    assert [n["body"] for n in told] == ["The questionnaire for Acme is yours now."]
    assert inbox.messages[-1].rcpt_tos == ["sam@example.org"]
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    [moved_record] = [r for r in chain if r["type"] == "task.reassigned"]
    assert moved_record["data"]["from"]["assignee"] == "bob"
    assert moved_record["data"]["to"]["groups"] == ["security"]
    assert moved_record["data"]["reason"] == "no answer within a week"
    notified = [r["data"]["notified"] for r in chain if r["type"] == "service.run" and "notified" in r["data"]]
    # Days 3 to 6 passed unswept: one coalesced reminder on day 7, not five.
    assert notified == [["alice", "bob"], ["bob"], ["bob"], ["sam"]]

    read = as_["sam"].post(f"/api/v1/notifications/{told[0]['id']}/read")
    assert read.status_code == 200 and read.json["read_at"] == clock.now().isoformat()
    assert as_["sam"].get("/api/v1/notifications").json["unread"] == 0
    assert as_["alice"].post(f"/api/v1/notifications/{told[0]['id']}/read").status_code == 404


def test_a_failed_send_is_retried_with_back_off_and_never_lost(app, as_, smtp):
    inbox = smtp.inbox
    _emails(app, alice="alice@example.org")
    as_["owner"].deploy(DATA / "remind.bpmn", SUPPLIER)
    clock.set(T0)
    as_["owner"].post("/api/v1/instances", json={"process": "remind", "data": {"supplier": "Acme"}})
    smtp.down()
    clock.set(T0 + timedelta(days=1, minutes=1))
    assert _tick(app) == (1, (0, 1))
    assert _tick(app)[1] == (0, 0)            # backing off, not hammering
    smtp.up()
    clock.set(clock.now() + timedelta(minutes=3))
    assert _tick(app)[1] == (1, 0)
    assert len(inbox.messages) == 1
    assert as_["alice"].get("/api/v1/notifications").json["items"][0]["email"] == "sent"


def test_bad_operator_parameters_are_refused_at_deploy(as_):
    bpmn = (DATA / "remind.bpmn").read_bytes()
    missing = bpmn.replace(b'<spiffworkflow:parameter id="message" type="str" value="\'Please answer the '
                           b'questionnaire for $supplier.\'" />', b"")
    details = as_["owner"].deploy(("remind.bpmn", missing)).json["error"]["details"]
    assert [(d["element"], d["message"]) for d in details] == [("nudge", "notify needs the parameter 'message'")]
    unquoted = bpmn.replace(b"value=\"'security'\"", b'value="security team"')
    details = as_["owner"].deploy(("remind.bpmn", unquoted)).json["error"]["details"]
    assert {d["element"] for d in details} == {"handover", "tell"}
    unknown = bpmn.replace(b'serviceTaskOperator id="escalate"', b'serviceTaskOperator id="fax"')
    deployed = as_["owner"].deploy(("remind.bpmn", unknown))
    assert deployed.status_code == 201 and "fax" in deployed.json["warnings"][0]["message"]
