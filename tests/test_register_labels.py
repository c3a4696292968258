"""The responsibilities register as a reader sees it: the agreed matrix's fingerprint shortened,
the whole of it on hover, and the review date explained in words."""
import json

from a10flow import clock
from helpers import signed_in
from test_responsibility_signoff import MATRIX, T0, _deploy, _open, _sign, sha256


def test_the_fingerprint_is_short_with_the_whole_on_hover_and_the_review_date_explained(app, as_):
    _deploy(as_)
    clock.set(T0)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                            "data": {"ai_system": "credit-scoring"}}).json
    as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {"matrix": MATRIX}})
    _sign(as_, instance["id"], {"owner": "accept", "Acme": "accept"}, sha256(MATRIX))
    assert _open(as_, instance["id"])["status"] == "completed"
    page = signed_in(app, "auditor").get("/registers/responsibilities").text
    whole = sha256(MATRIX)
    assert f'<code class="fingerprint" title="{whole}">{whole[:12]}…</code>' in page
    assert f">{whole}<" not in page   # never the 64 characters as text
    assert "Fingerprint of the agreed matrix" in page and "Sha256" not in page
    assert "Review due" in page and "A year after every party accepted it" in page
    # A.10.2 has no loop to wait in: its cycle is done when its instance completes.
    [row] = as_["auditor"].get("/api/v1/evidence/coverage?control=A.10.2").json["items"]
    assert (row["instances"], row["completed"]) == (1, 1)


def test_a_record_task_naming_a_form_that_is_not_there_is_refused(as_):
    from helpers import CAMUNDA, bpmn, flow
    spiff = ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
    body = ('<bpmn:startEvent id="s"/><bpmn:serviceTask id="keep"><bpmn:extensionElements><camunda:properties>'
            '<camunda:property name="form" value="nope.schema.json"/></camunda:properties>'
            '<spiffworkflow:serviceTaskOperator id="record"><spiffworkflow:parameters>'
            '<spiffworkflow:parameter id="register" type="str" value="\'suppliers\'"/>'
            '<spiffworkflow:parameter id="key" type="str" value="\'x\'"/>'
            '<spiffworkflow:parameter id="data" type="str" value="{}"/>'
            '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>'
            '<bpmn:endEvent id="e"/>' + flow("s", "keep", 1) + flow("keep", "e", 2))
    response = as_["owner"].deploy(bpmn(body, ns=CAMUNDA + spiff))
    assert response.status_code == 422
    assert any("nope.schema.json" in d["message"] and d["element"] == "keep"
               for d in response.json["error"]["details"])


def test_the_person_who_approved_is_who_completed_the_task_whatever_was_sent(as_):
    from test_supplier_onboarding import LOW, _do, _open, _through_risk
    from helpers import deploy_bundled as bundled
    bundled(as_, "supplier_onboarding")
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0],
        {"approval": {"decision": "reject", "comment": "no DPA", "by": "someone else"}})
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    assert entry["data"]["approvals"][0]["by"] == "bob"


def test_a_form_that_would_fill_a_persons_name_where_it_cannot_go_is_refused(as_):
    from helpers import CAMUNDA, bpmn, flow, form
    body = ('<bpmn:startEvent id="s"/><bpmn:userTask id="t" camunda:formKey="t.schema.json"/>'
            '<bpmn:endEvent id="e"/>' + flow("s", "t", 1) + flow("t", "e", 2))
    response = as_["owner"].deploy(bpmn(body, ns=CAMUNDA), form("t", by={"type": "integer", "x-completed-by": True}))
    assert response.status_code == 422
    assert "x-completed-by" in json.dumps(response.json["error"]["details"])
