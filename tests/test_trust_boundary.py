"""What people, link holders and anonymous clients send can change only what it is meant to.

Each test plays someone trying to misuse an entry point (a form, a link, a raw request) and
checks that the service refuses it, says why, and changes nothing it should not."""
import json

from a10flow.models import Instance, db
from conftest import DATA

NOTES_FORM = json.dumps({"type": "object", "required": ["legal_name", "reviewer"], "properties": {
    "legal_name": {"type": "string"}, "reviewer": {"type": "string"},
    "notes": {"type": "object", "description": "anything the supplier wants to add"}}}).encode()


def _review(as_):
    """The supplier review, its first task answered through a link; returns (instance, link path)."""
    assert as_["owner"].deploy(DATA / "review.bpmn", ("supplier.json", NOTES_FORM)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "review"}).json
    task = instance["open_tasks"][0]
    link = as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example"}).json
    return instance, link["path"]


def test_a_link_holder_cannot_plant_objects_for_the_engine_to_revive(as_):
    instance, path = _review(as_)
    planted = {"typename": "nope", "rows": [{"typename": "BpmnWorkflow", "spec": "x"}]}
    sent = as_[None].post(path, json={"data": {"legal_name": "Acme", "reviewer": "lee", "notes": planted}})
    assert sent.status_code == 200, sent.json
    # The instance still loads: the reviewer's step goes through, and the notes are the text sent.
    [assess] = as_["lee"].get(f"/api/v1/tasks?instance={instance['id']}&status=open").json["items"]
    assert as_["lee"].post(f"/api/v1/tasks/{assess['id']}/complete", json={}).status_code == 200
    done = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert done["status"] == "completed" and done["data"]["notes"] == planted


def test_an_instance_whose_state_does_not_load_can_still_be_cancelled(app, as_, purchase):
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    with app.app_context():   # as an instance broken before a fix would be
        db.session.get(Instance, instance["id"]).state = {"tasks": {"x": {"typename": "nope"}}}
        db.session.commit()
    cancelled = as_["owner"].post(f"/api/v1/instances/{instance['id']}/cancel", json={"reason": "broken"})
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled" and cancelled.json["open_tasks"] == []
    task = as_["alice"].get(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}").json
    assert task["status"] == "cancelled"
    [record] = [r for r in as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
                if r["type"] == "instance.cancelled"]
    assert record["data"]["reason"] == "broken" and record["data"]["state_unreadable"]
