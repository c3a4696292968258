"""A.10.4 end to end: decide by DMN, draft, approve by a second person, tell every customer
(one acknowledges, one objects, one never answers), and the notice register."""
import email
import email.policy
import hashlib
import re
from datetime import datetime, timedelta, timezone

from helpers import File, deploy_bundled, given, pdf

from a10flow import clock, scheduler
from a10flow.work import notifications

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=timezone.utc)
CUSTOMERS = [
    {"name": "Bank A", "contact": "ops@bank-a.example", "account_manager": "alice"},
    {"name": "Bank B", "contact": "risk@bank-b.example", "account_manager": "alice"},
    {"name": "Insurer C", "contact": "ai@insurer-c.example", "account_manager": "bob"},
]
CHANGE = {"ai_system": "credit-scoring", "version_from": "2.3", "version_to": "3.0",
          "change_type": "model update or retraining", "predetermined": False, "customers": CUSTOMERS}


def _deploy(as_):
    deploy_bundled(as_, "customer_change_notification")


def _tasks(as_, instance_id, element):
    return [t for t in as_["owner"].get(f"/api/v1/instances/{instance_id}").json["open_tasks"]
            if t["element_id"] == element]


def _complete(as_, who, task, data):
    done = as_[who].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    assert done.status_code == 200, done.json


def test_low_materiality_needs_no_notice(as_):
    _deploy(as_)
    instance = as_["owner"].post("/api/v1/instances", json={
        "process": "customer_change_notification", "data": dict(CHANGE, materiality="low")}).json
    assert instance["status"] == "completed"
    [entry] = as_["auditor"].get("/api/v1/registers/change-notices").json["items"]
    assert entry["key"] == "credit-scoring:3.0" and entry["data"]["notified"] is False


def test_customers_acknowledge_object_or_stay_silent(app, as_):
    _deploy(as_)
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={
        "process": "customer_change_notification", "data": dict(CHANGE, materiality="high")}).json
    assert instance["data"]["notify"] is True and instance["data"]["notice_days"] == 30
    [draft] = instance["open_tasks"]
    notice = {"notice": {"summary": "New model version 3.0", "impact": "Scores shift by up to 2 points",
                         "actions_required": "Re-validate cut-offs", "effective_date": "2027-06-01"}}
    _complete(as_, "owner", draft, notice)

    # The drafter may not approve their own notice; a second person sends it back once, then approves.
    [approval] = _tasks(as_, instance["id"], "approve_notice")
    assert as_["owner"].post(f"/api/v1/tasks/{approval['id']}/complete",
                             json={"data": {"notice_decision": "approve"}}).status_code == 403
    _complete(as_, "admin", approval, {"notice_decision": "send back", "approval_comment": "name the documents"})
    [draft] = _tasks(as_, instance["id"], "draft_notice")
    _complete(as_, "owner", draft, notice)
    [approval] = _tasks(as_, instance["id"], "approve_notice")
    # The notice is judged afresh: the approver's form does not start from last round's comment.
    from helpers import signed_in
    page = signed_in(app, "admin").get(f"/tasks/{approval['id']}").text
    answer = page[page.index('class="answer"'):]
    assert "name the documents" in page and "name the documents" not in answer[:answer.index("</form>")]
    _complete(as_, "admin", approval, {"notice_decision": "approve"})

    asks = _tasks(as_, instance["id"], "acknowledge_change")
    assert len(asks) == 3 and {a["message"] for a in asks} == {"change_acknowledgement"}
    links = {}
    for ask, customer in zip(asks, CUSTOMERS):
        made = as_["owner"].post(f"/api/v1/tasks/{ask['id']}/links", json={"party": customer["contact"]})
        links[ask["id"]] = made.json["path"]
    bank_a, bank_b, insurer = asks
    assert as_[None].post(links[bank_a["id"]], json={"data": {"response": "acknowledge"}}).status_code == 200
    # The answer arrives as the BPMN message that Bank A's branch waits for, and only that branch moves.
    received = [r for r in as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
                if r["type"] == "message.received"]
    assert [(r["actor"]["id"].split(":")[0], r["personal"]["/data/party"], r["data"]["message"], r["data"]["task_id"],
             r["controls"]) for r in received] == [("link", "ops@bank-a.example", "change_acknowledgement", bank_a["id"],
                                                    ["A.10.4"])]
    assert set(received[0]["data"]["party"]) == {"pii_sha256"}   # who it was stays outside the hashed record
    assert {t["id"] for t in _tasks(as_, instance["id"], "acknowledge_change")} == {bank_b["id"], insurer["id"]}
    assert as_[None].post(links[bank_b["id"]], json={"data": {"response": "object",
                                                               "response_comment": "too short notice"}}).status_code == 200
    [objection] = _tasks(as_, instance["id"], "address_objection")
    assert objection["assignee"] == "alice"
    _complete(as_, "alice", objection, {"resolution": "notice period extended to 60 days"})

    # Weekly reminders to the account manager while Insurer C says nothing; escalation after 30 days.
    for week in range(1, 5):
        clock.set(T0 + timedelta(days=7 * week, minutes=1))
        with app.app_context():
            scheduler.sweep()
    assert [n["subject"] for n in as_["bob"].get("/api/v1/notifications").json["items"]] == \
        ["Change notice not yet acknowledged"] * 4
    clock.set(T0 + timedelta(days=30, minutes=1))
    with app.app_context():
        scheduler.sweep()
    [chase] = _tasks(as_, instance["id"], "chase_customer")
    assert chase["assignee"] == "bob"
    assert as_[None].post(links[insurer["id"]], json={"data": {"response": "acknowledge"}}).status_code == 410
    _complete(as_, "bob", chase, {"follow_up": "called, no decision yet"})

    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"
    [entry] = as_["auditor"].get("/api/v1/registers/change-notices?ai_system=credit-scoring").json["items"]
    assert entry["data"]["notified"] is True and entry["data"]["notice"]["summary"] == "New model version 3.0"
    assert [(o["customer"], o["result"]) for o in entry["data"]["outcomes"]] == [
        ("Bank A", "acknowledged"), ("Bank B", "objected"), ("Insurer C", "non-responsive-escalated")]


def _told(as_, customers):
    """An approved notice, now waiting for each customer's answer."""
    _deploy(as_)
    instance = as_["owner"].post("/api/v1/instances", json={
        "process": "customer_change_notification",
        "data": dict(CHANGE, materiality="high", customers=customers)}).json
    _complete(as_, "owner", instance["open_tasks"][0], {"notice": {
        "summary": "New model", "impact": "none", "actions_required": "none", "effective_date": "2027-06-01"}})
    _complete(as_, "admin", _tasks(as_, instance["id"], "approve_notice")[0], {"notice_decision": "approve"})
    return instance


def test_each_customer_gets_a_link_by_email_and_answers_by_message(app, as_, smtp):
    instance = _told(as_, CUSTOMERS[:2])
    with app.app_context():
        assert notifications.deliver(app.config["A10FLOW_SMTP"]) == (2, 0)
    mails = {m.rcpt_tos[0]: email.message_from_bytes(m.content, policy=email.policy.default).get_content()
             for m in smtp.inbox.messages}
    assert set(mails) == {"ops@bank-a.example", "risk@bank-b.example"}
    # Each is told to ask their account manager, not whoever approved the notice.
    assert all("Your contact: alice" in mail for mail in mails.values())
    path = "/api/v1/external/" + re.search(r"/x/(\S+)", mails["risk@bank-b.example"]).group(1)
    opened = as_[None].get(path).json
    assert opened["name"].startswith("Customer acknowledges or objects") and opened["form"]["properties"]["response"]
    assert as_[None].post(path, json={"data": {"response": "maybe"}}).status_code == 422   # the form still rules
    assert as_[None].post(path, json={"data": {"response": "object", "response_comment": "no"}}).status_code == 200
    [objection] = _tasks(as_, instance["id"], "address_objection")
    assert objection["assignee"] == "alice"


def test_account_manager_or_a_system_can_pass_on_an_answer_received_elsewhere(as_):
    instance = _told(as_, CUSTOMERS)
    bank_a, bank_b, insurer = _tasks(as_, instance["id"], "acknowledge_change")
    # Bank A answered by phone: an account manager records it on the customer's behalf.
    _complete(as_, "alice", bank_a, {"response": "acknowledge", "response_comment": "by phone"})
    # Bank B's answer comes from the CRM, as the message itself, aimed at Bank B's notice.
    sent = as_["owner"].post("/api/v1/messages", json={
        "name": "change_acknowledgement", "instance": instance["id"], "task": bank_b["id"],
        "data": {"response": "acknowledge"}})
    assert sent.status_code == 200, sent.json
    done = as_["owner"].get(f"/api/v1/tasks/{bank_b['id']}").json
    assert done["status"] == "completed" and done["completed_by"] == "owner"
    assert [t["id"] for t in _tasks(as_, instance["id"], "acknowledge_change")] == [insurer["id"]]
    received = [(r["actor"]["name"], r["data"].get("task_id")) for r in
                as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
                if r["type"] == "message.received"]
    assert received == [("alice", bank_a["id"]), ("owner", None)]


def test_an_undrafted_notice_is_reminded(app, as_):
    _deploy(as_)
    clock.set(T0)
    as_["owner"].post("/api/v1/instances", json={
        "process": "customer_change_notification", "data": dict(CHANGE, materiality="high")})
    clock.set(T0 + timedelta(days=2, minutes=1))
    with app.app_context():
        scheduler.sweep()
    assert [n["subject"] for n in as_["owner"].get("/api/v1/notifications").json["items"]] == \
        ["Change notice to draft: credit-scoring 3.0"]


def test_approving_a_notice_is_a_choice_between_named_outcomes(app, as_):
    from helpers import signed_in
    _deploy(as_)
    instance = as_["owner"].post("/api/v1/instances", json={
        "process": "customer_change_notification", "data": dict(CHANGE, materiality="high")}).json
    _complete(as_, "owner", instance["open_tasks"][0], {"notice": {
        "summary": "New model", "impact": "none", "effective_date": "2027-06-01"}})
    [approval] = _tasks(as_, instance["id"], "approve_notice")

    # Nothing chosen is no decision (an unticked box used to mean "send back"); nor is a guess.
    url = f"/api/v1/tasks/{approval['id']}/complete"
    for data, said in (({}, "this field is required"),
                       ({"notice_decision": "maybe"},
                        "choose one of: Approve: send it to the customers, Send it back with changes"),
                       ({"notice_decision": "send back"}, None)):
        refused = as_["admin"].post(url, json={"data": data})
        assert refused.status_code == 422
        fields = {d["field"]: d["message"] for d in refused.json["error"]["details"]}
        assert fields == ({"approval_comment": "this field is required"} if said is None else {"notice_decision": said})
    assert _tasks(as_, instance["id"], "approve_notice") == [approval]   # nothing moved

    # The page offers the two outcomes by name, as radio buttons.
    page = signed_in(app, "admin").get(f"/tasks/{approval['id']}").text
    assert re.search(r'type="radio" name="notice_decision" value="approve"\s*> Approve: send it to the customers', page)
    assert re.search(r'type="radio" name="notice_decision" value="send back"\s*> Send it back with changes', page)

    _complete(as_, "admin", approval, {"notice_decision": "approve"})
    assert len(_tasks(as_, instance["id"], "acknowledge_change")) == 3   # each customer is told


def test_the_updated_documents_go_with_the_notice_hashed_by_the_service_for_each_customer_to_fetch(as_):
    _deploy(as_)
    cases = []
    for version in ("3.0", "3.1"):
        instance = as_["owner"].post("/api/v1/instances", json={"process": "customer_change_notification", "data": dict(
            CHANGE, materiality="high", version_to=version, customers=CUSTOMERS[:1])}).json
        [draft] = instance["open_tasks"]
        card = pdf(f"Model card {version}")
        notice = {"notice": {"summary": f"New model version {version}", "impact": "Scores shift",
                             "effective_date": (T0 + timedelta(days=400)).date().isoformat()},
                  "documents": [{"name": "Model card", "version": version, "file": File(card, "model-card.pdf")}]}
        _complete(as_, "owner", draft, given(as_["owner"], f"/api/v1/tasks/{draft['id']}/documents", notice))
        _complete(as_, "admin", _tasks(as_, instance["id"], "approve_notice")[0], {"notice_decision": "approve"})
        [ask] = _tasks(as_, instance["id"], "acknowledge_change")
        path = as_["owner"].post(f"/api/v1/tasks/{ask['id']}/links", json={"party": "ops@bank-a.example"}).json["path"]
        [shown] = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["data"]["documents"]
        cases.append((path, shown["file"], card))

    (path, file, card), (_, other, _) = cases
    assert file["sha256"] == hashlib.sha256(card).hexdigest()   # computed here: nobody typed it
    fetched = as_[None].get(f"{path}/documents/{file['document']}")
    assert fetched.status_code == 200 and fetched.data == card   # shown on the customer's page: theirs to read
    assert as_[None].get(f"{path}/documents/{other['document']}").status_code == 404   # another notice's: not
    assert as_[None].post(path, json={"data": {"response": "acknowledge"}}).status_code == 200
