"""BPMN's implicit gateways, drawn as explicit ones for the engine.

BPMN lets a task or event have several outgoing flows: without conditions each is taken (an
implicit parallel split); with conditions, each whose condition holds (an implicit inclusive
split). Many modellers export diagrams so (15 of the MIWG A.4.0 exports). SpiffWorkflow
accepts several outgoing flows only on gateways, so deploy puts the gateway in: the diagram
the modeller sees is unchanged; the engine runs the same paths.
"""
from lxml import etree

from .normalize import BPMN_NS, NS


def split_outgoing(root):
    """Give each non-gateway element with several outgoing flows a gateway after it; returns
    the ids of the elements changed."""
    changed = []
    for process in root.iterfind(".//bpmn:process", NS):
        _split_in(process, changed)
        for sub in process.iterfind(".//bpmn:subProcess", NS):
            _split_in(sub, changed)
    return changed


def _split_in(container, changed):
    flows = list(container.iterfind("bpmn:sequenceFlow", NS))
    nodes = {n.get("id"): n for n in container if n.get("id")}
    for node_id, node in nodes.items():
        if etree.QName(node).localname.endswith("Gateway"):
            continue
        outgoing = [f for f in flows if f.get("sourceRef") == node_id]
        if len(outgoing) < 2:
            continue
        conditional = any(f.find("bpmn:conditionExpression", NS) is not None for f in outgoing)
        kind = "inclusiveGateway" if conditional else "parallelGateway"
        gateway = etree.SubElement(container, f"{{{BPMN_NS}}}{kind}", id=f"{node_id}_split",
                                   name=node.get("name") or "")
        if node.get("default"):   # a task's default flow becomes the gateway's
            gateway.set("default", node.attrib.pop("default"))
        into = etree.SubElement(container, f"{{{BPMN_NS}}}sequenceFlow", id=f"{node_id}_to_split",
                                sourceRef=node_id, targetRef=gateway.get("id"))
        for flow in outgoing:
            flow.set("sourceRef", gateway.get("id"))
            if conditional and flow.find("bpmn:conditionExpression", NS) is None \
                    and flow.get("id") != gateway.get("default"):
                # Without a condition a flow out of a task is always taken; an inclusive gateway
                # takes it when its condition holds, so it gets one that always does.
                etree.SubElement(flow, f"{{{BPMN_NS}}}conditionExpression").text = "True"
        for ref in node.iterfind("bpmn:outgoing", NS):
            node.remove(ref)
        etree.SubElement(node, f"{{{BPMN_NS}}}outgoing").text = into.get("id")
        changed.append(node_id)
