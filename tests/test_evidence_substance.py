"""An auditor samples the records of steps no person took and asks what was decided, on which
facts, under which rule, and what changed: the records answer without the diagram at hand."""
import hashlib
import io
import zipfile

from a10flow import evidence
from a10flow.evidence import personal

from helpers import CAMUNDA, bpmn, flow, form, given

TIER = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="t" name="t" namespace="x">
  <decision id="tier" name="Risk tier"><decisionTable id="tier_table" hitPolicy="UNIQUE">
    <input id="in_spend" label="Annual spend"><inputExpression id="e1" typeRef="number"><text>spend</text>
    </inputExpression></input>
    <output id="out_tier" name="tier" typeRef="string"/>
    <rule id="small"><description>Below the tender threshold</description><inputEntry id="i1"><text>&lt; 10000</text>
      </inputEntry><outputEntry id="o1"><text>"low"</text></outputEntry></rule>
    <rule id="large"><description>Tendered spend</description><inputEntry id="i2"><text>&gt;= 10000</text>
      </inputEntry><outputEntry id="o2"><text>"high"</text></outputEntry></rule>
  </decisionTable></decision>
</definitions>"""


def _records(as_, body, data, *extra):
    assert as_["owner"].deploy(bpmn(body, ns=CAMUNDA), *extra).status_code == 201
    instance = as_["alice"].post("/api/v1/instances", json={"process": "p", "data": data}).json
    return as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]


def test_a_decision_record_names_the_table_the_facts_and_the_rule_that_matched(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "rate", 1) +
            '<bpmn:businessRuleTask id="rate" name="Rate the risk" camunda:decisionRef="tier"/>' +
            flow("rate", "e", 2) + '<bpmn:endEvent id="e"/>')
    chain = _records(as_, body, {"spend": 25000}, ("tier.dmn", TIER), form("s", spend={"type": "integer"}))
    [record] = [r for r in chain if r["type"] == "decision.evaluated"]
    assert record["data"]["table"] == {"id": "tier_table", "hit_policy": "UNIQUE", "decision": "tier", "version": 1,
                                       "file": "tier.dmn", "sha256": hashlib.sha256(TIER).hexdigest()}
    assert record["data"]["inputs"] == {"Annual spend": 25000}
    assert record["data"]["rules"] == [{"row": 2, "id": "large", "annotation": "Tendered spend"}]
    assert record["data"]["outputs"] == {"tier": "high"} and record["data"]["changes"]["added"] == {"tier": "high"}

    # The table is changed and deployed again: the next decision names version 2, with its own hash.
    changed = TIER.replace(b"Tendered spend", b"Tendered spend, two quotes")
    chain = _records(as_, body, {"spend": 25000}, ("tier.dmn", changed), form("s", spend={"type": "integer"}))
    [record] = [r for r in chain if r["type"] == "decision.evaluated"]
    assert (record["data"]["table"]["version"], record["data"]["table"]["sha256"]) == \
        (2, hashlib.sha256(changed).hexdigest())
    assert record["data"]["rules"][0]["annotation"] == "Tendered spend, two quotes"


def test_a_script_record_says_what_it_changed_from_what_to_what(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "adjust", 1) + '<bpmn:scriptTask id="adjust" name="Adjust">'
            '<bpmn:script>review_months = 12\nspend = spend * 2\ndel note</bpmn:script></bpmn:scriptTask>' +
            flow("adjust", "e", 2) + '<bpmn:endEvent id="e"/>')
    chain = _records(as_, body, {"spend": 100, "note": "draft"},
                     form("s", spend={"type": "integer"}, note={"type": "string"}))
    [record] = [r for r in chain if r["type"] == "script.run"]
    assert record["data"]["changes"] == {"added": {"review_months": 12},
                                         "changed": {"spend": {"from": 100, "to": 200}}, "removed": ["note"]}


def test_a_script_that_copies_a_personal_value_keeps_it_concealed_in_its_record(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "copy", 1) + '<bpmn:scriptTask id="copy">'
            '<bpmn:script>contact_copy = contact</bpmn:script></bpmn:scriptTask>' + flow("copy", "e", 2) +
            '<bpmn:endEvent id="e"/>')
    chain = _records(as_, body, {"contact": "ada@supplier.example"},
                     form("s", contact={"type": "string", "x-pii": True}))
    [record] = [r for r in chain if r["type"] == "script.run"]
    assert "ada@supplier.example" not in str(record["data"])
    assert "pii_sha256" in record["data"]["changes"]["added"]["contact_copy"]


def test_a_default_flow_into_a_task_with_a_boundary_event_is_recorded_by_its_element(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "g", 1) + '<bpmn:exclusiveGateway id="g" default="f3"/>' +
            '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"><bpmn:conditionExpression>False'
            '</bpmn:conditionExpression></bpmn:sequenceFlow>' + flow("g", "review", 3) +
            '<bpmn:userTask id="review"/><bpmn:boundaryEvent id="late" attachedToRef="review">'
            '<bpmn:timerEventDefinition><bpmn:timeDuration>P3D</bpmn:timeDuration></bpmn:timerEventDefinition>'
            '</bpmn:boundaryEvent><bpmn:endEvent id="e"/>')
    chain = _records(as_, body, {})
    [record] = [r for r in chain if r["type"] == "gateway.path_taken"]
    assert record["data"]["to"] == ["review"]


def test_every_record_type_the_service_writes_is_specified_for_whoever_writes_another_verifier():
    from pathlib import Path

    from a10flow.models import EvidenceType
    document = (Path(__file__).parents[1] / "a10flow" / "evidence" / "EVIDENCE_FORMAT.md").read_text()
    rows = {line.split("|")[1].strip().strip("`") for line in document.splitlines() if line.startswith("| `")}
    assert {t.value for t in EvidenceType} <= rows


def test_a_gateway_record_names_the_flow_taken_and_where_it_leads(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "g", 1) + '<bpmn:exclusiveGateway id="g" default="low"/>'
            '<bpmn:sequenceFlow id="high" name="High risk" sourceRef="g" targetRef="assess">'
            '<bpmn:conditionExpression>spend &gt; 10000</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="low" name="Low risk" sourceRef="g" targetRef="e"/>'
            '<bpmn:userTask id="assess"/><bpmn:endEvent id="e"/>')
    for spend, taken in ((25000, {"id": "high", "name": "High risk", "to": "assess"}),
                        (500, {"id": "low", "name": "Low risk", "to": "e"})):
        chain = _records(as_, body, {"spend": spend}, form("s", spend={"type": "integer"}))
        [record] = [r for r in chain if r["type"] == "gateway.path_taken"]
        assert record["data"]["flows"] == [taken]


def test_a_step_without_a_form_records_what_the_person_confirmed_they_did(as_):
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "t", 1) +
            '<bpmn:userTask id="t" name="Brief the supplier"><bpmn:documentation>Walk the supplier through our '
            'responsible-AI policy and note any objection.</bpmn:documentation></bpmn:userTask>' +
            flow("t", "e", 2) + '<bpmn:endEvent id="e"/>')
    assert as_["owner"].deploy(bpmn(body)).status_code == 201
    [task] = as_["alice"].post("/api/v1/instances", json={"process": "p"}).json["open_tasks"]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    chain = as_["auditor"].get(f"/api/v1/instances/{task['instance_id']}/evidence").json["items"]
    [done] = [r for r in chain if r["type"] == "task.completed"]
    assert done["actor"]["name"] == "alice" and done["data"]["form"] is None and done["data"]["submitted"] == {}
    assert done["data"]["instructions"] == ("Walk the supplier through our responsible-AI policy and note any "
                                            "objection.")
    pack = zipfile.ZipFile(io.BytesIO(as_["auditor"].get("/api/v1/evidence/export").data))
    assert "No form: confirmed done as asked" in pack.read("report.html").decode()


def test_a_person_recording_an_outside_partys_answer_is_recorded_as_acting_for_that_party(app, as_):
    from helpers import deploy_bundled
    from test_supplier_onboarding import DETAILS, REQUEST
    deploy_bundled(as_, "supplier_onboarding")
    instance = as_["alice"].post("/api/v1/instances", json={"process": "supplier_onboarding", "data": REQUEST}).json
    [details] = [t for t in instance["open_tasks"] if t["element_id"] == "due_diligence"]
    # The supplier answered by e-mail; the owner enters it for them, without their link.
    answer = given(as_["owner"], f"/api/v1/tasks/{details['id']}/documents", DETAILS)
    assert as_["owner"].post(f"/api/v1/tasks/{details['id']}/complete", json={"data": answer}).status_code == 200
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    [done] = [r for r in chain if r["type"] == "task.completed"]
    [sent] = [r for r in chain if r["type"] == "link.issued"]
    assert done["actor"]["name"] == "owner" and done["data"]["recorded_for_party"] is True
    assert "pii_sha256" in done["data"]["party"]   # the supplier's contact, concealed as in the link's record
    with app.app_context():
        kept = {r["seq"]: r.get("personal") for r in personal.attach(evidence.records(instance["id"]))}
    assert kept[done["seq"]]["/data/party"] == kept[sent["seq"]]["/data/party"] == "anna@acme.example"


def test_a_decision_that_keeps_the_value_it_finds_still_records_its_result(as_):
    # A re-assessment that comes out as before changes nothing, and must still say what it decided.
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "was", 1) +
            '<bpmn:scriptTask id="was" name="Last tier"><bpmn:script>tier = "high"</bpmn:script></bpmn:scriptTask>' +
            flow("was", "rate", 2) +
            '<bpmn:businessRuleTask id="rate" name="Rate the risk" camunda:decisionRef="tier"/>' +
            flow("rate", "e", 3) + '<bpmn:endEvent id="e"/>')
    chain = _records(as_, body, {"spend": 25000}, ("tier.dmn", TIER), form("s", spend={"type": "integer"}))
    [record] = [r for r in chain if r["type"] == "decision.evaluated"]
    assert record["data"]["changes"] == {"added": {}, "changed": {}, "removed": []}
    assert record["data"]["outputs"] == {"tier": "high"}
