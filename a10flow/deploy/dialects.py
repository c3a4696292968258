"""What models written for other engines use that a10flow runs differently or not at all:
SpiffArena's script functions, Camunda 7's listeners and input/output mappings, Camunda 8
(Zeebe, FEEL). Deploy names each use, once, so a modeller knows before an
instance fails; a run-time failure over one of them says the same."""
import ast

from ..engine.errors import SPIFFARENA_FUNCTIONS, unknown_name
from ..engine.sandbox.restricted import SLEEP
from .normalize import NS, ZEEBE_NS, owner_id


def _called(source):
    try:
        tree = ast.parse(source or "")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()   # the syntax check reports it
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                names.add(f"{node.func.value.id}.{node.func.attr}")
    return names


def warnings(root):
    """(element, message) for each use of something another engine offers and a10flow does not."""
    sources = [(n, n.text) for n in root.iterfind(".//bpmn:script", NS)]
    sources += [(n, n.text) for tag in ("preScript", "postScript") for n in root.iterfind(f".//spiffworkflow:{tag}", NS)]
    sources += [(n, n.text) for n in root.iterfind(".//bpmn:conditionExpression", NS)]
    for node, source in sources:
        called = _called(source)
        for name in sorted(called & SPIFFARENA_FUNCTIONS):
            yield owner_id(node), f"{unknown_name(name)}: the step will fail there until it is replaced"
        if "time.sleep" in called:
            yield owner_id(node), SLEEP
    for tag, what in (("executionListener", "execution listeners"), ("taskListener", "task listeners"),
                      ("inputOutput", "input/output mappings")):
        for node in root.iterfind(f".//camunda:{tag}", NS):
            yield owner_id(node), (f"a10flow does not run Camunda's {what} (camunda:{tag}): draw what this one "
                                   f"does as a script or service task")


def camunda8(root):
    """Why the file is a Camunda 8 (Zeebe) model a10flow cannot run, or None."""
    uses = {node.tag.split("}")[1] for node in root.iter("{%s}*" % ZEEBE_NS)}
    if not uses and ZEEBE_NS not in root.nsmap.values():
        return None
    feel = sum(1 for n in root.iterfind(".//bpmn:conditionExpression", NS) if (n.text or "").strip().startswith("="))
    what = ", ".join(sorted(uses)) or "its namespace"
    return (f"this is a Camunda 8 (Zeebe) model (zeebe: {what}"
            + (f"; {feel} FEEL condition(s)" if feel else "") +
            "): a10flow runs BPMN with Python expressions and its own forms and service operators. "
            "Redraw its conditions in Python and its job workers as a10flow service operators, or "
            "export it for Camunda 7")


_CONTAINERS = ("}process", "}subProcess", "}transaction", "}adHocSubProcess")


def feel_elements(root):
    """The ids of the elements that hold a FEEL expression (BPMN text starting with ``=``), and of
    what holds them: the Camunda 8 word explains their problems once."""
    found = set()
    for node in root.iter(f"{{{NS['bpmn']}}}*"):
        if not len(node) and (node.text or "").lstrip().startswith("="):
            for holder in node.iterancestors():   # up to the flow element the expression is on
                found.add(holder.get("id"))
                if holder.getparent() is None or holder.getparent().tag.endswith(_CONTAINERS):
                    break
    return found
