"""Owners and staff start, find and cancel instances; auditors read them."""


def test_list_filters_and_visibility(as_, purchase):
    a = as_["alice"].post("/api/v1/instances", json={"process": "purchase", "business_key": "PO-1"}).json
    b = as_["owner"].post("/api/v1/instances", json={"process": "purchase", "business_key": "PO-2"}).json
    ids = [i["id"] for i in as_["auditor"].get("/api/v1/instances").json["items"]]
    assert ids == [b["id"], a["id"]]
    assert [i["id"] for i in as_["owner"].get("/api/v1/instances?business_key=PO-1").json["items"]] == [a["id"]]
    assert as_["owner"].get("/api/v1/instances?status=completed").json["items"] == []
    assert len(as_["owner"].get("/api/v1/instances?process=purchase&status=running").json["items"]) == 2
    # Security staff hold no task in either instance.
    assert as_["sam"].get("/api/v1/instances").json["items"] == []
    assert as_["sam"].get(f"/api/v1/instances/{a['id']}").status_code == 404
    assert as_["alice"].get(f"/api/v1/instances/{b['id']}").status_code == 200  # she may claim its task
    bad = as_["owner"].get("/api/v1/instances?status=sleeping")
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "status"


def test_cancel_withdraws_tasks_and_is_evidence(as_, purchase):
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    task_id = instance["open_tasks"][0]["id"]
    assert as_["alice"].post(f"/api/v1/instances/{instance['id']}/cancel", json={}).status_code == 403
    cancelled = as_["owner"].post(f"/api/v1/instances/{instance['id']}/cancel", json={"reason": "not needed"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.json["open_tasks"] == []
    assert as_["owner"].get(f"/api/v1/tasks/{task_id}").json["status"] == "cancelled"
    assert as_["owner"].post(f"/api/v1/instances/{instance['id']}/cancel", json={"reason": "again"}).status_code == 409
    done = as_["alice"].post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"tool": "x", "amount": 1}})
    assert done.status_code == 409
    last = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"][-1]
    assert last["type"] == "instance.cancelled" and last["data"] == {"reason": "not needed"}


def test_bad_start_requests(as_, purchase):
    assert as_["owner"].post("/api/v1/instances", json={"process": "nope"}).status_code == 404
    missing = as_["owner"].post("/api/v1/instances", json={})
    assert missing.status_code == 422 and missing.json["error"]["details"][0]["field"] == "process"
    assert as_["owner"].post("/api/v1/instances", json={"process": "purchase", "data": 5}).status_code == 422
    assert as_["auditor"].post("/api/v1/instances", json={"process": "purchase"}).status_code == 403
    assert as_["owner"].get("/api/v1/instances/999").status_code == 404
    assert as_["owner"].get("/api/v1/instances").json["items"] == []


def test_auth_errors_are_json(as_):
    none = as_[None].get("/api/v1/tasks")
    assert none.status_code == 401 and none.json["error"]["code"] == "unauthorized"
    wrong = as_[None].get("/api/v1/tasks", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401
    assert as_["alice"].get("/api/v1/instances/1/evidence").status_code == 403
    assert as_["alice"].get("/api/v1/nowhere").json["error"]["code"] == "not_found"


def test_openapi_describes_every_route(app, as_):
    spec = as_[None].get("/api/v1/openapi.json").json
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)


def test_openapi_documents_the_error_shape_the_api_returns(as_):
    spec = as_[None].get("/api/v1/openapi.json").json
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error"}
    returned = as_["owner"].post("/api/v1/instances", json={}).json
    assert set(returned) == {"error"} and set(returned["error"]) == {"code", "message", "details"}


def test_who_may_start_a_process_is_set_on_its_start_event(as_):
    from helpers import deploy_bundled
    from test_supplier_onboarding import REQUEST
    deploy_bundled(as_, "supplier_onboarding")   # startableBy: procurement, ai-system-owners
    shown = as_["lee"].get("/api/v1/definitions/supplier_onboarding").json
    assert shown["start_form"]["startable_by"] == {"groups": ["procurement", "ai-system-owners"], "users": []}
    assert shown["may_start"] is False and "due diligence" in shown["description"]
    refused = as_["lee"].post("/api/v1/instances", json={"process": "supplier_onboarding", "data": REQUEST})
    assert refused.status_code == 403 and "procurement" in refused.json["error"]["message"]
    assert as_["auditor"].post("/api/v1/instances", json={"process": "supplier_onboarding", "data": REQUEST}) \
        .status_code == 403
    for who in ("alice", "owner"):
        assert as_[who].post("/api/v1/instances", json={"process": "supplier_onboarding", "data": REQUEST}) \
            .status_code == 201


def test_staff_start_the_latest_version_only(as_, purchase):
    from helpers import DATA
    stricter = (DATA / "purchase.bpmn").read_bytes().replace(b'name="Tool purchase"', b'name="Tool purchase v2"')
    assert as_["owner"].deploy(("purchase.bpmn", stricter), DATA / "request.json").status_code == 201
    refused = as_["alice"].post("/api/v1/instances", json={"process": "purchase", "version": 1})
    assert refused.status_code == 403 and "start version 2" in refused.json["error"]["message"]
    assert as_["alice"].post("/api/v1/instances", json={"process": "purchase", "version": 2}).status_code == 201
    assert as_["owner"].post("/api/v1/instances", json={"process": "purchase", "version": 1}).status_code == 201


def test_an_instance_is_not_cancelled_without_a_reason(app, as_, purchase):
    from helpers import set_passwords, signed_in
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    url = f"/api/v1/instances/{instance['id']}/cancel"
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": None}):
        refused = as_["owner"].post(url, json=body)
        assert refused.status_code == 422, body
        assert refused.json["error"]["details"][0]["field"] == "reason"
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "running"
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"][-1]["type"] != \
        "instance.cancelled"

    set_passwords(app, "owner")
    page = signed_in(app, "owner")
    told = page.post(f"/instances/{instance['id']}/cancel", {"reason": "  ", "confirm": "yes"}, follow_redirects=True)
    assert "Nothing was done to instance" in told.text and "say why the instance is cancelled" in told.text
    assert as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["status"] == "running"
    assert page.post(f"/instances/{instance['id']}/cancel", {"reason": "ordered twice", "confirm": "yes"}) \
        .status_code == 302
    last = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"][-1]
    assert last["type"] == "instance.cancelled" and last["data"] == {"reason": "ordered twice"}
