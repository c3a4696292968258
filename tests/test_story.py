"""The core story: deploy, start, work through the tasks, see the evidence."""
import hashlib
import json

from a10flow.evidence.canonical import canonical


def test_purchase_runs_from_start_to_evidence(as_, purchase):
    assert purchase["processes"] == [{"key": "purchase", "name": "Tool purchase", "version": 1}]

    started = as_["alice"].post("/api/v1/instances", json={"process": "purchase", "business_key": "PO-1"})
    assert started.status_code == 201, started.json
    instance = started.json
    assert instance["status"] == "running"
    [request] = instance["open_tasks"]
    assert request["element_id"] == "request"
    assert request["candidate_groups"] == ["procurement"]
    assert request["form"]["schema"]["required"] == ["tool", "amount"]
    assert request["due_at"] is not None
    assert request["documentation"] == "Say what the tool is and what it costs."

    done = as_["alice"].post(f"/api/v1/tasks/{request['id']}/complete",
                             json={"data": {"tool": "Profiler", "amount": 2500, "approver_group": "security"}})
    assert done.status_code == 200, done.json
    assert done.json["status"] == "completed" and done.json["completed_by"] == "alice"

    # JUEL ${approver_group} put the approval with security; alice cannot see it now.
    [approve] = as_["sam"].get("/api/v1/tasks?scope=claimable").json["items"]
    assert approve["element_id"] == "approve" and approve["candidate_groups"] == ["security"]
    assert as_["alice"].get(f"/api/v1/tasks/{approve['id']}").status_code == 404
    assert as_["sam"].post(f"/api/v1/tasks/{approve['id']}/claim").json["assignee"] == "sam"
    assert as_["sam"].post(f"/api/v1/tasks/{approve['id']}/complete", json={"data": {}}).status_code == 200

    final = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert final["status"] == "completed"
    assert final["data"]["recorded"] is True and final["data"]["tool"] == "Profiler"
    assert final["open_tasks"] == []

    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    assert [r["type"] for r in chain] == [
        "instance.started", "task.completed", "gateway.path_taken", "task.claimed",
        "task.completed", "script.run", "instance.completed"]
    gateway = chain[2]
    assert gateway["element"] == {"id": "expensive", "name": "Expensive?"} and gateway["data"] == {
        "to": ["approve"], "flows": [{"id": "costly", "name": "over 1000", "to": "approve"}]}
    completed = chain[1]
    assert completed["actor"]["name"] == "alice"
    assert completed["data"]["submitted"]["amount"] == 2500
    assert completed["data"]["form"]["name"] == "request.json"
    assert completed["process"]["key"] == "purchase" and completed["process"]["version"] == 1
    xml = as_["owner"].get("/api/v1/definitions/purchase/versions/1/bpmn").data
    assert completed["process"]["bpmn_sha256"] == hashlib.sha256(xml).hexdigest()
    previous = None
    for seq, record in enumerate(chain, 1):
        assert record["seq"] == seq and record["prev_hash"] == previous
        body = {k: v for k, v in record.items() if k != "hash"}
        assert hashlib.sha256(canonical(body)).hexdigest() == record["hash"]
        previous = record["hash"]


def test_cheap_purchase_skips_approval(as_, purchase):
    instance = as_["bob"].post("/api/v1/instances", json={"process": "purchase"}).json
    task = instance["open_tasks"][0]
    as_["bob"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"tool": "Linter", "amount": 12.5}})
    final = as_["bob"].get(f"/api/v1/instances/{instance['id']}").json
    assert final["status"] == "completed"
    chain = as_["owner"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    assert chain[2]["data"] == {"to": ["record"], "flows": [{"id": "cheap", "name": None, "to": "record"}]}
    # No floats in hashed content: 12.5 is recorded as the string "12.5".
    assert chain[1]["data"]["submitted"]["amount"] == "12.5"
    assert json.loads(json.dumps(chain))  # plain JSON throughout


def test_specs_and_tokens_are_stored_the_way_the_design_says(app, as_, purchase):
    from a10flow.models import ApiToken, DefinitionVersion, Instance, db
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    with app.app_context():
        state = db.session.get(Instance, instance["id"]).state
        assert "spec" not in state and "subprocess_specs" not in state   # the spec lives in the version
        assert db.session.scalar(db.select(DefinitionVersion.spec)) is not None
        token = as_["alice"].headers["Authorization"].split()[1]
        stored = db.session.scalars(db.select(ApiToken.token_hash)).all()
        assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
