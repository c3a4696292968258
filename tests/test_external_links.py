"""A supplier's contact does one task through a link: no account, expiring, single-use."""
from datetime import datetime, timedelta, timezone

from a10flow import clock
from conftest import DATA, form

CONTACT = form("start", supplier_email={"type": "string", "format": "email", "x-pii": True})

T0 = datetime(2026, 4, 1, 12, 0, tzinfo=timezone.utc)


def _questionnaire(as_):
    as_["owner"].deploy(DATA / "review.bpmn", DATA / "supplier.json")
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "review"}).json
    return instance, instance["open_tasks"][0]


def test_the_supplier_answers_through_the_link(as_):
    instance, task = _questionnaire(as_)
    made = as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example", "days": 7})
    assert made.status_code == 201 and made.json["expires_at"] == (T0 + timedelta(days=7)).isoformat()
    path = made.json["path"]

    opened = as_[None].get(path)
    assert opened.status_code == 200
    assert opened.json["name"] == "Collect supplier details" and opened.json["form"]["required"] == [
        "legal_name", "reviewer"]
    assert "instance" not in opened.json and "data" not in opened.json   # the task, nothing more

    bad = as_[None].post(path, json={"data": {"legal_name": ""}})
    assert bad.status_code == 422 and {d["field"] for d in bad.json["error"]["details"]} == {"legal_name", "reviewer"}
    done = as_[None].post(path, json={"data": {"legal_name": "Acme Data Ltd", "reviewer": "lee"}})
    assert done.status_code == 200 and done.json["status"] == "completed"

    again = as_[None].post(path, json={"data": {"legal_name": "Evil", "reviewer": "lee"}})
    assert again.status_code == 410 and "used" in again.json["error"]["message"]
    assert as_[None].get(path).status_code == 410
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    [completed] = [r for r in chain if r["type"] == "task.completed"]
    assert completed["actor"] == {"id": f"link:{made.json['id']}", "name": f"external party (link {made.json['id']})"}
    assert completed["personal"] == {"/data/party": "anna@acme.example"}   # the address, outside the hashed record
    assert completed["data"]["submitted"]["legal_name"] == "Acme Data Ltd"


def test_wrong_expired_and_withdrawn_links_touch_nothing(as_):
    instance, task = _questionnaire(as_)
    assert as_[None].get("/api/v1/external/not-a-token").status_code == 404
    made = as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example"}).json
    clock.set(T0 + timedelta(days=15))
    expired = as_[None].post(made["path"], json={"data": {"legal_name": "Acme", "reviewer": "lee"}})
    assert expired.status_code == 410 and "expired" in expired.json["error"]["message"]

    fresh = as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example"}).json
    revoked = as_["alice"].post(f"/api/v1/tasks/{task['id']}/links/{fresh['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["revoked_at"] == clock.now().isoformat()
    assert as_[None].get(fresh["path"]).status_code == 410
    assert as_["alice"].get(f"/api/v1/tasks/{task['id']}").json["status"] == "open"

    # Someone who clicks the link in their e-mail gets a page that says what is wrong.
    page = as_[None].get(fresh["path"].replace("/api/v1/external/", "/x/"))
    assert page.status_code == 410 and page.mimetype == "text/html"
    assert "This link can no longer be used" in page.text and "withdrawn" in page.text
    page = as_[None].get("/x/not-a-token")
    assert page.status_code == 404 and "This link is not valid" in page.text
    types = [r["type"] for r in as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]]
    assert types == ["instance.started"]


def test_who_may_make_links(as_):
    _, task = _questionnaire(as_)
    assert as_["sam"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "x"}).status_code == 404
    assert as_["auditor"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "x"}).status_code == 403
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={}).status_code == 422
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "x", "days": 365}).status_code == 422


def test_an_external_party_gets_the_link_by_email(app, as_, smtp):
    import email
    import email.policy
    import re

    from a10flow import notify
    from a10flow.models import Notification, db
    as_["owner"].deploy(DATA / "review.bpmn", DATA / "supplier.json", CONTACT)
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={
        "process": "review", "data": {"supplier_email": "anna@acme.example"}}).json
    with app.app_context():
        assert notify.deliver(app.config["A10FLOW_SMTP"]) == (1, 0)
        stored = db.session.scalar(db.select(Notification).where(Notification.email == "anna@acme.example"))
        assert "[sent by e-mail]" in stored.body   # the token left the database with the e-mail
    [mail] = smtp.inbox.messages
    assert mail.rcpt_tos == ["anna@acme.example"]
    text = email.message_from_bytes(mail.content, policy=email.policy.default).get_content()
    assert "Tell us who you are" in text and "2026-04-11 12:00" in text   # linkDays = 10
    token = re.search(r"http://127\.0\.0\.1:8000/x/(\S+)", text).group(1)
    path = f"/api/v1/external/{token}"
    done = as_[None].post(path, json={"data": {"legal_name": "Acme Data Ltd", "reviewer": "lee"}})
    assert done.status_code == 200
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert [t["element_id"] for t in after["open_tasks"]] == ["assess"]


def test_without_an_address_no_link_is_made(app, as_):
    from a10flow.models import ExternalLink, db
    as_["owner"].deploy(DATA / "review.bpmn", DATA / "supplier.json")
    as_["alice"].post("/api/v1/instances", json={"process": "review"})
    with app.app_context():
        assert db.session.scalars(db.select(ExternalLink)).all() == []
