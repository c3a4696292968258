"""Camunda 7's generated task forms (``camunda:formData`` with ``camunda:formField``s), read as
the JSON Schema form a10flow shows: the same fields, labels, types, choices, defaults and
constraints. Without this the fields would be dropped and the task would take no data."""
from .normalize import NS

_TYPES = {"string": {"type": "string"}, "textarea": {"type": "string", "x-multiline": True},
          "long": {"type": "integer"}, "boolean": {"type": "boolean"}, "date": {"type": "string", "format": "date"},
          "enum": {"type": "string"}}
_CONSTRAINTS = {"minlength": "minLength", "maxlength": "maxLength", "min": "minimum", "max": "maximum"}


def schema(node):
    """(JSON Schema, [problems]) for the element's generated form, or (None, []) if it has none."""
    fields = node.findall("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
    if not fields:
        return None, []
    properties, required, problems = {}, [], []
    for field in fields:
        name, kind = field.get("id"), field.get("type") or "string"
        if not name:
            problems.append("a form field has no id: give each field an id (the variable it sets)")
            continue
        if kind not in _TYPES:
            problems.append(f"form field {name!r} has the type {kind!r}; a10flow reads {', '.join(_TYPES)}")
            continue
        prop = dict(_TYPES[kind], title=field.get("label") or name)
        if kind == "enum":
            prop["enum"] = [v.get("id") for v in field.iterfind("camunda:value", NS) if v.get("id")]
            names = [f"{v.get('id')}: {v.get('name')}" for v in field.iterfind("camunda:value", NS)
                     if v.get("name") and v.get("name") != v.get("id")]
            if names:
                prop["description"] = "; ".join(names)
        default = field.get("defaultValue")
        if default is not None and "${" not in default:
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
