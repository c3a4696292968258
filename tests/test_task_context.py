"""Each task page shows the case as the person doing it needs it: the data under the labels of the
forms that collected it, what was done before and by whom; a redraft keeps the work."""
import re

from helpers import Visitor, deploy_bundled, given, signed_in


def _text(page):
    main = page.text[page.text.index("<main"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#39;", "'")


def test_the_assessor_and_the_approvers_see_what_they_judge(app, as_):
    from test_supplier_onboarding import DETAILS, HIGH, REQUEST, _deploy, _open, _request
    _deploy(as_)
    instance = _request(as_)
    [details] = _open(as_, instance["id"], "due_diligence")
    path = as_["alice"].post(f"/api/v1/tasks/{details['id']}/links", json={"party": "anna@acme.example"}).json["path"]
    answer = given(as_[None], path + "/documents", dict(DETAILS, sub_processors=["CloudCo (US)"]))
    assert as_[None].post(path, json={"data": answer}).status_code == 200
    [assess] = _open(as_, instance["id"], "assess_risk")
    seen = _text(signed_in(app, "sam").get(f"/tasks/{assess['id']}"))
    assert "Certifications" in seen and "ISO/IEC 27001" in seen and "CloudCo" in seen   # what the supplier said
    assert "Supplier details and due diligence: anna@acme.example, through a link for alice" in seen
    as_["sam"].post(f"/api/v1/tasks/{assess['id']}/complete", json={"data": HIGH})
    [legal] = [a for a in _open(as_, instance["id"], "approve_supplier") if a["candidate_groups"] == ["legal"]]
    seen = _text(signed_in(app, "lee").get(f"/tasks/{legal['id']}"))
    assert "Risk tier high" in seen and "Data sensitivity high" in seen and "Assess the supplier's risk: sam" in seen
    assert "Supplier's contact's e-mail anna@acme.example" not in seen or "Supplier contact's e-mail" in seen
    assert REQUEST["supplier_name"] in seen


def test_a_corrective_action_and_an_objection_say_what_they_are_about(app, as_):
    from test_supplier_onboarding import CLAUSES, HIGH, _deploy, _do, _open, _through_risk
    _deploy(as_)
    instance_id = _through_risk(as_, HIGH)
    by_group = {a["candidate_groups"][0]: a for a in _open(as_, instance_id, "approve_supplier")}
    _do(as_, "alice", by_group["procurement"], {"approval": {"decision": "approve"}})
    _do(as_, "admin", by_group["security"], {"approval": {"decision": "approve with conditions", "conditions": [
        {"action": "Deliver the model card", "owner": "bob", "due": "2026-03-01"}]}})
    _do(as_, "lee", by_group["legal"], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    [action] = _open(as_, instance_id, "close_corrective_action")
    bob = signed_in(app, "bob")
    assert "Deliver the model card" in _text(bob.get(f"/tasks/{action['id']}"))
    _do(as_, "bob", action, {"done": "model card received, v2"})
    done = _text(bob.get(f"/tasks/{action['id']}"))   # a completed task shows what was given, by whom, when
    assert "This task is completed" in done and "By bob" in done and "model card received, v2" in done


def test_the_notice_approver_sees_the_notice_and_the_redraft_keeps_the_work(app, as_):
    from test_customer_change_notification import CHANGE, _tasks
    deploy_bundled(as_, "customer_change_notification")
    instance = as_["owner"].post("/api/v1/instances", json={
        "process": "customer_change_notification", "data": dict(CHANGE, materiality="high")}).json
    notice = {"notice": {"summary": "New model version 3.0", "impact": "Scores shift by up to 2 points",
                         "actions_required": "Re-validate cut-offs", "effective_date": "2027-06-01"}}
    as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": notice})
    [approval] = _tasks(as_, instance["id"], "approve_notice")
    seen = _text(signed_in(app, "admin").get(f"/tasks/{approval['id']}"))
    assert "Scores shift by up to 2 points" in seen and "Bank A" in seen and "ops@bank-a.example" in seen
    as_["admin"].post(f"/api/v1/tasks/{approval['id']}/complete",
                      json={"data": {"notice_decision": "send back", "approval_comment": "name the documents"}})
    [redraft] = _tasks(as_, instance["id"], "draft_notice")
    page = signed_in(app, "owner").get(f"/tasks/{redraft['id']}")
    assert re.search(r'<textarea[^>]*name="notice/summary"[^>]*>New model version 3.0</textarea>', page.text)   # the previous version, to change
    assert "name the documents" in _text(page)            # and what the reviewer said


def test_a_customer_objection_names_the_customer_and_what_they_said(app, as_):
    from test_customer_change_notification import CHANGE, _tasks
    deploy_bundled(as_, "customer_change_notification")
    instance = as_["owner"].post("/api/v1/instances", json={
        "process": "customer_change_notification", "data": dict(CHANGE, materiality="high")}).json
    notice = {"notice": {"summary": "New model", "impact": "none", "actions_required": "none",
                         "effective_date": "2027-06-01"}}
    as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": notice})
    [approval] = _tasks(as_, instance["id"], "approve_notice")
    as_["admin"].post(f"/api/v1/tasks/{approval['id']}/complete", json={"data": {"notice_decision": "approve"}})
    bank_b = _tasks(as_, instance["id"], "acknowledge_change")[1]
    path = as_["owner"].post(f"/api/v1/tasks/{bank_b['id']}/links", json={"party": "risk@bank-b.example"}).json["path"]
    assert as_[None].post(path, json={"data": {"response": "object", "response_comment": "too short notice"}}) \
        .status_code == 200
    [objection] = _tasks(as_, instance["id"], "address_objection")
    seen = _text(signed_in(app, "alice").get(f"/tasks/{objection['id']}")).split("The case")[1]
    assert seen.startswith(" Customer Name Bank B")   # this task's own customer comes first
    assert "too short notice" in seen
    # The customer's own page shows the notice, nothing else of the instance.
    other = _tasks(as_, instance["id"], "acknowledge_change")[0]
    link = as_["owner"].post(f"/api/v1/tasks/{other['id']}/links", json={"party": "ops@bank-a.example"}).json["path"]
    theirs = _text(Visitor(app).get(link.replace("/api/v1/external/", "/x/")))
    assert "New model" in theirs and "risk@bank-b.example" not in theirs and "Bank B" not in theirs
