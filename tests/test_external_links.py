"""A supplier's contact does one task through a link: no account, expiring, single-use."""
from datetime import datetime, timedelta, timezone

from helpers import DATA, form

from a10flow import clock

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
    assert "Nothing was recorded" in page.text and "ask alice" in page.text   # who can send a new one
    page = as_[None].get("/x/not-a-token")
    assert page.status_code == 404 and "This link is not valid" in page.text
    types = [r["type"] for r in as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]]
    assert types == ["instance.started", "link.issued", "link.issued", "link.revoked"]   # no task was done


def test_the_supplier_saves_a_long_questionnaire_and_finishes_it_later(app, as_):
    from helpers import Visitor
    _, task = _questionnaire(as_)
    made = as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example"}).json
    other = as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "bob@acme.example"}).json
    page = made["path"].replace("/api/v1/external/", "/x/")

    anna = Visitor(app)
    saved = anna.post(page, {"action": "save", "legal_name": "Acme Data"}, csrf=False)
    assert saved.status_code == 200 and "Saved. Nothing is sent yet" in saved.text
    assert as_["alice"].get(f"/api/v1/tasks/{task['id']}").json["status"] == "open"
    back = Visitor(app).get(page)   # the next morning, from another browser: the link is the key
    assert 'value="Acme Data"' in back.text
    assert 'value="Acme Data"' not in Visitor(app).get(other["path"].replace("/api/v1/external/", "/x/")).text
    assert "Acme Data" not in str(as_["alice"].get(f"/api/v1/tasks/{task['id']}").json)   # not staff's to see

    assert anna.post(page, {"action": "submit", "legal_name": "Acme Data Ltd", "reviewer": "lee"},
                     csrf=False).status_code == 200
    after = anna.get(page)
    assert after.status_code == 410 and "Your answer to" in after.text and "was recorded on" in after.text
    assert "Nothing was recorded" not in after.text
    done_elsewhere = Visitor(app).get(other["path"].replace("/api/v1/external/", "/x/"))
    assert "needs nothing more from you" in done_elsewhere.text and "Nothing was recorded" not in done_elsewhere.text


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

    from a10flow.models import Notification, db
    from a10flow.work import notifications
    as_["owner"].deploy(DATA / "review.bpmn", DATA / "supplier.json", CONTACT)
    clock.set(T0)
    instance = as_["alice"].post("/api/v1/instances", json={
        "process": "review", "data": {"supplier_email": "anna@acme.example"}}).json
    with app.app_context():
        assert notifications.deliver(app.config["A10FLOW_SMTP"]) == (1, 0)
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


# Two tasks side by side, the second kept apart from the first and meant for an outside party,
# then a third kept apart from the second.
APART = (DATA / "apart.bpmn").read_bytes()


def _apart(as_):
    assert as_["owner"].deploy(("apart.bpmn", APART)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "apart"}).json
    return instance, {t["element_id"]: t for t in instance["open_tasks"]}


def _link(as_, who, task, party="anna@acme.example"):
    return as_[who].post(f"/api/v1/tasks/{task['id']}/links", json={"party": party})


def test_a_staff_member_cannot_approve_their_own_work_through_a_link_of_their_own(as_):
    instance, tasks = _apart(as_)
    assert as_["alice"].post(f"/api/v1/tasks/{tasks['assess']['id']}/complete", json={}).status_code == 200
    refused = _link(as_, "alice", tasks["confirm"])
    assert refused.status_code == 403 and "separation of duties" in refused.json["error"]["message"]
    # Handed out before the assessment, the link stops working once its sender did the assessment.
    instance, tasks = _apart(as_)
    path = _link(as_, "alice", tasks["confirm"]).json["path"]
    assert as_["alice"].post(f"/api/v1/tasks/{tasks['assess']['id']}/complete", json={}).status_code == 200
    refused = as_[None].post(path, json={"data": {}})
    assert refused.status_code == 403 and "may no longer" in refused.json["error"]["message"]
    assert as_["alice"].get(f"/api/v1/tasks/{tasks['confirm']['id']}").json["status"] == "open"


def test_what_a_link_does_is_done_for_its_sender(as_):
    instance, tasks = _apart(as_)
    made = _link(as_, "alice", tasks["confirm"])
    assert made.status_code == 201, made.json
    assert as_[None].post(made.json["path"], json={"data": {}}).status_code == 200
    assert as_["bob"].post(f"/api/v1/tasks/{tasks['assess']['id']}/complete", json={}).status_code == 200
    [approve] = [t for t in as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]]
    # Alice had "Confirm" done through her link: she may not approve it either.
    refused = as_["alice"].post(f"/api/v1/tasks/{approve['id']}/complete", json={})
    assert refused.status_code == 403 and "separation of duties" in refused.json["error"]["message"]
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    [issued] = [r for r in chain if r["type"] == "link.issued"]
    assert issued["actor"]["name"] == "alice" and issued["personal"] == {"/data/party": "anna@acme.example"}
    [done] = [r for r in chain if r["type"] == "task.completed" and r["element"]["id"] == "confirm"]
    assert done["actor"]["id"] == f"link:{made.json['id']}" and done["data"]["on_behalf_of"]["name"] == "alice"


def test_claims_hold_through_links(as_):
    instance, tasks = _apart(as_)
    path = _link(as_, "alice", tasks["confirm"]).json["path"]
    assert as_["bob"].post(f"/api/v1/tasks/{tasks['confirm']['id']}/claim").status_code == 200
    assert _link(as_, "alice", tasks["confirm"]).status_code == 403   # bob's now
    refused = as_[None].post(path, json={"data": {}})
    assert refused.status_code == 403
    assert as_["bob"].post(f"/api/v1/tasks/{tasks['confirm']['id']}/complete", json={}).status_code == 200


def test_only_tasks_meant_for_outside_parties_are_handed_out(as_):
    instance, tasks = _apart(as_)
    for who in ("alice", "owner", "admin"):
        refused = _link(as_, who, tasks["assess"])
        assert refused.status_code == 403 and "not one for an outside party" in refused.json["error"]["message"]
    assert _link(as_, "alice", tasks["confirm"], party="Anna at Acme").status_code == 422   # an e-mail address
    made = _link(as_, "alice", tasks["confirm"]).json
    revoked = as_["bob"].post(f"/api/v1/tasks/{tasks['confirm']['id']}/links/{made['id']}/revoke")
    assert revoked.status_code == 200   # bob may do the task, so he may withdraw what stands for it
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    assert [(r["type"], r["actor"]["name"]) for r in chain if r["type"].startswith("link.")] == [
        ("link.issued", "alice"), ("link.revoked", "bob")]


def test_an_external_party_that_is_no_address_stops_the_step_naming_the_task(as_):
    loose = form("start", supplier_email={"type": "string"})   # the start form does not say it is an address
    as_["owner"].deploy(DATA / "review.bpmn", DATA / "supplier.json", loose)
    started = as_["alice"].post("/api/v1/instances", json={
        "process": "review", "data": {"supplier_email": "anna@acme.example\r\nBcc: everyone@victim.example"}})
    assert started.status_code == 422
    [detail] = started.json["error"]["details"]
    assert detail["element"] == "collect" and "not an e-mail address" in detail["message"]
