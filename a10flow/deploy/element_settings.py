"""What the service reads off the elements where people work and data enters, at deploy.

A human task's assignment, due date, form, link and page settings; the start form of a
process; the form of each element that catches a message. Camunda attributes and
properties, and SpiffArena properties, alike. Problems go to the upload (see upload.Upload).
"""
from ..engine import iso8601
from ..engine.errors import ExpressionError
from ..limits import whole
from . import camunda, normalize
from .normalize import CAMUNDA_NS, NS

HUMAN_TASKS = ("userTask", "manualTask")
# A receive task names who sends its message (a customer's contact, say) with the
# same properties as a user task; it is then a task for people too: done by
# sending the message through a link or a form, instead of by a machine's API call.
_PERSON_PROPERTIES = ("externalParty", "candidateGroups", "candidateUsers", "assignee")
_CATCHING = ("receiveTask", "intermediateCatchEvent", "boundaryEvent", "startEvent")


def properties(node):
    """Name/value properties, from the SpiffArena modeller or Camunda Modeler's extension properties."""
    found = {}
    for path in ("bpmn:extensionElements/camunda:properties/camunda:property",
                 "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"):
        found.update({p.get("name"): p.get("value") for p in node.iterfind(path, NS)})
    return found


def people_tasks(scope, root):
    """The tasks in ``scope`` that people do: (node, None) for user and manual tasks,
    (node, message name) for receive tasks that name who sends their message."""
    for node in scope.iter(*(f"{{{NS['bpmn']}}}{tag}" for tag in HUMAN_TASKS)):
        yield node, None
    for node in scope.iterfind(".//bpmn:receiveTask", NS):
        props = properties(node)
        if any(props.get(p) or node.get(f"{{{CAMUNDA_NS}}}{p}") for p in _PERSON_PROPERTIES):
            ref = node.get("messageRef")
            message = next((m for m in root.iterfind("bpmn:message", NS) if m.get("id") == ref), None) if ref else None
            yield node, (message.get("name") or ref) if message is not None else ref


def start_form(upload, process, filename):
    """How people start the process, by its none start event: ``{"element", "form", "groups",
    "users"}``, or None when it has none. A form None takes no start data (see a10flow.work.forms);
    who may start it is the start event's ``startableBy`` (groups), or Camunda's
    ``candidateStarterGroups`` and ``candidateStarterUsers`` on the process; nobody named: anyone
    who works on tasks."""
    for node in process.iterfind("bpmn:startEvent", NS):
        if not _event_definitions(node):
            def listed(text):
                return [v.strip() for v in (text or "").split(",") if v.strip()]
            groups = listed(properties(node).get("startableBy") or process.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups"))
            return {"element": node.get("id"), "form": form_setting(upload, node, filename), "groups": groups,
                    "users": listed(process.get(f"{{{CAMUNDA_NS}}}candidateStarterUsers"))}
    return None


def message_forms(upload, process, filename, answered_by_people):
    """``{element id: form}`` for each element of ``process`` that catches a message from a machine
    (receive tasks people answer have their task's form); a form None takes the message's data
    only into the element's ``messageVariable``."""
    found = {}
    for tag in _CATCHING:
        for node in process.iterfind(f".//bpmn:{tag}", NS):
            catches = tag == "receiveTask" or node.find("bpmn:messageEventDefinition", NS) is not None
            if catches and node.get("id") not in answered_by_people:
                found[node.get("id")] = form_setting(upload, node, filename)
    return found


def _event_definitions(node):
    return [c for c in node if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]


def task_settings(upload, node, filename, message=None):
    """Assignment, due date and form of one human task, from Camunda and Spiff attributes.

    ``message``: the task is a receive task, done by sending this message.
    """
    element = node.get("id")
    props = properties(node)
    if node.tag.endswith("receiveTask") and not message:
        upload.problem(filename, element, "a receive task that people answer needs a message "
                                          "(messageRef naming a bpmn:message)")

    def setting(camunda_attr, spiff_prop):
        value = node.get(f"{{{CAMUNDA_NS}}}{camunda_attr}")
        return value if value is not None else props.get(spiff_prop)

    settings = {
        "name": node.get("name") or element,
        "candidate_groups": setting("candidateGroups", "candidateGroups"),
        "candidate_users": setting("candidateUsers", "candidateUsers"),
        "assignee": setting("assignee", "assignee"),
        "due": setting("dueDate", "dueIn"),
        "documentation": (node.findtext("bpmn:documentation", None, NS) or "").strip() or None,
        "form": form_setting(upload, node, filename),
        "message": message,
        # An external party (a supplier's or customer's contact) gets a link to this task by e-mail.
        "external_party": props.get("externalParty"),
        "link_days": props.get("linkDays") or "14",
        # Whom the outside party is told to ask (a user name): e.g. the customer's account manager.
        "contact": props.get("contact"),
        # Which case it is, after its name in the inbox: e.g. the customer of one of many tasks alike.
        "subject": props.get("subject"),
        # What of the instance's data the task's page shows (the only data an external party sees).
        "show": [e.strip() for e in (props.get("show") or "").split(",") if e.strip()],
        # Separation of duties: whoever did one of these tasks may not do this one.
        "separate_from": [e.strip() for e in (props.get("separateFrom") or "").split(",") if e.strip()],
    }
    for name, prop in (("external_party", "externalParty"), ("subject", "subject"), ("contact", "contact")):
        if settings[name]:
            try:
                settings[name] = normalize.python_expression(settings[name])
            except ExpressionError as exc:
                upload.problem(filename, element, f"{prop}: {exc}")
    if not 1 <= (whole(settings["link_days"]) or 0) <= 90:
        upload.problem(filename, element, "linkDays must be a whole number of days, 1 to 90")
    for attr in ("candidate_groups", "candidate_users", "assignee"):
        try:
            settings[attr] = assignment_expression(settings[attr])
        except ExpressionError as exc:
            upload.problem(filename, element, f"{attr}: {exc}")
    try:
        settings["due"] = due_expression(settings["due"])
    except ExpressionError as exc:
        upload.problem(filename, element, f"due date: {exc}")
    return settings


def form_setting(upload, node, filename):
    """The name of the element's JSON Schema form, or None (it takes no data).

    ``formJsonSchemaFilename`` always names one; a ``camunda:formKey`` may name a Camunda
    Tasklist form, which a10flow cannot show (a warning); without either, the form
    ``<element id>.schema.json`` is used if there is one.
    """
    element = node.get("id")
    schema_ref = properties(node).get("formJsonSchemaFilename")
    form_key = node.get(f"{{{CAMUNDA_NS}}}formKey")
    if form_key and form_key.endswith(".json"):
        schema_ref = schema_ref or form_key
    ref = schema_ref or form_key
    found = upload.form(ref or f"{element}.schema.json")
    if not found and not ref:   # Camunda's generated form, if it has one, as a JSON Schema form
        generated, problems = camunda.form_schema(node)
        for problem in problems:
            upload.problem(filename, element, problem)
        if generated is not None:
            return upload.add_form(f"{element}.camunda-form.json", generated)
    if found and found[1] is None:
        return None  # the form file exists but is broken: reported where it was read
    if schema_ref and not found:
        upload.problem(filename, element, f"form {schema_ref!r} was not found: upload it with the definition "
                                          "or put it in forms/")
    elif ref and not found:
        upload.warn(filename, element, f"form key {ref!r} names no JSON Schema form (a Camunda Tasklist "
                                       "form?); the step takes no data until it has one")
    return found[0] if found else None


def assignment_expression(value):
    """Literal comma lists stay as they are; ``${…}`` becomes {"expr": python}."""
    if value is None or not value.strip():
        return None
    juel = normalize.JUEL.match(value)
    if not juel:
        return [v.strip() for v in value.split(",") if v.strip()]
    return {"expr": normalize.juel_to_python(juel.group(1))}


def due_expression(value):
    """A due date: ISO duration or date-time, Camunda's ``dateTime().plusDays(n)``, or an expression."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    juel = normalize.JUEL.match(value)
    if juel:
        iso = normalize.joda_due_to_iso(juel.group(1))
        if iso:
            return {"duration": iso}
        return {"expr": normalize.juel_to_python(juel.group(1))}
    if iso8601.is_iso_duration(value):
        return {"duration": iso8601.lenient_duration(value)}
    if problem := iso8601.check_datetime(value):
        raise ExpressionError(problem)
    if iso8601.DATETIME.match(value):
        return {"date": value}
    normalize.check_expression(value)
    return {"expr": value}
