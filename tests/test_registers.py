"""Processes write registers with the record operator; a new entry supersedes the old one."""
from datetime import datetime, timezone

from a10flow import clock
from helpers import DATA, form

SUPPLIER = form("s", supplier={"type": "string"}, tier={"type": "string"}, score={"type": "number"})

APPROVE = (DATA / "approve-supplier.bpmn").read_bytes()


def _approve(as_, supplier, tier, score):
    instance = as_["owner"].post("/api/v1/instances", json={"process": "approve_supplier", "data": {
        "supplier": supplier, "tier": tier, "score": score}}).json
    task = instance["open_tasks"][0]
    assert as_["owner"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    return instance["id"]


def test_the_supplier_register(as_):
    assert as_["owner"].deploy(("approve.bpmn", APPROVE), SUPPLIER).status_code == 201
    clock.set(datetime(2026, 2, 1, tzinfo=timezone.utc))
    first = _approve(as_, "acme", "high", 7.5)
    _approve(as_, "globex", "low", 2)
    clock.set(datetime(2026, 8, 1, tzinfo=timezone.utc))
    again = _approve(as_, "acme", "medium", 5)

    current = as_["alice"].get("/api/v1/registers/suppliers").json["items"]
    assert [(e["key"], e["data"]["tier"]) for e in current] == [("acme", "medium"), ("globex", "low")]
    assert current[0]["instance_id"] == again and current[0]["evidence"] == f"/api/v1/instances/{again}/evidence"
    assert current[0]["data"]["score"] == 5
    assert [e["key"] for e in as_["alice"].get("/api/v1/registers/suppliers?tier=low").json["items"]] == ["globex"]
    history = as_["auditor"].get("/api/v1/registers/suppliers?key=acme&history=true").json["items"]
    assert [(e["instance_id"], e["superseded_at"]) for e in history] == [
        (first, "2026-08-01T00:00:00+00:00"), (again, None)]
    assert history[0]["data"]["score"] == "7.5"   # recorded as evidence is: no floats
    chain = as_["auditor"].get(f"/api/v1/instances/{first}/evidence").json["items"]
    [run] = [r for r in chain if r["type"] == "service.run"]
    assert run["data"]["params"] == {"register": "suppliers", "key": "acme", "data": {"tier": "high", "score": "7.5"}}
    assert as_["alice"].get("/api/v1/registers/assets").status_code == 404
    assert as_[None].get("/api/v1/registers/suppliers").status_code == 401


def test_a_bad_record_call_is_an_incident_naming_the_task(as_):
    bad = APPROVE.replace(b"value=\"'suppliers'\"", b"value=\"'assets'\"")
    as_["owner"].deploy(("approve.bpmn", bad), SUPPLIER)
    instance = as_["owner"].post("/api/v1/instances", json={"process": "approve_supplier", "data": {
        "supplier": "acme", "tier": "high", "score": 1}}).json
    done = as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {}})
    assert done.status_code == 200   # the approval is kept; the service task waits for the owner
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    [incident] = after["incidents"]
    assert after["status"] == "failed" and incident["element_id"] == "put_in_register"
    assert "register must be one of" in incident["error"]
