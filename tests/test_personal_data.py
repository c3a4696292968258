"""Personal data in evidence: form fields marked x-pii are kept beside the hashed record,
shown to those who may read the evidence, and erased on request while the chains still verify."""
import hashlib
import json

from click.testing import CliRunner

from a10flow.evidence.canonical import canonical
from a10flow.cli import main
from a10flow.models import PersonalValue, db
from helpers import DATA

FORM = {"type": "object", "required": ["legal_name"], "properties": {
    "legal_name": {"type": "string"},
    "reviewer": {"type": "string"},
    "contact": {"type": "object", "properties": {
        "name": {"type": "string", "x-pii": True}, "email": {"type": "string", "x-pii": True},
        "role": {"type": "string"}}},
    "other_contacts": {"type": "array", "items": {"type": "object", "properties": {
        "email": {"type": "string", "x-pii": True}}}}}}
ANSWER = {"legal_name": "Acme Data Ltd", "reviewer": "lee",
          "contact": {"name": "Anna Smith", "email": "anna@acme.example", "role": "DPO"},
          "other_contacts": [{"email": "bo@acme.example"}, {"email": "anna@acme.example"}]}


def _answered(as_):
    deployed = as_["owner"].deploy(DATA / "review.bpmn", ("supplier.json", json.dumps(FORM).encode()))
    assert deployed.status_code == 201, deployed.json
    instance = as_["alice"].post("/api/v1/instances", json={"process": "review"}).json
    task = instance["open_tasks"][0]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": ANSWER}).status_code == 200
    return instance["id"]


def _completed(as_, instance_id):
    chain = as_["auditor"].get(f"/api/v1/instances/{instance_id}/evidence").json["items"]
    [record] = [r for r in chain if r["type"] == "task.completed"]
    return record, chain


def test_personal_values_stay_out_of_the_hashed_record(app, as_):
    instance_id = _answered(as_)
    record, _ = _completed(as_, instance_id)
    submitted = record["data"]["submitted"]
    assert submitted["legal_name"] == "Acme Data Ltd" and submitted["contact"]["role"] == "DPO"
    assert set(submitted["contact"]["name"]) == {"pii_sha256"}
    assert "anna" not in json.dumps({k: v for k, v in record.items() if k != "personal"})
    assert record["personal"] == {"/data/submitted/contact/name": "Anna Smith",
                                  "/data/submitted/contact/email": "anna@acme.example",
                                  "/data/submitted/other_contacts/0/email": "bo@acme.example",
                                  "/data/submitted/other_contacts/1/email": "anna@acme.example"}
    with app.app_context():   # the salted hash binds the value kept beside the record
        row = db.session.scalar(db.select(PersonalValue).where(PersonalValue.pointer.endswith("/contact/email")))
        digest = hashlib.sha256(bytes.fromhex(row.salt) + canonical("anna@acme.example")).hexdigest()
        assert digest == row.digest == submitted["contact"]["email"]["pii_sha256"]
    # The process itself still has the values it needs.
    data = as_["owner"].get(f"/api/v1/instances/{instance_id}").json["data"]
    assert data["contact"]["email"] == "anna@acme.example"


def test_erasing_a_subject_keeps_the_chain_verifiable(app, as_, monkeypatch):
    monkeypatch.setenv("A10FLOW_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    instance_id = _answered(as_)
    assert as_["owner"].post("/api/v1/evidence/checkpoints").json["created"]
    before, _ = _completed(as_, instance_id)

    erased = CliRunner().invoke(main, ["evidence", "erase-subject", "anna@acme.example", "--yes"])
    assert erased.exit_code == 0 and "erased 3 personal value(s)" in erased.output, erased.output

    after, chain = _completed(as_, instance_id)
    assert after["hash"] == before["hash"]   # the record itself did not change
    assert after["personal"] == {"/data/submitted/contact/name": None, "/data/submitted/contact/email": None,
                                 "/data/submitted/other_contacts/0/email": "bo@acme.example",
                                 "/data/submitted/other_contacts/1/email": None}
    [note] = [r for r in chain if r["type"] == "personal_data.erased"]
    assert note["actor"]["id"] == "system:cli" and "anna" not in json.dumps(note)
    assert len(note["data"]["erased"]) == 3
    report = as_["auditor"].get("/api/v1/evidence/verify").json
    assert report["ok"], report
    again = CliRunner().invoke(main, ["evidence", "erase-subject", "anna@acme.example", "--yes"])
    assert "erased 0 personal value(s)" in again.output


def test_a_personal_mark_the_service_cannot_follow_is_refused_at_deploy(as_):
    hidden = {"type": "object", "properties": {"legal_name": {"type": "string"}},
              "allOf": [{"properties": {"email": {"type": "string", "x-pii": True}}}]}
    refused = as_["owner"].deploy(DATA / "review.bpmn", ("supplier.json", json.dumps(hidden).encode()))
    assert refused.status_code == 422
    [problem] = refused.json["error"]["details"]
    assert problem["file"] == "supplier.json" and "(root)/allOf/0/properties/email" in problem["message"]
