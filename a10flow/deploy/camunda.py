"""What Camunda 7 writes, read as a10flow runs it: generated task forms (``camunda:formData``)
as JSON Schema forms, and multi-instance over ``camunda:collection`` with JUEL cardinalities and
conditions as the engine's own loops. Without this the fields would be dropped, and the loops
refused or failing at run time."""
import re

from lxml import etree

from ..engine.errors import ExpressionError
from .normalize import BPMN_NS, CAMUNDA_NS, JUEL, NS, python_expression

EXPRESSION_START = re.compile(r"[$#]\{")   # JUEL, in either of Camunda's spellings

_TYPES = {"string": {"type": "string"}, "textarea": {"type": "string", "x-multiline": True},
          "long": {"type": "integer"}, "boolean": {"type": "boolean"}, "date": {"type": "string", "format": "date"},
          "enum": {"type": "string"}}
_CONSTRAINTS = {"minlength": "minLength", "maxlength": "maxLength", "min": "minimum", "max": "maximum"}


# Camunda's generated form data names variables and choices with ``id``: names, not element ids.
# The engine takes every ``id`` of a process for an element's (a field named like a task would
# stand in for the task), so deploy keeps them under an attribute of a10flow's own.
FORM_DATA = (f"{{{CAMUNDA_NS}}}formField", f"{{{CAMUNDA_NS}}}value")
NAME = "{urn:a10flow}name"


def name_of(node):
    """A form field's or choice's name (its ``id``), before or after hide_form_data_ids."""
    return node.get("id", node.get(NAME))


def hide_form_data_ids(root):
    """Move the ``id`` of each form field and choice to NAME, in place (see FORM_DATA)."""
    for node in root.iter(*FORM_DATA):
        if node.get("id") is not None:
            node.set(NAME, node.attrib.pop("id"))


def form_schema(node):
    """(JSON Schema, [problems]) for the element's generated form, or (None, []) if it has none."""
    fields = node.findall("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
    if not fields:
        return None, []
    properties, required, problems = {}, [], []
    for field in fields:
        name, kind = name_of(field), field.get("type") or "string"
        if not name:
            problems.append("a form field has no id: give each field an id (the variable it sets)")
            continue
        if kind not in _TYPES:
            problems.append(f"form field {name!r} has the type {kind!r}; a10flow reads {', '.join(_TYPES)}")
            continue
        prop = dict(_TYPES[kind], title=field.get("label") or name)
        if kind == "enum":
            prop["enum"] = [name_of(v) for v in field.iterfind("camunda:value", NS) if name_of(v)]
            names = [f"{name_of(v)}: {v.get('name')}" for v in field.iterfind("camunda:value", NS)
                     if v.get("name") and v.get("name") != name_of(v)]
            if names:
                prop["description"] = "; ".join(names)
        default = field.get("defaultValue")
        if default is not None and not EXPRESSION_START.search(default):
            prop["default"] = _typed(default, prop["type"])
        for constraint in field.iterfind("camunda:validation/camunda:constraint", NS):
            rule, value = constraint.get("name"), constraint.get("config")
            if rule == "required":
                required.append(name)
            elif rule in _CONSTRAINTS and value is not None:
                try:
                    prop[_CONSTRAINTS[rule]] = int(value) if rule.endswith("length") else float(value)
                except ValueError:
                    problems.append(f"form field {name!r}: constraint {rule} needs a number, not {value!r}")
        properties[name] = prop
    return {"type": "object", "properties": properties, "required": required}, problems


def _typed(text, kind):
    if kind == "boolean":
        return text.strip().lower() == "true"
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text   # the schema check reports a default of the wrong type
    return text


def loops(root):
    """Rewrite Camunda's multi-instance and conditional-event expressions in place; returns
    ``(element, message)`` for each that cannot be read."""
    problems = []
    for loop in root.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
        owner = loop.getparent().get("id")
        collection = loop.attrib.pop(f"{{{CAMUNDA_NS}}}collection", None)
        item = loop.attrib.pop(f"{{{CAMUNDA_NS}}}elementVariable", None)
        # Beside a cardinality the collection is where each instance's item is gathered;
        # alone it is what the loop runs over.
        counted = loop.find("bpmn:loopCardinality", NS) is not None
        role = "Output" if counted else "Input"
        if collection and loop.find(f"bpmn:loopData{role}Ref", NS) is None:
            juel = JUEL.match(collection)
            name = (juel.group(1) if juel else collection).strip()
            if not name.isidentifier():
                problems.append((owner, f"camunda:collection {collection!r} must name one variable (a list) "
                                        f"for a10flow: compute the list in a script task before the loop"))
                continue
            ref = etree.Element(f"{{{BPMN_NS}}}loopData{role}Ref")
            ref.text = name
            loop.insert(int(counted), ref)
            if item:
                ref.addnext(etree.Element(f"{{{BPMN_NS}}}{role.lower()}DataItem", id=item, name=item))
        for tag in ("loopCardinality", "completionCondition"):
            _translate(loop.find(f"bpmn:{tag}", NS), owner, tag, problems)
    for condition in root.iterfind(".//bpmn:conditionalEventDefinition/bpmn:condition", NS):
        _translate(condition, condition.getparent().getparent().get("id"), "condition", problems)
    return problems


def _translate(node, owner, what, problems):
    if node is None or not (node.text or "").strip():
        return
    try:
        node.text = python_expression(node.text)
    except ExpressionError as exc:
        problems.append((owner, f"{what} {node.text.strip()!r}: {exc}"))
