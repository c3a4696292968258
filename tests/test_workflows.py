"""The bundled A.10 processes: every one deploys, and is drawn so that modellers can open it."""
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).parents[1]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
DRAWN = ("startEvent", "endEvent", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "subProcess",
         "exclusiveGateway", "parallelGateway", "eventBasedGateway", "intermediateCatchEvent", "boundaryEvent")


def test_every_element_has_a_shape_and_every_flow_an_edge():
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        drawn = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNShape", NS)}
        drawn |= {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
        nodes = [e.get("id") for tag in DRAWN for e in root.iterfind(f".//bpmn:{tag}", NS)]
        flows = [e.get("id") for e in root.iterfind(".//bpmn:sequenceFlow", NS)]
        assert nodes and set(nodes + flows) <= drawn, (path.name, set(nodes + flows) - drawn)


def test_a10flow_init_deploys_all_of_them(app, as_):
    files = sorted((ROOT / "workflows").glob("*.bpmn")) + sorted((ROOT / "workflows").glob("*.dmn"))
    files += sorted((ROOT / "forms").glob("*.json"))
    deployed = as_["owner"].deploy(*files)
    assert deployed.status_code == 201, deployed.json
    assert sorted(p["key"] for p in deployed.json["processes"]) == [
        "customer_change_notification", "responsibility_signoff", "supplier_onboarding"]
    assert deployed.json["warnings"] == []
