"""Staff work through their inbox: claim, unclaim, complete, and are refused what is not theirs."""
import threading

from a10flow import clock


def _start(as_, who="alice", **data):
    response = as_[who].post("/api/v1/instances", json={"process": "purchase", "data": data})
    assert response.status_code == 201, response.json
    return response.json


def test_inbox_scopes_and_claiming(as_, purchase):
    instance = _start(as_)
    task_id = instance["open_tasks"][0]["id"]
    assert [t["id"] for t in as_["alice"].get("/api/v1/tasks?scope=claimable").json["items"]] == [task_id]
    assert as_["alice"].get("/api/v1/tasks?scope=mine").json["items"] == []
    assert as_["sam"].get("/api/v1/tasks").json["items"] == []          # security sees no procurement task
    assert as_["sam"].post(f"/api/v1/tasks/{task_id}/claim").status_code == 404

    assert as_["alice"].post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert [t["id"] for t in as_["alice"].get("/api/v1/tasks?scope=mine").json["items"]] == [task_id]
    assert as_["bob"].get("/api/v1/tasks?scope=claimable").json["items"] == []
    assert as_["bob"].post(f"/api/v1/tasks/{task_id}/claim").status_code == 409
    done = as_["bob"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"tool": "x", "amount": 1}})
    assert done.status_code == 403 and done.json["error"]["code"] == "forbidden"
    assert as_["bob"].post(f"/api/v1/tasks/{task_id}/unclaim").status_code == 403

    assert as_["alice"].post(f"/api/v1/tasks/{task_id}/unclaim").json["assignee"] is None
    assert as_["bob"].post(f"/api/v1/tasks/{task_id}/claim").json["assignee"] == "bob"
    assert as_["auditor"].post(f"/api/v1/tasks/{task_id}/claim").status_code == 403
    types = [r["type"] for r in as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]]
    assert types == ["instance.started", "task.claimed", "task.unclaimed", "task.claimed"]

    listed = as_["owner"].get("/api/v1/tasks?process=purchase&status=open").json["items"]
    assert [t["id"] for t in listed] == [task_id]
    assert as_["owner"].get("/api/v1/tasks?process=other").json["items"] == []


def test_form_errors_name_each_field_and_change_nothing(as_, purchase):
    instance = _start(as_)
    task_id = instance["open_tasks"][0]["id"]
    bad = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"tool": "", "amount": -5}})
    assert bad.status_code == 422
    fields = {d["field"]: d["message"] for d in bad.json["error"]["details"]}
    assert set(fields) == {"tool", "amount"}
    missing = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"tool": "x"}})
    assert [d["field"] for d in missing.json["error"]["details"]] == ["amount"]
    not_object = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": [1, 2]})
    assert not_object.status_code == 422 and not_object.json["error"]["details"][0]["field"] == "data"
    assert as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", data="{oops",
                             content_type="application/json").status_code == 400

    after = as_["alice"].get(f"/api/v1/tasks/{task_id}").json
    assert after["status"] == "open"
    chain = as_["owner"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    assert [r["type"] for r in chain] == ["instance.started"]


def test_completing_twice_is_a_conflict(as_, purchase):
    task_id = _start(as_)["open_tasks"][0]["id"]
    data = {"data": {"tool": "x", "amount": 1}}
    assert as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json=data).status_code == 200
    again = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json=data)
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"
    assert as_["alice"].post(f"/api/v1/tasks/{task_id}/claim").status_code == 409


def test_two_concurrent_completions_one_wins(app, as_, purchase):
    instance = _start(as_)
    task_id = instance["open_tasks"][0]["id"]
    barrier, results = threading.Barrier(2), []

    def complete(who):
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/tasks/{task_id}/complete", headers=as_[who].headers,
                               json={"data": {"tool": who, "amount": 1}})
        results.append(response.status_code)

    threads = [threading.Thread(target=complete, args=(who,)) for who in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    chain = as_["owner"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    assert [r["type"] for r in chain].count("task.completed") == 1


def test_due_dates_and_overdue_filter(as_, purchase):
    from datetime import datetime, timedelta, timezone
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    clock.set(start)
    task = _start(as_)["open_tasks"][0]
    assert task["due_at"] == (start + timedelta(days=3)).isoformat()
    assert as_["alice"].get("/api/v1/tasks?overdue=true").json["items"] == []
    clock.set(start + timedelta(days=4))
    overdue = as_["alice"].get("/api/v1/tasks?overdue=true").json["items"]
    assert [t["id"] for t in overdue] == [task["id"]] and overdue[0]["overdue"] is True


def test_assignee_and_candidate_users_from_expressions(as_):
    from helpers import DATA, form
    bpmn = (DATA / "purchase.bpmn").read_bytes().replace(
        b'camunda:candidateGroups="${approver_group}"', b'camunda:assignee="${buyer}"').replace(
        b'camunda:candidateGroups="procurement"', b'camunda:candidateUsers="lee,sam"')
    assert as_["owner"].deploy(("purchase.bpmn", bpmn), DATA / "request.json",
                               form("start", buyer={"type": "string"})).status_code == 201
    instance = _start(as_, "owner", buyer="bob")
    [request] = instance["open_tasks"]
    assert request["candidate_users"] == ["lee", "sam"] and request["candidate_groups"] == []
    assert as_["alice"].get(f"/api/v1/tasks/{request['id']}").status_code == 404
    assert as_["lee"].post(f"/api/v1/tasks/{request['id']}/complete",
                           json={"data": {"tool": "x", "amount": 5000}}).status_code == 200
    [approve] = as_["bob"].get("/api/v1/tasks?scope=mine").json["items"]
    assert approve["element_id"] == "approve" and approve["assignee"] == "bob"


def test_a_failing_script_keeps_the_persons_step_and_opens_an_incident(as_):
    from helpers import DATA
    bpmn = (DATA / "purchase.bpmn").read_bytes().replace(b"recorded = True", b"recorded = 1 / 0")
    as_["owner"].deploy(("purchase.bpmn", bpmn), DATA / "request.json")
    instance = _start(as_)
    task_id = instance["open_tasks"][0]["id"]
    done = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"tool": "x", "amount": 1}})
    assert done.status_code == 200 and done.json["status"] == "completed"   # alice's work is not lost
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "failed" and after["error"]["element"] == "record" and after["open_tasks"] == []
    [incident] = after["incidents"]
    assert incident["element_id"] == "record" and "division by zero" in incident["error"]
    assert incident["attempts"] == 1 and incident["status"] == "open" and not incident["step_rolled_back"]
    types = [r["type"] for r in as_["owner"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]]
    assert types == ["instance.started", "task.completed", "gateway.path_taken", "instance.failed"]
    assert "recorded" not in after["data"]   # the failed script's own changes are not kept


def test_spiffarena_lanes_and_properties(as_):
    from datetime import datetime, timedelta, timezone

    from helpers import DATA
    assert as_["owner"].deploy(DATA / "review.bpmn", DATA / "supplier.json").status_code == 201
    clock.set(datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc))
    instance = as_["alice"].post("/api/v1/instances", json={"process": "review"}).json
    [collect] = instance["open_tasks"]
    # The lane names the group; dueIn and the form come from spiffworkflow:properties.
    assert collect["lane"] == "procurement" and collect["candidate_groups"] == ["procurement"]
    assert collect["due_at"] == (clock.now() + timedelta(weeks=1)).isoformat()
    assert collect["form"]["name"] == "supplier.json"
    done = as_["alice"].post(f"/api/v1/tasks/{collect['id']}/complete",
                             json={"data": {"legal_name": "Acme", "reviewer": "lee"}})
    assert done.status_code == 200, done.json
    [assess] = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]
    # Only candidateUsers is set here, so the lane still names the group as well.
    assert assess["candidate_users"] == ["lee"] and assess["candidate_groups"] == ["security"]
    assert as_["lee"].post(f"/api/v1/tasks/{assess['id']}/complete", json={}).status_code == 200
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "completed"


def test_the_approver_may_not_be_the_assessor(as_):
    from helpers import DATA
    bpmn = (DATA / "purchase.bpmn").read_bytes().replace(
        b'camunda:candidateGroups="${approver_group}" camunda:dueDate="${dateTime().plusDays(2).toDate()}">',
        b'camunda:candidateGroups="${approver_group}">\n      <bpmn:extensionElements><camunda:properties>'
        b'<camunda:property name="separateFrom" value="request" /></camunda:properties></bpmn:extensionElements>')
    assert as_["owner"].deploy(("purchase.bpmn", bpmn), DATA / "request.json").status_code == 201
    instance = _start(as_)
    request = instance["open_tasks"][0]
    as_["alice"].post(f"/api/v1/tasks/{request['id']}/complete",
                      json={"data": {"tool": "x", "amount": 5000, "approver_group": "procurement"}})
    [approve] = as_["alice"].get(f"/api/v1/tasks?instance={instance['id']}&status=open").json["items"]
    refused = as_["alice"].post(f"/api/v1/tasks/{approve['id']}/claim")
    assert refused.status_code == 403 and "separation of duties" in refused.json["error"]["message"]
    refused = as_["alice"].post(f"/api/v1/tasks/{approve['id']}/complete", json={"data": {}})
    assert refused.status_code == 403
    assert as_["bob"].post(f"/api/v1/tasks/{approve['id']}/complete", json={"data": {}}).status_code == 200


def test_a_script_that_leaves_something_not_json_is_an_incident_not_a_crash(as_):
    from helpers import DATA
    bpmn = (DATA / "purchase.bpmn").read_bytes().replace(b"recorded = True", b"recorded = now().date()")
    as_["owner"].deploy(("purchase.bpmn", bpmn), DATA / "request.json")
    task = _start(as_)["open_tasks"][0]
    as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"tool": "x", "amount": 1}})
    [incident] = as_["owner"].get("/api/v1/incidents").json["items"]
    assert incident["element_id"] == "record" and "'recorded' holds a date" in incident["error"]
