"""Reminders and escalation drawn in BPMN: notify and escalate, the outbox, e-mail over real SMTP."""
import email
import email.policy
from datetime import datetime, timedelta, timezone

from helpers import DATA, form

from a10flow import clock, scheduler
from a10flow.models import User, db
from a10flow.work import notifications

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
        sent = notifications.deliver(app.config["A10FLOW_SMTP"])
        return fired, sent


def test_reminder_then_escalation_reach_people_in_app_and_by_email(app, as_, smtp):
    inbox = smtp.inbox
    _emails(app, alice="alice@example.org", sam="sam@example.org")
    assert as_["owner"].deploy(DATA / "remind.bpmn", SUPPLIER).status_code == 201
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "remind", "data": {"supplier": "Acme"}}).json
    [task] = instance["open_tasks"]
    # Everyone it is offered to is told at once, with the way to it.
    [new] = as_["alice"].get("/api/v1/notifications").json["items"]
    assert new["subject"] == "New task: Answer the questionnaire" and f"/tasks/{task['id']}" in new["body"]
    assert new["task_id"] == task["id"]
    with app.app_context():
        assert notifications.deliver(app.config["A10FLOW_SMTP"]) == (1, 0)   # alice's, by e-mail; bob has no address
    inbox.messages.clear()

    clock.set(T0 + timedelta(days=1, minutes=1))
    assert _tick(app) == (1, (1, 0))        # one reminder, to alice (bob has no e-mail address)
    mine = as_["alice"].get("/api/v1/notifications").json
    assert mine["unread"] == 2 and mine["items"][0]["subject"] == "Reminder: questionnaire for Acme"
    assert as_["bob"].get("/api/v1/notifications").json["items"][0]["email"] == "none"
    [mail] = inbox.messages
    assert mail.rcpt_tos == ["alice@example.org"] and b"Please answer the questionnaire for Acme." in mail.content

    # Claimed: the next reminder goes to the assignee only.
    as_["bob"].post(f"/api/v1/tasks/{task['id']}/claim")
    clock.set(T0 + timedelta(days=2, minutes=1))
    _tick(app)
    assert as_["bob"].get("/api/v1/notifications").json["unread"] == 3
    assert as_["alice"].get("/api/v1/notifications").json["unread"] == 2

    # A week: the task moves to security, who are told so.
    clock.set(T0 + timedelta(days=7, minutes=1))
    _tick(app)
    moved = as_["sam"].get(f"/api/v1/tasks/{task['id']}").json
    assert moved["candidate_groups"] == ["security"] and moved["assignee"] is None
    assert as_["bob"].get(f"/api/v1/tasks/{task['id']}").status_code == 404
    told = as_["sam"].get("/api/v1/notifications?unread=true").json["items"]
    assert [n["subject"] for n in told] == ["Supplier questionnaire: tell", "Handed to you: Answer the questionnaire"]
    assert told[0]["body"] == "The questionnaire for Acme is yours now."
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
    assert as_["sam"].get("/api/v1/notifications").json["unread"] == 1
    assert as_["alice"].post(f"/api/v1/notifications/{told[0]['id']}/read").status_code == 404


def test_a_failed_send_is_retried_with_back_off_and_never_lost(app, as_, smtp):
    inbox = smtp.inbox
    _emails(app, alice="alice@example.org")
    as_["owner"].deploy(DATA / "remind.bpmn", SUPPLIER)
    clock.set(T0)
    as_["owner"].post("/api/v1/instances", json={"process": "remind", "data": {"supplier": "Acme"}})
    smtp.down()
    clock.set(T0 + timedelta(days=1, minutes=1))
    assert _tick(app) == (1, (0, 2))          # the new task's notice and the reminder, both waiting
    assert _tick(app)[1] == (0, 0)            # backing off, not hammering
    smtp.up()
    clock.set(clock.now() + timedelta(minutes=3))
    assert _tick(app)[1] == (2, 0)
    assert len(inbox.messages) == 2
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


def test_one_bad_address_never_holds_up_the_others(app, as_, smtp):
    from a10flow.models import EmailStatus, Notification
    with app.app_context():   # the oldest in the outbox has a line break in its address
        for email in ("ops@bank-a.example\r\nBcc: everyone@victim.example", "risk@bank-b.example"):
            db.session.add(Notification(email=email, subject="A change to credit-scoring", body="Please read it.",
                                        email_status=EmailStatus.PENDING, next_attempt_at=T0))
        db.session.commit()
        clock.set(T0)
        assert notifications.deliver(app.config["A10FLOW_SMTP"]) == (1, 1)
        bad, good = db.session.scalars(db.select(Notification).order_by(Notification.id)).all()
        assert bad.email_status == EmailStatus.FAILED and "not an e-mail address" in bad.last_error
        assert good.email_status == EmailStatus.SENT
        clock.set(T0 + timedelta(days=1))
        assert notifications.deliver(app.config["A10FLOW_SMTP"]) == (0, 0)   # marked: not tried again and again
    assert [m.rcpt_tos for m in smtp.inbox.messages] == [["risk@bank-b.example"]]


def test_a_subject_made_from_data_stays_one_line(app, as_, smtp):
    _emails(app, alice="alice@example.org")
    bpmn = (DATA / "remind.bpmn").read_bytes()
    assert as_["owner"].deploy(("remind.bpmn", bpmn), SUPPLIER).status_code == 201
    clock.set(T0)
    as_["owner"].post("/api/v1/instances", json={"process": "remind",
                                                 "data": {"supplier": "Acme\r\nBcc: everyone@victim.example"}})
    clock.set(T0 + timedelta(days=1, minutes=1))
    assert _tick(app) == (1, (2, 0))   # the new task's notice, and the reminder
    mail = smtp.inbox.messages[-1]
    headers = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert mail.rcpt_tos == ["alice@example.org"] and headers["Bcc"] is None
    assert headers["Subject"] == "Reminder: questionnaire for Acme Bcc: everyone@victim.example"


def test_users_have_real_addresses(app, monkeypatch):
    from click.testing import CliRunner

    from a10flow.cli import main
    monkeypatch.setenv("A10FLOW_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    added = CliRunner().invoke(main, ["users", "add", "carol", "--email", "carol@example.org\nBcc: x@y.example"])
    assert added.exit_code == 1 and "not an e-mail address" in added.output


def test_a_task_that_ended_stops_counting_as_unread(app, as_, purchase):
    from helpers import signed_in

    def unread(name):
        return as_[name].get("/api/v1/notifications?unread=true").json["unread"]

    # alice starts two purchases; bob, in procurement too, is told of each first task.
    done = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    dropped = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    assert unread("bob") == 2 and unread("alice") == 0   # she opened them herself

    # alice does one herself: bob has nothing to do there any more.
    task = done["open_tasks"][0]["id"]
    assert as_["alice"].post(f"/api/v1/tasks/{task}/complete", json={"data": {"tool": "x", "amount": 1}}) \
        .status_code == 200
    assert unread("bob") == 1
    # The other is cancelled: withdrawn, it asks nobody any more.
    assert as_["owner"].post(f"/api/v1/instances/{dropped['id']}/cancel", json={"reason": "ordered twice"}) \
        .status_code == 200
    assert unread("bob") == 0
    # The page says why, and still leads to the task.
    page = signed_in(app, "bob").get("/notifications").text
    assert "Nothing to do any more: the task was done by alice" in page
    assert "Nothing to do any more: the task was withdrawn" in page
    assert "Mark all as read" not in page and "· unread" not in page


def test_an_email_about_a_task_done_before_it_went_out_is_not_sent(app, as_, purchase, smtp):
    _emails(app, bob="bob@example.org")
    started = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    task = started["open_tasks"][0]["id"]
    assert as_["alice"].post(f"/api/v1/tasks/{task}/complete", json={"data": {"tool": "x", "amount": 1}}) \
        .status_code == 200   # done before the scheduler's next round of e-mail
    assert _tick(app)[1] == (0, 0) and smtp.inbox.messages == []
    [told] = as_["bob"].get("/api/v1/notifications").json["items"]
    assert told["email"] == "none"   # in the app only: it asks nothing of him any more


def test_an_escalation_naming_no_open_task_is_an_incident_at_its_element_and_moves_nothing(app, as_, smtp):
    bpmn = (DATA / "remind.bpmn").read_bytes().replace(b"""id="task" type="str" value="'answer'\"""",
                                                        b"""id="task" type="str" value="'nosuch'\"""")
    assert as_["owner"].deploy(("remind.bpmn", bpmn), SUPPLIER).status_code == 201
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "remind", "data": {"supplier": "Acme"}}).json
    clock.set(T0 + timedelta(days=7, minutes=1))
    _tick(app)
    [incident] = as_["owner"].get(f"/api/v1/incidents?instance={instance['id']}").json["items"]
    assert incident["element_id"] == "handover" and "no open task 'nosuch'" in incident["error"]
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert [t["element_id"] for t in after["open_tasks"]] == ["answer"]   # still with procurement, untouched
    assert not [n for n in as_["sam"].get("/api/v1/notifications").json["items"] if "yours now" in n["body"]]
