"""A.10.3 end to end: request, due diligence by the supplier's contact, risk tiering by DMN,
approval scaled to risk with separation of duties, conditions as corrective actions, the
contract checklist, the supplier register, and re-assessment by date or incident."""
from datetime import datetime, timedelta, timezone

from helpers import File, NotGiven, deploy_bundled, given, pdf, signed_in

from a10flow import clock, scheduler

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
REQUEST = {"supplier_name": "Acme Data", "contact_email": "anna@acme.example", "business_owner": "alice",
           "supplied": ["dataset"], "ai_systems": ["credit-scoring"], "personal_data": True,
           "pii_role": "processor"}
# What the supplier gives through their link: the signed DPA and each certificate as the PDF itself.
DETAILS = {"legal_name": "Acme Data Ltd", "country": "IE", "dpa_signed": True, "incident_notification": True,
           "change_notification": True, "dpa": File(pdf("Acme DPA, signed"), "acme-dpa.pdf", effective="2025-11-01"),
           "certifications": [{"name": "ISO/IEC 27001", "certificate": File(pdf("ISO/IEC 27001"), "iso27001.pdf",
                                                                             expires="2027-12-31")}]}
# Legal attaches the signed contract, which runs longer than the certificate.
CLAUSES = {"contract": File(pdf("Master services agreement"), "msa.pdf", effective="2026-01-01", expires="2030-12-31"),
           "clauses": {k: "in the contract" for k in ("ai_responsibilities", "audit_rights", "change_and_incident_notification",
                                         "documentation_delivery", "no_training_on_our_data", "art_25_4_agreement")}}


def _deploy(as_):
    deploy_bundled(as_, "supplier_onboarding")


def _open(as_, instance_id, element):
    return [t for t in as_["owner"].get(f"/api/v1/instances/{instance_id}").json["open_tasks"]
            if t["element_id"] == element]


def _do(as_, who, task, data):
    """``who`` does ``task`` with ``data``, giving the files it holds first, as the task page does."""
    data = given(as_[who], f"/api/v1/tasks/{task['id']}/documents", data)
    done = as_[who].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    assert done.status_code == 200, done.json
    return done


def _request(as_):
    """Alice asks for a new supplier: the start form is the request."""
    started = as_["alice"].post("/api/v1/instances", json={"process": "supplier_onboarding", "data": REQUEST})
    assert started.status_code == 201, started.json
    return started.json


def _through_risk(as_, risk):
    """Start, answer the request and due diligence, assess the risk (sam, security)."""
    clock.set(T0)
    instance = _request(as_)
    [details] = _open(as_, instance["id"], "due_diligence")
    link = as_["alice"].post(f"/api/v1/tasks/{details['id']}/links", json={"party": "anna@acme.example"}).json
    assert as_[None].post(link["path"], json={"data": given(as_[None], link["path"] + "/documents", DETAILS)}
                          ).status_code == 200
    [assess] = _open(as_, instance["id"], "assess_risk")
    _do(as_, "sam", assess, risk)
    return instance["id"]


LOW = {"data_sensitivity": "low", "business_criticality": "low", "substitutability": "easy",
       "regulatory_exposure": "none"}
HIGH = dict(LOW, data_sensitivity="high")


def test_a_low_risk_supplier_needs_procurement_only(as_):
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    [approval] = _open(as_, instance_id, "approve_supplier")
    assert approval["candidate_groups"] == ["procurement"]
    _do(as_, "bob", approval, {"approval": {"decision": "approve"}})
    [checklist] = _open(as_, instance_id, "check_contract")
    _do(as_, "lee", checklist, CLAUSES)
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers?key=Acme Data").json["items"]
    assert entry["data"]["status"] == "approved" and entry["data"]["tier"] == "low"
    assert entry["data"]["next_review"] == "2028-01-12"       # low: every 24 months
    # The certificate runs out first: re-assessment 30 days before it does.
    assert entry["data"]["reassess_on"] == "2027-12-01"
    assert as_["owner"].get("/api/v1/timers").json["items"][0]["due_at"] == "2027-12-01T09:00:00+00:00"


def test_a_high_risk_supplier_needs_three_approvals_kept_apart_from_the_assessor(app, as_):
    _deploy(as_)
    instance_id = _through_risk(as_, HIGH)
    approvals = _open(as_, instance_id, "approve_supplier")
    assert sorted(a["candidate_groups"][0] for a in approvals) == ["legal", "procurement", "security"]
    by_group = {a["candidate_groups"][0]: a for a in approvals}
    refused = as_["sam"].post(f"/api/v1/tasks/{by_group['security']['id']}/complete",
                              json={"data": {"approval": {"decision": "approve"}}})
    assert refused.status_code == 403 and "separation of duties" in refused.json["error"]["message"]
    # Nor is it offered to him: not among what he may take, and he was not told of it.
    claimable = as_["sam"].get("/api/v1/tasks?scope=claimable").json["items"]
    assert by_group["security"]["id"] not in {t["id"] for t in claimable}
    told = [n["subject"] for n in as_["sam"].get("/api/v1/notifications").json["items"]]
    assert "New task: Assess the supplier's risk" in told and "New task: Approve the supplier" not in told
    _do(as_, "alice", by_group["procurement"], {"approval": {"decision": "approve"}})
    _do(as_, "admin", by_group["security"], {"approval": {"decision": "approve with conditions", "conditions": [
        {"action": "Deliver the model card", "owner": "bob", "due": "2026-03-01"}]}})
    _do(as_, "lee", by_group["legal"], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)

    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    assert entry["data"]["status"] == "approved with conditions" and entry["data"]["tier"] == "high"
    assert entry["data"]["next_review"] == "2026-07-12"        # high: every 6 months
    chain = as_["auditor"].get(f"/api/v1/instances/{instance_id}/evidence").json["items"]
    approved = [r for r in chain if r["type"] == "task.completed" and r["element"]["id"] == "approve_supplier"]
    # each control the element evidences, by its canonical id
    assert {tuple(r["controls"]) for r in approved} == {("A.10.3", "ISO/IEC 27001 A.5.19")}
    [action] = _open(as_, instance_id, "close_corrective_action")
    assert action["assignee"] == "bob" and action["due_at"].startswith("2026-03-01")
    _do(as_, "bob", action, {"done": "model card received"})

    # Six months on, the review date starts a re-assessment: the supplier is asked again.
    clock.set(datetime(2026, 7, 12, 9, 1, tzinfo=timezone.utc))
    with app.app_context():
        assert scheduler.sweep() == 1
    assert len(_open(as_, instance_id, "due_diligence")) == 1


def test_a_reported_incident_starts_a_reassessment(as_):
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    sent = as_["owner"].post("/api/v1/messages", json={"name": "supplier_incident", "instance": instance_id,
                                                       "data": {"incident": "training data leak reported"}})
    assert sent.status_code == 200, sent.json
    assert len(_open(as_, instance_id, "due_diligence")) == 1


def test_a_rejected_supplier_is_recorded_as_rejected(as_):
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0],
        {"approval": {"decision": "reject", "comment": "no DPA for the sub-processor"}})
    assert as_["owner"].get(f"/api/v1/instances/{instance_id}").json["status"] == "completed"
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    assert entry["data"]["status"] == "rejected"


def test_a_silent_supplier_is_chased_then_escalated(app, as_):
    _deploy(as_)
    clock.set(T0)
    instance = _request(as_)
    for day in (3, 6, 9, 10):
        clock.set(T0 + timedelta(days=day, minutes=1))
        with app.app_context():
            scheduler.sweep()
    assert _subjects(as_, "bob") == \
        ["Waiting for Acme Data"] * 3
    [details] = _open(as_, instance["id"], "due_diligence")
    assert details["candidate_groups"] == ["procurement-leads"]


def test_a_medium_risk_supplier_adds_security(as_):
    _deploy(as_)
    instance_id = _through_risk(as_, dict(LOW, business_criticality="medium"))
    approvals = _open(as_, instance_id, "approve_supplier")
    assert sorted(a["candidate_groups"][0] for a in approvals) == ["procurement", "security"]
    for approval in approvals:
        who = "alice" if approval["candidate_groups"] == ["procurement"] else "admin"
        _do(as_, who, approval, {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    assert entry["data"]["tier"] == "medium" and entry["data"]["next_review"] == "2027-01-12"


def test_waiting_approvers_are_reminded(app, as_):
    _deploy(as_)
    instance_id = _through_risk(as_, dict(LOW, business_criticality="medium"))
    clock.set(T0 + timedelta(days=2, minutes=1))
    with app.app_context():
        scheduler.sweep()
    for who in ("alice", "bob", "sam"):   # procurement and security, one reminder for both tasks
        assert _subjects(as_, who) == \
            ["Approval waiting: Acme Data"]
    assert len(_open(as_, instance_id, "approve_supplier")) == 2


def _sweep_at(app, moment):
    clock.set(moment)
    with app.app_context():
        scheduler.sweep()


def _subjects(as_, who):
    """What ``who`` was reminded of or told on escalation, newest first (the notice of each new task
    they are offered, tests/test_notifications.py shows)."""
    return [n["subject"] for n in as_[who].get("/api/v1/notifications").json["items"]
            if not n["subject"].startswith(("New task: ", "Handed to you: "))]


def test_every_waiting_step_reminds_and_overdue_reviews_escalate(app, as_):
    _deploy(as_)
    clock.set(T0)
    instance = _request(as_)
    [details] = _open(as_, instance["id"], "due_diligence")
    link = as_["alice"].post(f"/api/v1/tasks/{details['id']}/links", json={"party": "anna@acme.example"}).json
    assert as_[None].post(link["path"], json={"data": given(as_[None], link["path"] + "/documents", DETAILS)}
                          ).status_code == 200

    # The risk review: reminded every two days, the security leads told after five.
    start = clock.now()
    for day in (2, 4, 5):
        _sweep_at(app, start + timedelta(days=day, minutes=1))
    assert _subjects(as_, "sam") == ["Risk assessment waiting: Acme Data"] * 2
    assert _subjects(as_, "leah") == ["Risk assessment overdue: Acme Data"]
    _do(as_, "sam", _open(as_, instance["id"], "assess_risk")[0], LOW)

    # The approval: management hears after five days.
    start = clock.now()
    _sweep_at(app, start + timedelta(days=5, minutes=1))
    assert _subjects(as_, "leah")[0] == "Supplier approval overdue: Acme Data"
    _do(as_, "alice", _open(as_, instance["id"], "approve_supplier")[0], {"approval": {"decision": "approve"}})

    # The contract checklist: reminders to legal, the legal leads told after ten days.
    start = clock.now()
    for day in (2, 4, 6, 8, 10):
        _sweep_at(app, start + timedelta(days=day, minutes=1))
    assert _subjects(as_, "lee") == ["Contract checklist waiting: Acme Data"] * 5
    assert _subjects(as_, "leah")[0] == "Contract checklist overdue: Acme Data"
    _do(as_, "lee", _open(as_, instance["id"], "check_contract")[0], CLAUSES)
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    assert entry["data"]["status"] == "approved"


def test_open_corrective_actions_are_reminded_weekly(app, as_):
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    _do(as_, "alice", _open(as_, instance_id, "approve_supplier")[0], {"approval": {
        "decision": "approve with conditions",
        "conditions": [{"action": "Deliver the model card", "owner": "bob", "due": "2026-02-01"}]}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    _sweep_at(app, T0 + timedelta(days=7, minutes=1))
    assert _subjects(as_, "bob") == ["Corrective actions open: Acme Data"]
    assert _subjects(as_, "alice") == []   # only the owner of the action


def test_missing_contract_clauses_become_corrective_actions_for_legal(as_):
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    half = dict(CLAUSES, clauses=dict(CLAUSES["clauses"], audit_rights="missing", art_25_4_agreement="missing",
                                      no_training_on_our_data="missing"))
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], half)
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    assert entry["data"]["status"] == "approved with conditions"   # never a plain pass with clauses missing
    assert sorted(entry["data"]["contract_gaps"]) == ["art_25_4_agreement", "audit_rights", "no_training_on_our_data"]
    actions = _open(as_, instance_id, "close_corrective_action")
    assert len(actions) == 3 and all(a["candidate_groups"] == ["legal"] and a["due_at"] for a in actions)


def test_a_corrective_action_goes_to_someone_real_by_a_day_to_come(as_):
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    [approval] = _open(as_, instance_id, "approve_supplier")
    for owner, due, wrong in (("nobody-such-user", "2026-03-01", "owner"), ("bob", "2020-01-01", "due")):
        refused = as_["bob"].post(f"/api/v1/tasks/{approval['id']}/complete", json={"data": {"approval": {
            "decision": "approve with conditions", "conditions": [{"action": "Send the DPA", "owner": owner,
                                                                     "due": due}]}}})
        assert refused.status_code == 422
        assert refused.json["error"]["details"] == [
            {"field": f"approval/conditions/0/{wrong}", "message": {"owner": "choose someone who has an account",
                                                                   "due": "enter a date after today"}[wrong]}]


def test_an_expired_certificate_is_an_action_for_procurement_not_an_instant_reassessment(as_):
    _deploy(as_)
    clock.set(T0)
    instance_id = _request(as_)["id"]
    [details] = _open(as_, instance_id, "due_diligence")
    lapsed = dict(DETAILS, certifications=[{"name": "ISO/IEC 27001", "certificate": File(expires="2025-06-30")},
                                           {"name": "SOC 2", "certificate": File(expires="2026-09-30")}])
    _do(as_, "alice", details, lapsed)
    _do(as_, "sam", _open(as_, instance_id, "assess_risk")[0], LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    assert entry["data"]["status"] == "approved with conditions"
    assert entry["data"]["expiring_certificates"] == ["ISO/IEC 27001"]
    assert entry["data"]["reassess_on"] == "2026-08-31"   # 30 days before SOC 2 expires, not in the past
    assert entry["data"]["approvals"] == [{"decision": "approve", "by": "bob", "approver": "procurement"}]   # the person, and the group asked
    [action] = _open(as_, instance_id, "close_corrective_action")
    assert action["name"] == "Close the corrective action: Get a current certificate: ISO/IEC 27001"
    assert action["candidate_groups"] == ["procurement"]
    assert _open(as_, instance_id, "due_diligence") == []


def test_the_contract_s_end_counts_like_a_certificate_s_and_one_ending_soon_is_legal_s_to_renew(as_):
    _deploy(as_)
    # The certificate is checked on 2027-12-01; a contract ending sooner, but not within 30 days, first.
    for key, ends, reassess_on in (("Soon", "2026-02-01", "2027-12-01"), ("Later", "2026-06-30", "2026-05-31")):
        instance_id = _through_risk(as_, LOW)
        _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
        contract = File(pdf(f"MSA {key}"), "msa.pdf", effective="2025-02-01", expires=ends)
        _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], dict(CLAUSES, contract=contract))
        entry = as_["auditor"].get(f"/api/v1/instances/{instance_id}").json["data"]
        assert (entry["contract"]["expires"], entry["reassess_on"]) == (ends, reassess_on), key
    # The one ending within 30 days: legal renews it (a corrective action), no re-assessment at once.
    actions = [t["name"] for t in as_["owner"].get("/api/v1/tasks?scope=all").json["items"]
               if t["name"].startswith("Close the corrective action")]
    assert actions == ["Close the corrective action: Renew the contract"]


def test_conditions_are_given_with_an_approval_with_conditions_and_a_reason_with_a_rejection(as_):
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    [approval] = _open(as_, instance_id, "approve_supplier")
    for decision, field in (("approve with conditions", "approval/conditions"), ("reject", "approval/comment")):
        refused = as_["bob"].post(f"/api/v1/tasks/{approval['id']}/complete", json={"data": {"approval": {
            "decision": decision}}})
        assert refused.status_code == 422 and [d["field"] for d in refused.json["error"]["details"]] == [field]
    empty = as_["bob"].post(f"/api/v1/tasks/{approval['id']}/complete", json={"data": {"approval": {
        "decision": "approve with conditions", "conditions": []}}})
    assert empty.json["error"]["details"] == [{"field": "approval/conditions", "message": "add at least one"}]


def test_the_demo_staff_take_medium_and_high_suppliers_through_without_an_owner(app):
    """`make run`'s people: whoever of the staff may do each task does it; no owner steps in."""
    from helpers import BUNDLED, ROOT, Speaker

    from a10flow.cli import DEMO_USERS
    from a10flow.models import Role, db
    from a10flow.people import auth, directory
    client = app.test_client()
    with app.app_context():
        people = {name: Speaker(client, auth.issue_token(directory.create_user(directory.CLI, name, role, groups)), name)
                  for name, role, groups in DEMO_USERS}
        db.session.commit()
    staff = [name for name, role, _ in DEMO_USERS if role == Role.STAFF]
    assert people["olivia"].deploy(*(ROOT / n for n in BUNDLED["supplier_onboarding"])).status_code == 201
    answers = {"due_diligence": DETAILS, "approve_supplier": {"approval": {"decision": "approve"}},
               "check_contract": CLAUSES}
    for tier, risk in (("medium", dict(LOW, data_sensitivity="medium")), ("high", HIGH)):
        started = people["alice"].post("/api/v1/instances", json={"process": "supplier_onboarding", "data": dict(
            REQUEST, supplier_name=f"{tier} supplier", business_owner="olivia")}).json
        answers["assess_risk"] = risk
        for _ in range(12):   # each round: every open task, by the first staff member who may do it
            instance = people["olivia"].get(f"/api/v1/instances/{started['id']}").json
            if instance["data"].get("tier") and not instance["open_tasks"]:
                break
            for task in instance["open_tasks"]:
                doers = [n for n in staff if _done(people[n], task, answers[task["element_id"]])]
                assert doers, f"nobody of the staff may do {task['name']} ({tier})"
        register = people["audrey"].get(f"/api/v1/registers/suppliers?key={tier}%20supplier").json["items"]
        assert [(e["data"]["status"], e["data"]["tier"]) for e in register] == [("approved", tier)]


def _done(person, task, data):
    """Whether ``person`` did ``task`` with ``data`` (its files given first): it was theirs to do."""
    try:
        sent = given(person, f"/api/v1/tasks/{task['id']}/documents", data)
    except NotGiven:
        return False
    return person.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": sent}).status_code == 200


def test_each_contract_clause_is_answered_never_taken_as_missing(as_):
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    [checklist] = _open(as_, instance_id, "check_contract")
    signed = given(as_["lee"], f"/api/v1/tasks/{checklist['id']}/documents", CLAUSES)   # the contract attached
    unanswered = dict(signed, clauses={k: v for k, v in CLAUSES["clauses"].items() if k != "audit_rights"})
    refused = as_["lee"].post(f"/api/v1/tasks/{checklist['id']}/complete", json={"data": unanswered})
    assert refused.status_code == 422
    assert refused.json["error"]["details"] == [{"field": "clauses/audit_rights", "message": "this field is required"}]
    ticked = dict(signed, clauses=dict(CLAUSES["clauses"], audit_rights=True))   # the old checkbox's value is no answer
    refused = as_["lee"].post(f"/api/v1/tasks/{checklist['id']}/complete", json={"data": ticked})
    assert refused.status_code == 422
    assert {d["field"] for d in refused.json["error"]["details"]} == {"clauses/audit_rights"}
    assert _open(as_, instance_id, "check_contract") == [checklist]
    _do(as_, "lee", checklist, CLAUSES)
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    assert entry["data"]["status"] == "approved" and entry["data"]["contract_gaps"] == {}


def test_the_case_data_holds_no_names_the_engine_made_up(as_):
    """People read the instance's data under its names: no "Spiff record supplier result" among them."""
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    data = as_["owner"].get(f"/api/v1/instances/{instance_id}").json["data"]
    assert data["tier"] == "low" and not [k for k in data if k.startswith("spiff__")], sorted(data)


def test_the_supplier_s_contact_and_procurement_are_reminded_before_a_certificate_expires(app, as_):
    from a10flow.models import Notification, db
    from a10flow.work import expiring
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)   # the supplier gave ISO/IEC 27001, expiring 2027-12-31, by link
    with app.app_context():
        clock.set(datetime(2027, 12, 1, 6, 0, tzinfo=timezone.utc))   # 30 days before
        assert expiring.remind() == 1
        told = db.session.execute(db.select(Notification.email, Notification.user_id, Notification.subject).where(
            Notification.subject.startswith("iso27001.pdf"))).all()
    assert {email for email, _, _ in told if email} == {"anna@acme.example"}   # by e-mail: she has no account
    assert {subject for _, _, subject in told} == {"iso27001.pdf expires in 30 days, on 2027-12-31"}
    assert len([user for _, user, _ in told if user]) >= 2   # who started the case, and the owners
    page = signed_in(app, "alice").get("/documents/expiring?within=60").text   # she started the case
    assert "iso27001.pdf" in page and f"/instances/{instance_id}" in page and "in 30 days" in page
