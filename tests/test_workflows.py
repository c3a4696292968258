"""The bundled A.10 processes: every one deploys, and is drawn so that modellers can open it."""
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).parents[1]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
DRAWN = ("startEvent", "endEvent", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "subProcess",
         "exclusiveGateway", "parallelGateway", "eventBasedGateway", "intermediateCatchEvent", "boundaryEvent",
         "receiveTask")


def _scope(node):
    """The process, or the subprocess, whose diagram should show ``node``."""
    parent = node.getparent()
    while etree.QName(parent).localname not in ("process", "subProcess"):
        parent = parent.getparent()
    return parent.get("id")


def test_every_element_has_a_shape_and_every_flow_an_edge():
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        drawn_in = {}   # element id -> the process or subprocess whose plane draws it
        expanded = set()
        for plane in root.iterfind(".//bpmndi:BPMNPlane", NS):
            scope = plane.get("bpmnElement")
            for di in plane.iterfind("bpmndi:BPMNShape", NS):
                drawn_in[di.get("bpmnElement")] = scope
                if di.get("isExpanded") == "true":
                    expanded.add(di.get("bpmnElement"))
            for di in plane.iterfind("bpmndi:BPMNEdge", NS):
                drawn_in[di.get("bpmnElement")] = scope
        nodes = [e for tag in DRAWN for e in root.iterfind(f".//bpmn:{tag}", NS)]
        flows = root.findall(".//bpmn:sequenceFlow", NS)
        assert nodes and {e.get("id") for e in nodes + flows} <= set(drawn_in), (path.name, "not drawn")
        for e in nodes + flows:
            # A collapsed subprocess shows its contents on its own plane (bpmn-js drills down into
            # it); drawn on the process's plane they would sit on top of the process's shapes.
            scope = _scope(e)
            while scope in expanded:
                scope = _scope(root.find(f".//*[@id='{scope}']"))
            assert drawn_in[e.get("id")] == scope, (path.name, e.get("id"), drawn_in[e.get("id")], scope)


def test_a10flow_init_deploys_all_of_them(app, as_):
    files = sorted((ROOT / "workflows").glob("*.bpmn")) + sorted((ROOT / "workflows").glob("*.dmn"))
    files += sorted((ROOT / "forms").glob("*.json"))
    deployed = as_["owner"].deploy(*files)
    assert deployed.status_code == 201, deployed.json
    assert sorted(p["key"] for p in deployed.json["processes"]) == [
        "customer_change_notification", "responsibility_signoff", "supplier_onboarding"]
    assert deployed.json["warnings"] == []
