"""A.10.4 end to end: decide by DMN, draft, approve by a second person, tell every customer
(one acknowledges, one objects, one never answers), and the notice register."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

from a10flow import clock, scheduler

ROOT = Path(__file__).parents[1]
T0 = datetime(2026, 10, 5, 8, 0, tzinfo=timezone.utc)
CUSTOMERS = [
    {"name": "Bank A", "contact": "ops@bank-a.example", "account_manager": "alice"},
    {"name": "Bank B", "contact": "risk@bank-b.example", "account_manager": "alice"},
    {"name": "Insurer C", "contact": "ai@insurer-c.example", "account_manager": "bob"},
]
CHANGE = {"ai_system": "credit-scoring", "version_from": "2.3", "version_to": "3.0",
          "change_type": "model update or retraining", "predetermined": False, "customers": CUSTOMERS}


def _deploy(as_):
    files = [ROOT / "workflows" / n for n in ("customer-change-notification.bpmn", "customer-notice-decision.dmn")]
    files += [ROOT / "forms" / n for n in ("change-notice.schema.json", "notice-approval.schema.json",
                                          "change-acknowledgement.schema.json")]
    response = as_["owner"].deploy(*files)
    assert response.status_code == 201, response.json


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
                         "actions_required": "Re-validate cut-offs", "effective_date": "2026-11-05"}}
    _complete(as_, "owner", draft, notice)

    # The drafter may not approve their own notice; a second person sends it back once, then approves.
    [approval] = _tasks(as_, instance["id"], "approve_notice")
    assert as_["owner"].post(f"/api/v1/tasks/{approval['id']}/complete",
                             json={"data": {"approved": True}}).status_code == 403
    _complete(as_, "admin", approval, {"approved": False, "approval_comment": "name the documents"})
    [draft] = _tasks(as_, instance["id"], "draft_notice")
    _complete(as_, "owner", draft, notice)
    [approval] = _tasks(as_, instance["id"], "approve_notice")
    _complete(as_, "admin", approval, {"approved": True})

    asks = _tasks(as_, instance["id"], "acknowledge_change")
    assert len(asks) == 3
    links = {}
    for ask in asks:
        made = as_["owner"].post(f"/api/v1/tasks/{ask['id']}/links", json={"party": "contact"})
        links[ask["id"]] = made.json["path"]
    bank_a, bank_b, insurer = asks
    assert as_[None].post(links[bank_a["id"]], json={"data": {"response": "acknowledge"}}).status_code == 200
    assert as_[None].post(links[bank_b["id"]], json={"data": {"response": "object",
                                                               "response_comment": "too short notice"}}).status_code == 200
    [objection] = _tasks(as_, instance["id"], "address_objection")
    assert objection["assignee"] == "alice"
    _complete(as_, "alice", objection, {})

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
