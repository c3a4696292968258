"""Camunda Modeler element templates for a10flow's task settings and service operators: valid for
Camunda Modeler, and what they write deploys and runs as the properties panel would."""
import json
from pathlib import Path

import jsonschema
from lxml import etree

ROOT = Path(__file__).parents[1]
TEMPLATES = {t["id"]: t for t in json.loads((ROOT / "workflows/.camunda/element-templates/a10flow.json").read_text())}
SCHEMA = ROOT / "node_modules/@camunda/element-templates-json-schema/resources/schema.json"
B, C = "http://www.omg.org/spec/BPMN/20100524/MODEL", "http://camunda.org/schema/1.0/bpmn"
PLAIN = f"""<bpmn:definitions xmlns:bpmn="{B}" xmlns:camunda="{C}" id="d" targetNamespace="x">
  <bpmn:process id="templated" name="Templated" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check" name="Check"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:serviceTask id="tell" name="Tell"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="tell"/>
    <bpmn:sequenceFlow id="f3" sourceRef="tell" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_the_templates_are_valid_element_templates():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(list(TEMPLATES.values()))


def _apply(node, template, values):
    """Write a template's bindings onto a BPMN element, as Camunda Modeler does."""
    ext = node.find(f"{{{B}}}extensionElements")
    for prop in template["properties"]:
        value = values.get(prop.get("label"), prop.get("value"))
        if value is None:
            continue
        binding = prop["binding"]
        if binding["type"] == "property":
            node.set(f"{{{C}}}{binding['name'].split(':')[1]}", value)
            continue
        if ext is None:
            ext = etree.Element(f"{{{B}}}extensionElements")
            node.insert(0, ext)
        kind, item = ("properties", "property") if binding["type"] == "camunda:property" else \
            ("inputOutput", "inputParameter")
        holder = ext.find(f"{{{C}}}{kind}")
        if holder is None:
            holder = etree.SubElement(ext, f"{{{C}}}{kind}")
        if kind == "properties":
            etree.SubElement(holder, f"{{{C}}}{item}", name=binding["name"], value=value)
        else:
            etree.SubElement(holder, f"{{{C}}}{item}", name=binding["name"]).text = value


def test_what_the_templates_write_deploys_and_runs(as_):
    root = etree.fromstring(PLAIN.encode())
    _apply(root.find(f".//{{{B}}}userTask"), TEMPLATES["a10flow.userTask"], {
        "Candidate groups": "procurement", "Due date": "P2D", "Control id": "A.10.3"})
    _apply(root.find(f".//{{{B}}}serviceTask"), TEMPLATES["a10flow.notify"], {
        "To": "'named'", "Groups": "'security'", "Subject": "'Checked'", "Message": "'The check is done.'",
        "Control id": "A.10.3"})
    _apply(root.find(f".//{{{B}}}startEvent"), TEMPLATES["a10flow.startEvent"], {
        "Start form": "check-start.json", "Who may start it": "procurement"})
    form = json.dumps({"type": "object", "properties": {"what": {"type": "string"}}}).encode()
    deployed = as_["owner"].deploy(("templated.bpmn", etree.tostring(root)), ("check-start.json", form))
    assert deployed.status_code == 201, deployed.json
    assert as_["sam"].post("/api/v1/instances", json={"process": "templated"}).status_code == 403
    instance = as_["alice"].post("/api/v1/instances", json={"process": "templated", "data": {"what": "x"}}).json
    [task] = instance["open_tasks"]
    assert task["candidate_groups"] == ["procurement"] and task["due_at"]
    assert as_["alice"].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    assert [n["subject"] for n in as_["sam"].get("/api/v1/notifications").json["items"]] == ["Checked"]
    chain = as_["auditor"].get(f"/api/v1/instances/{instance['id']}/evidence").json["items"]
    [run] = [r for r in chain if r["type"] == "service.run"]
    assert run["data"]["operator"] == "notify" and run["controls"] == ["A.10.3"]
