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


_FLOW_NODES = ("Task", "task", "Event", "Gateway", "subProcess", "callActivity", "transaction")


def end_subprocesses(root):
    """Give each subprocess without an end event one after every element nothing follows, in
    place; returns the ids of the subprocesses changed. BPMN ends a path where nothing follows,
    in a subprocess as in a process (which the engine runs so); the engine's parser wants an end
    event in a subprocess. Event subprocesses inside it start on their own and are left alone."""
    changed = []
    for sub in root.iter(f"{{{BPMN_NS}}}subProcess", f"{{{BPMN_NS}}}transaction"):
        if sub.find("bpmn:endEvent", NS) is not None:
            continue
        sources = {f.get("sourceRef") for f in sub.iterfind("bpmn:sequenceFlow", NS)}
        for node in list(sub):
            name = etree.QName(node).localname
            if not node.get("id") or node.get("id") in sources or not name.endswith(_FLOW_NODES) \
                    or node.get("triggeredByEvent") == "true":
                continue
            end = etree.SubElement(sub, f"{{{BPMN_NS}}}endEvent", id=f"{node.get('id')}_implicit_end")
            flow = etree.SubElement(sub, f"{{{BPMN_NS}}}sequenceFlow", id=f"{node.get('id')}_to_implicit_end",
                                    sourceRef=node.get("id"), targetRef=end.get("id"))
            etree.SubElement(node, f"{{{BPMN_NS}}}outgoing").text = flow.get("id")
            etree.SubElement(end, f"{{{BPMN_NS}}}incoming").text = flow.get("id")
        changed.append(sub.get("id"))
    return changed
