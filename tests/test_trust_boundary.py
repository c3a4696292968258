"""What people, link holders and anonymous clients send can change only what it is meant to.

Each test plays someone trying to misuse an entry point (a form, a link, a raw request) and
checks that the service refuses it, says why, and changes nothing it should not."""
import io
import json
import zipfile

from helpers import DATA, deploy_bundled, form, given, probe

from a10flow.models import Instance, db

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
    # Its evidence is still an auditor's: the pack's report draws it, with nothing marked done.
    pack = as_["auditor"].get(f"/api/v1/evidence/export?instance={instance['id']}")
    assert pack.status_code == 200, pack.json
    report = zipfile.ZipFile(io.BytesIO(pack.data)).read("report.html").decode()
    assert "Cancelled the instance" in report and "broken" in report


def _evidence(as_, instance_id, kind=None):
    chain = as_["auditor"].get(f"/api/v1/instances/{instance_id}/evidence").json["items"]
    return [r for r in chain if kind is None or r["type"] == kind]


def _fields(response):
    return {d["field"] for d in response.json["error"]["details"]}


def test_legal_cannot_rewrite_the_risk_tier_through_the_contract_checklist(as_):
    from test_supplier_onboarding import CLAUSES, HIGH, _deploy, _do, _open, _through_risk
    _deploy(as_)
    instance_id = _through_risk(as_, HIGH)
    by_group = {a["candidate_groups"][0]: a for a in _open(as_, instance_id, "approve_supplier")}
    conditions = [{"action": "Deliver the model card", "owner": "bob", "due": "2026-03-01"}]
    _do(as_, "alice", by_group["procurement"], {"approval": {"decision": "approve"}})
    _do(as_, "admin", by_group["security"], {"approval": {"decision": "approve with conditions",
                                                          "conditions": conditions}})
    _do(as_, "lee", by_group["legal"], {"approval": {"decision": "approve"}})
    [checklist] = _open(as_, instance_id, "check_contract")
    signed = given(as_["lee"], f"/api/v1/tasks/{checklist['id']}/documents", CLAUSES)   # the contract attached
    forged = dict(signed, tier="low", conditions=[], outcome="approved")
    refused = as_["lee"].post(f"/api/v1/tasks/{checklist['id']}/complete", json={"data": forged})
    assert refused.status_code == 422 and _fields(refused) == {"tier", "conditions", "outcome"}
    nested = dict(signed, clauses=dict(CLAUSES["clauses"], tier="low"))   # nor one level down
    assert _fields(as_["lee"].post(f"/api/v1/tasks/{checklist['id']}/complete", json={"data": nested})) == {
        "clauses/tier"}
    assert _open(as_, instance_id, "check_contract") == [checklist]   # nothing changed
    _do(as_, "lee", checklist, CLAUSES)
    [entry] = as_["auditor"].get("/api/v1/registers/suppliers").json["items"]
    assert entry["data"]["tier"] == "high" and entry["data"]["conditions"] == conditions


def test_the_suppliers_contact_cannot_rewrite_what_procurement_recorded(as_):
    from test_supplier_onboarding import DETAILS, _deploy, _open, _request
    _deploy(as_)
    instance = _request(as_)
    [details] = _open(as_, instance["id"], "due_diligence")
    path = as_["alice"].post(f"/api/v1/tasks/{details['id']}/links", json={"party": "anna@acme.example"}).json["path"]
    answered = given(as_[None], path + "/documents", DETAILS)   # the DPA and the certificate given first
    forged = dict(answered, personal_data=False, supplied=["tooling"], business_owner="anna")
    refused = as_[None].post(path, json={"data": forged})
    assert refused.status_code == 422 and _fields(refused) == {"personal_data", "supplied", "business_owner"}
    assert as_[None].post(path, json={"data": answered}).status_code == 200   # the link still works once
    data = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["data"]
    assert data["personal_data"] is True and data["supplied"] == ["dataset"] and data["business_owner"] == "alice"


def test_a_task_without_a_form_takes_no_data(as_, purchase):
    instance = as_["alice"].post("/api/v1/instances", json={"process": "purchase"}).json
    [request] = instance["open_tasks"]
    as_["alice"].post(f"/api/v1/tasks/{request['id']}/complete", json={"data": {"tool": "GPU", "amount": 5000}})
    [approve] = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]
    refused = as_["sam"].post(f"/api/v1/tasks/{approve['id']}/complete", json={"data": {"amount": 1}})
    assert refused.status_code == 422 and refused.json["error"]["details"] == [
        {"field": "amount", "message": "this step has no form, so it takes no data"}]
    assert as_["sam"].post(f"/api/v1/tasks/{approve['id']}/complete", json={"data": {}}).status_code == 200


def test_start_data_is_what_the_start_form_declares(as_):
    from test_customer_change_notification import CHANGE
    deploy_bundled(as_, "customer_change_notification")
    start = as_["owner"].get("/api/v1/definitions/customer_change_notification").json["start_form"]
    assert start["element"] == "changed" and start["name"] == "change-record.schema.json"
    assert "customers" in start["schema"]["properties"]
    forged = dict(CHANGE, materiality="high", notify=False, notice_days=0)   # the decision table's outputs
    refused = as_["alice"].post("/api/v1/instances", json={"process": "customer_change_notification", "data": forged})
    assert refused.status_code == 422 and _fields(refused) == {"notify", "notice_days"}
    # Started with nothing, it is refused with what is missing: never a failed instance.
    empty = as_["alice"].post("/api/v1/instances", json={"process": "customer_change_notification"})
    assert empty.status_code == 422 and {"ai_system", "change_type", "materiality"} <= _fields(empty)
    assert as_["owner"].get("/api/v1/instances").json["items"] == []
    # A process without a start form takes no start data.
    assert as_["owner"].deploy(DATA / "purchase.bpmn", DATA / "request.json").status_code == 201
    refused = as_["alice"].post("/api/v1/instances", json={"process": "purchase", "data": {"amount": 1}})
    assert refused.status_code == 422 and _fields(refused) == {"amount"}


def test_a_message_carries_only_what_its_catching_element_declares(as_):
    from test_supplier_onboarding import CLAUSES, LOW, _deploy, _do, _open, _through_risk
    _deploy(as_)
    instance_id = _through_risk(as_, LOW)
    _do(as_, "bob", _open(as_, instance_id, "approve_supplier")[0], {"approval": {"decision": "approve"}})
    _do(as_, "lee", _open(as_, instance_id, "check_contract")[0], CLAUSES)
    tier = as_["owner"].get(f"/api/v1/instances/{instance_id}").json["data"]["tier"]
    forged = as_["owner"].post("/api/v1/messages", json={"name": "supplier_incident", "instance": instance_id,
                                                         "data": {"incident": "leak", "tier": "low"}})
    assert forged.status_code == 422 and _fields(forged) == {"tier"}
    assert as_["owner"].get(f"/api/v1/instances/{instance_id}").json["data"]["tier"] == tier
    assert _open(as_, instance_id, "due_diligence") == []   # still waiting: nothing was delivered


MESSAGE_ONLY = (DATA / "message-only.bpmn").read_bytes()


def test_without_a_form_a_message_brings_data_only_into_its_variable(as_):
    deployed = as_["owner"].deploy(("p.bpmn", MESSAGE_ONLY))
    assert deployed.status_code == 201, deployed.json
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p"}).json
    forged = as_["owner"].post("/api/v1/messages", json={"name": "ping", "instance": instance["id"],
                                                         "data": {"approved": True}})
    assert forged.status_code == 422 and _fields(forged) == {"approved"}
    assert as_["owner"].post("/api/v1/messages", json={"name": "ping", "instance": instance["id"]}).status_code == 200
    sent = as_["owner"].post("/api/v1/messages", json={"name": "reply", "instance": instance["id"],
                                                       "data": {"approved": True, "by": "crm"}})
    assert sent.status_code == 200, sent.json
    done = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert done["status"] == "completed" and done["data"]["reply"] == {"approved": True, "by": "crm"}
    assert "approved" not in done["data"]


def test_an_owners_data_for_an_incident_gives_only_what_the_element_uses(as_):
    from test_incidents import GATEWAY
    assert as_["owner"].deploy(("gw.bpmn", GATEWAY)).status_code == 201
    instance = as_["owner"].post("/api/v1/instances", json={"process": "p"}).json
    [incident] = instance["incidents"]
    url = f"/api/v1/incidents/{incident['id']}/retry"
    refused = as_["owner"].post(url, json={"data": {"score": 9, "path": "low"}})
    assert refused.status_code == 422 and _fields(refused) == {"path"}
    assert "score" in refused.json["error"]["details"][0]["message"]   # it says what the gateway does use
    too_long = as_["owner"].post(url, json={"data": {"score": "9" * 30_000}})
    assert too_long.status_code == 422 and _fields(too_long) == {"score"}
    assert as_["owner"].post(url, json={"data": {"score": 9}}).status_code == 200


def _with_form(as_, schema):
    """The supplier review deployed with ``schema`` as its questionnaire; the response."""
    return as_["owner"].deploy(DATA / "review.bpmn", ("supplier.json", json.dumps(schema).encode()))


def _questionnaire(**extra):
    return {"type": "object", "required": ["legal_name", "reviewer"], "properties": {
        "legal_name": {"type": "string"}, "reviewer": {"type": "string"}, **extra}}


def test_a_form_may_not_fetch_or_read_anything_through_ref(as_):
    for ref in ("https://attacker.example/schema.json", "file:///etc/passwd", "other.json#/x"):
        refused = _with_form(as_, _questionnaire(country={"$ref": ref}))
        assert refused.status_code == 422, ref
        [problem] = refused.json["error"]["details"]
        assert problem["file"] == "supplier.json" and "leaves the form" in problem["message"]
    # References inside the form work, and validating never looks anywhere else.
    local = dict(_questionnaire(country={"$ref": "#/$defs/country"}), **{"$defs": {"country": {"enum": ["IE", "DE"]}}})
    assert _with_form(as_, local).status_code == 201
    from a10flow.work import forms
    stored_before_the_rule = {"properties": {"country": {"$ref": "http://127.0.0.1:9/x.json"}}}
    [problem] = forms.errors(stored_before_the_rule, {"country": "IE"})
    assert "outside" in problem["message"]


def test_a_link_holder_cannot_freeze_the_service_with_a_pattern(as_):
    import time
    classic = r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$"
    assert _with_form(as_, _questionnaire(reviewer={"type": "string", "pattern": classic})).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "review"}).json
    task = instance["open_tasks"][0]
    path = as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example"}).json["path"]
    started = time.monotonic()
    refused = as_[None].post(path, json={"data": {"legal_name": "Acme", "reviewer": "a" * 5000 + "!"}})
    assert refused.status_code == 422 and _fields(refused) == {"reviewer"}
    assert time.monotonic() - started < 1   # Python's re takes seconds for 30 characters of this
    # A pattern only a backtracking engine runs is refused at deploy, naming where it is.
    refused = _with_form(as_, _questionnaire(legal_name={"type": "string", "pattern": r"^(\w+)\s\1$"}))
    assert refused.status_code == 422 and "linear time" in refused.json["error"]["details"][0]["message"]


def _link_to(as_, schema):
    """The supplier review with ``schema`` as its questionnaire, handed to its supplier: the link's path."""
    assert _with_form(as_, schema).status_code == 201
    task = as_["alice"].post("/api/v1/instances", json={"process": "review"}).json["open_tasks"][0]
    return as_["alice"].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example"}).json["path"]


def test_a_link_holder_cannot_bring_the_service_down_with_a_regular_expression_as_a_value(as_):
    path = _link_to(as_, _questionnaire(filter={"type": "string", "format": "regex"}))
    for value in ("(" * 3000, "x" * 5000, r"^(\w+)\s\1$"):   # too deep for Python's parser, too long, backtracking
        refused = as_[None].post(path, json={"data": {"legal_name": "Acme", "reviewer": "lee", "filter": value}})
        assert refused.status_code == 422 and _fields(refused) == {"filter"}, refused.json
        assert "regular expression" in refused.json["error"]["details"][0]["message"]
    fine = as_[None].post(path, json={"data": {"legal_name": "Acme", "reviewer": "lee", "filter": "^ISO[0-9]+$"}})
    assert fine.status_code == 200, fine.json


def test_only_what_the_form_declares_for_this_very_value_crosses(as_):
    # "then" declares its fields only when the "if" holds; "else" only when it does not.
    branching = _questionnaire(kind={"enum": ["person", "company"]}, **{"if": {
        "properties": {"kind": {"const": "company"}}, "required": ["kind"]},
        "then": {"properties": {"vat_id": {"type": "string"}}},
        "else": {"properties": {"birth_date": {"type": "string"}}}})
    path = _link_to(as_, branching)
    person = {"legal_name": "Ann", "reviewer": "lee", "kind": "person"}
    refused = as_[None].post(path, json={"data": dict(person, vat_id="IE1", typename="BpmnWorkflow")})
    assert refused.status_code == 422 and _fields(refused) == {"vat_id", "typename"}
    refused = as_[None].post(path, json={"data": dict(person, kind="company", birth_date="1990-01-01")})
    assert refused.status_code == 422 and _fields(refused) == {"birth_date"}
    # Items past "prefixItems" are declared by "items" only: without it, there are none to fill.
    pair = _questionnaire(pair={"type": "array", "prefixItems": [
        {"type": "object", "properties": {"name": {"type": "string"}}}]})
    path = _link_to(as_, pair)
    refused = as_[None].post(path, json={"data": {"legal_name": "Acme", "reviewer": "lee", "pair": [
        {"name": "first"}, {"typename": "BpmnWorkflow", "spec": "x"}]}})
    assert refused.status_code == 422 and _fields(refused) == {"pair/1"}
    taken = as_[None].post(path, json={"data": {"legal_name": "Acme", "reviewer": "lee", "pair": [{"name": "a"}]}})
    assert taken.status_code == 200, taken.json


def test_texts_and_submissions_are_bounded(as_):
    instance, path = _review(as_)
    too_long = as_[None].post(path, json={"data": {"legal_name": "x" * 20_001, "reviewer": "lee"}})
    assert too_long.status_code == 422 and _fields(too_long) == {"legal_name"}
    too_big = as_[None].post(path, json={"data": {"legal_name": "Acme", "reviewer": "lee",
                                                  "notes": {str(i): "y" * 10_000 for i in range(40)}}})
    assert too_big.status_code == 422 and "at most" in too_big.json["error"]["details"][0]["message"]
    assert _evidence(as_, instance["id"], "task.completed") == []


def test_an_address_with_a_line_break_is_no_email_address(as_):
    assert _with_form(as_, _questionnaire(contact={"type": "string", "format": "email"})).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "review"}).json
    path = as_["alice"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/links",
                             json={"party": "anna@acme.example"}).json["path"]
    injected = as_[None].post(path, json={"data": {"legal_name": "Acme", "reviewer": "lee",
                                                   "contact": "anna@acme.example\r\nBcc: all@victim.example"}})
    assert injected.status_code == 422 and injected.json["error"]["details"] == [
        {"field": "contact", "message": "enter an e-mail address"}]


def test_forms_and_code_too_deep_or_too_long_are_refused_at_deploy(as_):
    deep = '{"type": "object", "properties": {"x": ' * 3000 + '{"type": "string"}' + "}}" * 3000
    refused = as_["owner"].deploy(DATA / "review.bpmn", ("supplier.json", deep.encode()))
    assert refused.status_code == 422 and "levels deep" in refused.json["error"]["details"][0]["message"]
    condition = " or ".join(["x"] * 60_000)   # (kept under 500 KB: beyond it the test client leaks a file)
    refused = as_["owner"].deploy(("probe.bpmn", probe(f"found = {condition}")))
    assert refused.status_code == 422
    [problem] = refused.json["error"]["details"]
    assert problem["element"] == "probe" and "characters long" in problem["message"]
    from test_incidents import GATEWAY
    long_condition = " or ".join(["x"] * 60_000).encode()
    refused = as_["owner"].deploy(("gw.bpmn", GATEWAY.replace(b"score &gt; 5", long_condition, 1)))
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["element"] == "f3"   # its flow
    assert len(refused.data) < 5000   # the answer quotes the condition, in part
    nested = "found = " + "(" * 5000 + "1" + ")" * 5000
    refused = as_["owner"].deploy(("probe.bpmn", probe(nested)))
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["element"] == "probe"


def test_process_ids_cannot_name_paths(as_):
    sneaky = (DATA / "purchase.bpmn").read_bytes().replace(b'id="purchase"', b'id="../../../tmp/x"')
    refused = as_["owner"].deploy(("purchase.bpmn", sneaky), DATA / "request.json")
    assert refused.status_code == 422
    assert refused.json["error"]["details"][0]["element"] == "../../../tmp/x"
    assert "may hold only letters" in refused.json["error"]["details"][0]["message"]


def test_a_script_cannot_pile_up_data_without_bound(as_):
    piling = 'part = "x" * 1000000\nwhole = part + part + part'
    assert as_["owner"].deploy(("probe.bpmn", probe(piling))).status_code == 201
    started = as_["owner"].post("/api/v1/instances", json={"process": "probe_process"})
    assert started.status_code == 422 and "at most" in started.json["error"]["message"]


def test_file_names_cannot_climb_out_of_an_evidence_pack(app, as_, tmp_path):
    import io
    import zipfile
    bpmn = (DATA / "purchase.bpmn").read_bytes()
    assert as_["owner"].deploy(("..", bpmn), ("request.json", (DATA / "request.json").read_bytes())).status_code == 201
    as_["alice"].post("/api/v1/instances", json={"process": "purchase"})
    pack = zipfile.ZipFile(io.BytesIO(as_["auditor"].get("/api/v1/evidence/export").data))
    names = [n for n in pack.namelist() if n.startswith("definitions/")]
    assert names == ["definitions/purchase/v1/_", "definitions/purchase/v1/request.json"]
    assert not any(part in ("..", ".") for n in pack.namelist() for part in n.split("/"))


def test_a_link_holder_cannot_fail_the_instance_with_a_number_that_is_none(app, as_):
    score = {"type": "number", "minimum": 0, "maximum": 10}
    assert _with_form(as_, _questionnaire(score=score)).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "review"}).json
    path = as_["alice"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/links",
                             json={"party": "anna@acme.example"}).json["path"].replace("/api/v1/external/", "/x/")
    from helpers import Visitor
    for text in ("nan", "inf", "-1e999"):
        page = Visitor(app).post(path, {"legal_name": "Acme", "reviewer": "lee", "score": text}, csrf=False)
        assert page.status_code == 422 and 'id="f-score-error"' in page.text, text
    after = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json
    assert after["status"] == "running" and after["incidents"] == []


def test_a_step_failing_again_and_again_is_counted_not_recorded_each_time(as_):
    from test_incidents import GROUPS, PICK, TWO_PEOPLE
    as_["owner"].deploy(("two.bpmn", TWO_PEOPLE), GROUPS, PICK)
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": {"groups": ["x"]}}).json
    [first] = instance["open_tasks"]
    for _ in range(5):   # each time the second task's group cannot be worked out: the step is rolled back
        assert as_["alice"].post(f"/api/v1/tasks/{first['id']}/complete", json={"data": {"n": 7}}).status_code == 422
    assert len(_evidence(as_, instance["id"], "instance.failed")) == 1
    [incident] = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["incidents"]
    assert incident["attempts"] == 5


def test_a_task_for_an_outside_party_is_not_everyones(as_):
    from test_responsibility_signoff import MATRIX
    deploy_bundled(as_, "responsibility_signoff")
    instance = as_["owner"].post("/api/v1/instances", json={"process": "responsibility_signoff",
                                                            "data": {"ai_system": "chatbot"}}).json
    as_["owner"].post(f"/api/v1/tasks/{instance['open_tasks'][0]['id']}/complete", json={"data": {"matrix": MATRIX}})
    [acme] = [t for t in as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]
              if t["element_id"] == "accept_matrix" and t["assignee"] is None]   # the supplier's, by link
    for who in ("lee", "alice"):   # staff with no part in it neither see it nor can take the supplier's share
        assert acme["id"] not in [t["id"] for t in as_[who].get("/api/v1/tasks?scope=claimable").json["items"]]
        assert as_[who].post(f"/api/v1/tasks/{acme['id']}/claim").status_code == 404
        assert as_[who].get(f"/api/v1/instances/{instance['id']}").status_code == 404
    # An owner may still record the supplier's answer on their behalf.
    assert as_["owner"].post(f"/api/v1/tasks/{acme['id']}/claim").status_code == 200


SELF_REVIEW = (DATA / "self-review.bpmn").read_bytes()


def test_who_gave_the_address_a_process_link_goes_to_answers_for_it(app, as_):
    from a10flow.models import Notification, db
    contact = form("s", contact={"type": "string", "format": "email"})
    assert as_["owner"].deploy(("answers.bpmn", SELF_REVIEW), contact).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "answers",
                                                            "data": {"contact": "alice@alice-home.example"}}).json
    with app.app_context():   # alice reads "the supplier's" mail: it is her own address
        body = db.session.scalar(db.select(Notification.body).where(Notification.email == "alice@alice-home.example"))
    token = body.split("/x/")[1].split()[0]
    assert as_[None].post(f"/api/v1/external/{token}", json={"data": {}}).status_code == 200
    [review] = as_["owner"].get(f"/api/v1/instances/{instance['id']}").json["open_tasks"]
    refused = as_["alice"].post(f"/api/v1/tasks/{review['id']}/complete", json={})
    assert refused.status_code == 403 and "separation of duties" in refused.json["error"]["message"]
    assert as_["bob"].post(f"/api/v1/tasks/{review['id']}/complete", json={}).status_code == 200
    [answered] = [r for r in _evidence(as_, instance["id"], "task.completed") if r["element"]["id"] == "supplier_answers"]
    assert answered["data"]["on_behalf_of"]["name"] == "alice" and answered["data"]["sent_by_process"] is True


def test_digits_of_other_scripts_and_five_thousand_digits_are_refused_as_text_never_a_crash(app, as_):
    """Python calls "²" a digit and turns no 5,000 digits into a number: every place that reads a whole
    number someone typed reads it through limits.whole."""
    from helpers import signed_in
    for days in ("²", "9" * 5000):
        bpmn = (DATA / "review.bpmn").read_text().replace('name="linkDays" value="10"', f'name="linkDays" value="{days}"')
        refused = as_["owner"].deploy(("review.bpmn", bpmn.encode()), ("supplier.json", json.dumps(_questionnaire()).encode()))
        assert refused.status_code == 422 and "linkDays" in json.dumps(refused.json), days
    admin = signed_in(app, "admin")
    for typed in ("²", "٣", "9" * 4999):
        assert admin.get(f"/admin/security-events?what={typed}").status_code == 200, typed
        assert admin.get(f"/audit?instance={typed}").status_code == 200, typed
        assert admin.get(f"/documents/expiring?within={typed}").status_code == 422, typed
