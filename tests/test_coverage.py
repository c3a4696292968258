"""What coverage counts: the cycles of a control the evidence shows were done. A supplier approved
and registered is onboarding done, though its instance waits on for the next re-assessment; a
re-assessment is a cycle of its own; a milestone after the period's end does not count in it."""
import io
import json
import zipfile
from datetime import datetime, timedelta, timezone

from a10flow import clock, scheduler
from helpers import File, deploy_bundled
from test_supplier_onboarding import CLAUSES, DETAILS, LOW, _do, _open, _through_risk

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)


def _approve(as_):
    """A low-risk supplier through approval and the contract checklist: in the register."""
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    return instance_id


def _row(as_, query=""):
    [row] = as_["auditor"].get(f"/api/v1/evidence/coverage?control=A.10.3{query}").json["items"]
    return row


def test_a_supplier_approved_and_registered_is_onboarding_completed(as_):
    deploy_bundled(as_, "supplier_onboarding")
    instance_id = _approve(as_)
    assert as_["owner"].get(f"/api/v1/instances/{instance_id}").json["status"] == "running"   # waits to re-assess
    row = _row(as_)
    assert (row["instances"], row["completed"], row["completed_on_time"], row["overdue"]) == (1, 1, 1, 0)
    # The pack's coverage and its Statement of Applicability say the same.
    pack = zipfile.ZipFile(io.BytesIO(as_["auditor"].get("/api/v1/evidence/export?control=A.10.3").data))
    assert json.loads(pack.read("coverage.json"))[0] == row
    soa = {r["control"]: r for r in json.loads(pack.read("statement-of-applicability.json"))}
    assert soa["A.10.3"]["coverage"]["completed"] == 1


def test_a_reassessment_is_a_cycle_of_its_own_and_counts_in_its_period(app, as_):
    deploy_bundled(as_, "supplier_onboarding")
    instance_id = _approve(as_)
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    clock.set(datetime.fromisoformat(entry["data"]["reassess_on"] + "T09:01:00+00:00"))
    with app.app_context():
        assert scheduler.sweep() == 1
    [details] = _open(as_, instance_id, "due_diligence")
    assert _row(as_)["completed"] == 1   # the re-assessment has begun, not ended
    _do(as_, "bob", details, dict(DETAILS, certifications=[{"name": "ISO/IEC 27001",   # renewed
                                                             "certificate": File(expires="2029-12-31")}]))
    _do(as_, "sam", _open(as_, instance_id, "assess_risk")[0], LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    assert (_row(as_)["completed"], _row(as_)["instances"]) == (2, 1)
    # Each in the period it was done; one done after the period's end does not count in it.
    assert _row(as_, "&to=2026-02-01T00:00:00Z")["completed"] == 1
    assert _row(as_, "&from=2027-01-01T00:00:00Z")["completed"] == 1


def test_onboarding_done_late_is_completed_but_not_on_time(as_):
    deploy_bundled(as_, "supplier_onboarding")
    instance_id = _through_risk(as_, LOW)
    clock.set(T0 + timedelta(days=20))   # the approval was due in 5 days
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    row = _row(as_)
    assert (row["completed"], row["completed_on_time"], row["overdue"]) == (1, 0, 1)
    # As of a day when the approval was not yet due, nothing was late, and nothing done.
    early = _row(as_, "&to=2026-01-13T00:00:00Z")
    assert (early["completed"], early["overdue"]) == (0, 0)


def test_a_rejected_supplier_is_a_completed_assessment_too(as_):
    deploy_bundled(as_, "supplier_onboarding")
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0],
        {"approval": {"decision": "reject", "comment": "no DPA for the sub-processor"}})
    assert as_["owner"].get(f"/api/v1/instances/{instance_id}").json["status"] == "completed"
    assert _row(as_)["completed"] == 1   # once: the milestone, not the milestone and the instance's end


def test_a_process_that_declares_no_milestone_completes_with_its_instance(as_):
    deploy_bundled(as_, "customer_change_notification")
    clock.set(T0)
    as_["owner"].post("/api/v1/instances", json={"process": "customer_change_notification", "data": {
        "ai_system": "credit-scoring", "version_from": "2.3", "version_to": "3.0", "materiality": "low",
        "change_type": "model update or retraining", "predetermined": False, "customers": []}})
    [row] = as_["auditor"].get("/api/v1/evidence/coverage?control=A.10.4").json["items"]
    assert (row["instances"], row["completed"], row["completed_on_time"]) == (1, 1, 1)
    [before] = as_["auditor"].get("/api/v1/evidence/coverage?control=A.10.4&to=2026-01-12T08:00:00Z").json["items"] \
        or [{"completed": 0}]
    assert before["completed"] == 0


def test_a_milestone_where_no_record_is_kept_is_warned_of_at_deploy(as_):
    from helpers import CAMUNDA, bpmn, flow
    ended = ('<bpmn:startEvent id="s"/><bpmn:endEvent id="e"><bpmn:extensionElements><camunda:properties>'
             '<camunda:property name="milestone" value="Done"/></camunda:properties></bpmn:extensionElements>'
             '</bpmn:endEvent>' + flow("s", "e", 1))
    response = as_["owner"].deploy(bpmn(ended, ns=CAMUNDA))
    assert response.status_code == 201
    [warned] = [w for w in response.json["warnings"] if w["element"] == "e"]
    assert "never counted" in warned["message"]


def test_an_instance_from_before_milestones_counts_once_moved_to_a_version_with_them(as_):
    from pathlib import Path
    from helpers import BUNDLED, ROOT
    files = [(Path(n).name, (ROOT / n).read_bytes()) for n in BUNDLED["supplier_onboarding"]]
    files[0] = (files[0][0], files[0][1].replace(b'name="milestone"', b'name="note"'))   # as deployed before
    assert as_["owner"].deploy(*files).status_code == 201
    instance_id = _approve(as_)
    assert _row(as_)["completed"] == 0   # its process marks no milestone, and it has not ended
    deploy_bundled(as_, "supplier_onboarding")   # version 2 marks them
    assert as_["owner"].post(f"/api/v1/instances/{instance_id}/migrate", json={}).status_code == 200
    assert _row(as_)["completed"] == 1
