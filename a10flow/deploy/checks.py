"""Problems deploy sees in a diagram's shape before the engine runs it: ids the engine cannot
tell apart, messages nobody can send, calls that never end, other engines' service tasks, a10flow's
service operators, data stores.
Each names the element and says what to change in the modeller."""
import keyword

from lxml import etree

from ..engine import services
from ..engine.errors import ExpressionError
from ..engine.stores import KINDS, NAMED
from ..limits import MAX_STORE_ID
from .camunda import FORM_DATA
from .normalize import CAMUNDA_NS, NS, ZEEBE_NS, check_expression

# SpiffWorkflow names its own start and end of every process so: an element with one of these
# ids would be taken for them (and the instance would start, or end, in the wrong place).
RESERVED_IDS = ("Start", "End", "Root")
_ID_SPACES = ("{http://www.omg.org/spec/BPMN/20100524/MODEL}", "{http://www.omg.org/spec/BPMN/20100524/DI}")
_CAMUNDA_SERVICE_ATTRS = ("class", "expression", "delegateExpression", "type")
_CATCHING = ("startEvent", "intermediateCatchEvent", "receiveTask", "boundaryEvent")


def duplicate_ids(root):
    """Ids used twice among BPMN elements, or by a BPMN element and an extension element
    (the engine looks elements up by id). Extensions may repeat ids among themselves, and so may
    multi-instance data items (SpiffArena names an item's input and output alike, and loops'
    items after the variable they set: the engine reads them by role, never looks them up). Camunda
    form fields and their choices are names, not ids, and are left out."""
    seen, extension_ids, item_ids, dups = set(), set(), set(), []
    for node in root.iter("*"):  # elements only, not comments
        node_id = node.get("id")
        if node_id is None:
            continue
        if node.tag.endswith(("}inputDataItem", "}outputDataItem")):
            item_ids.add(node_id)
        elif node.tag in FORM_DATA:
            continue   # a form field's id is the variable it sets, not an element's (see camunda.FORM_DATA)
        elif not node.tag.startswith(_ID_SPACES):
            extension_ids.add(node_id)
        elif node_id in seen and node_id not in dups:
            dups.append(node_id)
        else:
            seen.add(node_id)
    return dups + sorted(((seen & extension_ids) | (seen & item_ids)) - set(dups))


def reserved_ids(root):
    """(element, message) for each process element whose id the engine keeps for itself."""
    for process in root.iterfind("bpmn:process", NS):
        for node in process.iter("*"):
            if node.get("id") in RESERVED_IDS and node.tag.startswith(_ID_SPACES[0]):
                yield node.get("id"), (f"the id {node.get('id')!r} is one the engine uses for every process's own "
                                       f"beginning and end: give the element another id (e.g. "
                                       f"'{node.get('id')}Event_1') in the modeller's properties panel")


def dangling_flows(root):
    """(flow, message) for each sequence flow that starts or ends at nothing in its process: the
    engine would otherwise stop on it with words about its own lookups. A modeller leaves these
    when an element is deleted under a hand-edited file. Pools that never run are left alone."""
    for process in _runnable(root):
        ids = {node.get("id") for node in process.iter("*") if node.get("id")}
        for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
            named = f"the sequence flow {flow.get('id')!r}" + (f" ({flow.get('name')})" if flow.get("name") else "")
            for end, verb in (("sourceRef", "starts at"), ("targetRef", "leads to")):
                ref = flow.get(end)
                if not ref:
                    yield flow.get("id"), f"{named} {verb} no element ({end} is missing): connect it in the modeller"
                elif ref not in ids:
                    yield flow.get("id"), (f"{named} {verb} {ref!r}, which process {process.get('id')!r} does not "
                                           f"have: connect it to an element of the process, or delete it")


def executable(process):
    """Whether a process may be started. Spiff, like the BPMN spec, reads a missing isExecutable
    as executable."""
    return process.get("isExecutable", "true") == "true"


def start_elsewhere(root):
    """(process, message) for each executable process without a start event while a pool that is
    not executable holds one: the modeller ticked 'Executable' on the wrong pool (or on none, and
    an empty process beside the drawn one took the tick)."""
    processes = root.findall("bpmn:process", NS)
    pools = {p.get("processRef"): p.get("name") for p in root.iterfind(".//bpmn:participant", NS)}
    for process in processes:
        if not executable(process) or process.find("bpmn:startEvent", NS) is not None:
            continue
        for other in processes:
            start = other.find("bpmn:startEvent", NS)
            if other is process or executable(other) or start is None:
                continue
            pool = f"pool {pools[other.get('id')]!r} (process {other.get('id')!r})" if pools.get(other.get("id")) \
                else f"process {other.get('id')!r}"
            yield process.get("id"), (
                f"process {process.get('id')!r} is executable but has no start event; the start event "
                f"{start.get('name') or start.get('id')!r} is in {pool}, which is not executable: select that pool, "
                f"tick 'Executable' in the modeller's properties panel, and untick it here")
            break


def _runnable(root):
    """The processes that can run: executable ones and those a call activity calls (a pool drawn
    for the other side of a collaboration never runs)."""
    called = {c.get("calledElement") for c in root.iterfind(".//bpmn:callActivity", NS)}
    return [p for p in root.iterfind("bpmn:process", NS) if executable(p) or p.get("id") in called]


def _in_runnable(root, tag):
    """The ``tag`` elements of the processes that can run."""
    for process in _runnable(root):
        yield from process.iterfind(f".//bpmn:{tag}", NS)


def unnamed_messages(root):
    """(element, message, is_error) for each element that catches a message with no name: nothing
    could be sent to it. Where the instance would wait for it for ever (a start or catch event, a
    receive task naming an unnamed message) it is refused; a boundary event or event subprocess
    that can never fire, or a receive task naming no message (which the engine passes straight
    through), is a warning.
    A throw without a named message sends nothing and is left alone."""
    names = {m.get("id"): m.get("name") for m in root.iterfind("bpmn:message", NS)}
    for tag in _CATCHING:
        for node in _in_runnable(root, tag):
            definition = node.find("bpmn:messageEventDefinition", NS)
            if tag != "receiveTask" and definition is None:
                continue
            ref = (definition if definition is not None else node).get("messageRef")
            if not ref:
                why = "the message event names no message: choose or create one under 'Message' in the " \
                      "modeller's properties panel"
            elif ref not in names:
                why = f"the message event names message {ref!r}, which the file does not define"
            elif not names[ref]:
                why = f"message {ref!r} has no name, and a message is sent and caught by its name: give it " \
                      f"one in the modeller's properties panel"
            else:
                continue
            if tag == "boundaryEvent" or _starts_event_subprocess(node):
                yield node.get("id"), why + " (until then it can never be triggered)", False
            elif tag == "receiveTask" and not ref:   # the engine does not wait at it
                yield node.get("id"), why + " (until then the process goes straight on past it)", False
            else:
                yield node.get("id"), why, True


_REFERENCED = (("signal", "signalRef"), ("error", "errorRef"), ("escalation", "escalationRef"),
               ("message", "messageRef"))
_THROWING = ("intermediateThrowEvent", "endEvent", "sendTask")


def undefined_references(root):
    """(element, message) for each event (or send task) whose signal, error, escalation or message
    reference names nothing of that kind in the file: the engine stops at it with words about its
    own code. (Messages caught are judged by unnamed_messages.) Events that name nothing, where BPMN
    allows it, are left alone: the engine catches any error or escalation there."""
    for kind, attr in _REFERENCED:
        defined = {node.get("id") for node in root.iterfind(f"bpmn:{kind}", NS)}
        for process in _runnable(root):
            for definition in process.iter(f"{{{NS['bpmn']}}}{kind}EventDefinition", f"{{{NS['bpmn']}}}sendTask"):
                element = definition if definition.tag.endswith("sendTask") else definition.getparent()
                if kind == "message" and etree.QName(element).localname not in _THROWING:
                    continue
                if definition.tag.endswith("sendTask") and kind != "message":
                    continue
                ref = definition.get(attr)
                if ref is None or ref in defined:
                    continue
                named = f"names {kind} {ref!r}, which the file does not define" if ref.strip() else f"names no {kind}"
                what = "send task" if element.tag.endswith("sendTask") else f"{kind} event"
                yield element.get("id"), (f"the {what} {named}: choose or create one under "
                                          f"'{kind.capitalize()}' in the modeller's properties panel")


def compensation(root):
    """(element, message) for each event that throws or catches compensation: the engine has no
    compensation (it would stop at the element with its own words and the element's XML)."""
    for process in _runnable(root):
        for definition in process.iter(f"{{{NS['bpmn']}}}compensateEventDefinition"):
            event = definition.getparent()
            role = "undoes" if etree.QName(event).localname == "boundaryEvent" else "asks to undo"
            yield event.get("id"), (f"compensation is not run here: this event {role} finished work, and a10flow "
                                    f"does not undo tasks. Draw the undoing as ordinary steps (after an error "
                                    f"or escalation event, or a gateway), or remove the compensation event")


def call_cycles(processes):
    """(file, call activity, message) for each call that leads back to the process it is in.

    ``processes``: {process id: (file name, bpmn:process element)}. Such a call never ends: every
    instance would start itself again before it could go on."""
    calls = {key: [(c.get("id"), c.get("calledElement")) for c in proc.iterfind(".//bpmn:callActivity", NS)]
             for key, (_, proc) in processes.items()}

    def reaches(start, target, seen):
        for _, called in calls.get(start, []):
            if called == target or (called not in seen and reaches(called, target, seen | {called})):
                return True
        return False

    for key, found in calls.items():
        for call_id, called in found:
            if called == key or (called in calls and reaches(called, key, {called})):
                via = "itself" if called == key else f"{called!r}, which calls back into {key!r}"
                yield processes[key][0], call_id, (f"call activity calls {via}: an instance would start itself "
                                                   f"again before it could end. Call another process")


# Engines whose service tasks run code or workers of their own: namespace -> (prefix, name).
_ENGINES = {CAMUNDA_NS: ("camunda", "Camunda"), "http://activiti.org/bpmn": ("activiti", "Activiti"),
            "http://flowable.org/bpmn": ("flowable", "Flowable")}


def foreign_service_problems(root):
    """(element, message) for each service task written for another engine's code or workers:
    Java delegates (camunda:, activiti:, flowable: class, expression, delegateExpression), their
    built-in task types and external tasks, Camunda Connect connectors, Camunda 8 job workers."""
    for task in root.iterfind(".//bpmn:serviceTask", NS):
        if task.find(".//spiffworkflow:serviceTaskOperator", NS) is None and (why := _foreign_service(task)):
            yield task.get("id"), (f"the service task {why}; a10flow cannot run it. Use an a10flow service "
                                   f"operator (notify, escalate, record: the element template sets one) or a "
                                   f"script task instead")


def _foreign_service(task):
    """What another engine would run for ``task``, in words, or None."""
    for ns, (prefix, engine) in _ENGINES.items():
        for attr in _CAMUNDA_SERVICE_ATTRS[:3]:
            if value := task.get(f"{{{ns}}}{attr}"):
                return f"uses {prefix}:{attr}={value[:120]!r}, Java code that runs inside {engine}"
        kind = task.get(f"{{{ns}}}type")
        if kind == "external":
            return (f"is a {engine} external task (topic {task.get(f'{{{ns}}}topic') or ''!r}), which a worker "
                    f"program fetches from {engine}")
        if kind:
            return f"is a {engine} {kind[:40]!r} task ({prefix}:type), which {engine} itself carries out"
    connector = task.find("bpmn:extensionElements/camunda:connector", NS)
    if connector is not None:
        name = connector.findtext("camunda:connectorId", "", NS).strip()
        return f"calls the Camunda Connect connector {name[:80]!r} (camunda:connector), which Camunda itself runs"
    worker = task.find(f"bpmn:extensionElements/{{{ZEEBE_NS}}}taskDefinition", NS)
    if worker is not None:
        return (f"is a Camunda 8 job worker (zeebe:taskDefinition type {(worker.get('type') or '')[:80]!r}), "
                f"which a worker program fetches from Zeebe")
    return None


def service_operators(root):
    """(element id, message, is_error) for each service task a10flow cannot run as written.

    An operator a10flow does not offer (a SpiffArena connector, say) deploys with a
    warning: the task fails when an instance reaches it, and the instance shows why.
    """
    for task in root.iterfind(".//bpmn:serviceTask", NS):
        operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        if operator is None:
            continue  # Camunda service tasks are reported elsewhere; Spiff reports a missing operator
        name = operator.get("id")
        if name not in services.OPERATORS:
            yield task.get("id"), (f"service operator {name!r} is not one a10flow offers "
                                   f"({', '.join(services.OPERATORS)}): the task will fail when reached"), False
            continue
        params = {p.get("id"): p.get("value") for p in operator.iterfind(".//spiffworkflow:parameter", NS)}
        spec = services.OPERATORS[name]
        for missing in sorted(spec["required"] - set(params)):
            yield task.get("id"), f"{name} needs the parameter {missing!r}", True
        for unknown in sorted(set(params) - spec["required"] - spec["optional"]):
            yield task.get("id"), (f"{name} has no parameter {unknown!r}; it takes "
                                   f"{', '.join(sorted(spec['required'] | spec['optional']))}"), True
        for param, value in params.items():
            try:
                check_expression(value or "")
            except ExpressionError as exc:
                yield task.get("id"), f"parameter {param!r} of {name}: {exc} (values are Python: quote text)", True


def data_stores(root):
    """(element, message, is_error) for each data store reference. A store a10flow keeps (its
    ``<dataStore>`` named KKVDataStore, JSONDataStore or JSONFileDataStore, as SpiffArena names
    them: see a10flow.engine.stores) stays. Any other (a plain BPMN store, SpiffArena's typeahead
    store) has nothing a10flow reads or writes: it is taken out of ``root`` with its data
    associations."""
    stores = {store.get("id"): store for store in root.iterfind("bpmn:dataStore", NS)}
    kept = set(stores_kept(root))
    drawn = set(stores) - kept
    for ref in list(root.iterfind(".//bpmn:dataStoreReference", NS)):
        label, store_id = " ".join((ref.get("name") or ref.get("id") or "").split()), ref.get("dataStoreRef")
        said = NAMED.get(ref.get("type"))
        if store_id in kept:
            if not (store_id.isascii() and store_id.isidentifier()) or store_id.startswith("_") \
                    or keyword.iskeyword(store_id) or len(store_id) > MAX_STORE_ID:   # ASCII: Python rewrites "ﬁ" to "fi"
                yield ref.get("id"), (f"data store {label!r} has the id {store_id[:80]!r}, which scripts cannot "
                                      f"name: give its dataStore an id of ASCII letters, digits and _ (not "
                                      f"first), at most {MAX_STORE_ID} long"), True
        elif said:
            yield ref.get("id"), (f"data store {label!r} is a SpiffArena {ref.get('type')} store, but its dataStore "
                                  f"{store_id!r} is not named {said}, which is how the engine knows it: name it "
                                  f"so"), True
        else:
            drawn.add(ref.get("id"))
            named = stores[store_id].get("name") or "" if store_id in stores else ""
            near = next((k for k in KINDS if k.lower() == named.strip().lower() and k != named), None)
            what = ("a SpiffArena typeahead store, which feeds SpiffArena's typeahead form fields; a10flow has none"
                    if "typeahead" in (ref.get("type"), named.removesuffix("DataStore").lower()) else
                    f"named {named!r}, not {near!r}, so it is drawn for documentation" if near
                    else "drawn for documentation")
            yield ref.get("id"), (f"data store {label!r} is {what}: a10flow does not read or write it, and its data "
                                  f"associations are left out of the run (what a task sets for it stays in the "
                                  f"instance data)"), False
            ref.getparent().remove(ref)
    ids = {node.get("id") for node in root.iter("*") if node.get("id")}
    for tag, end in (("dataInputAssociation", "sourceRef"), ("dataOutputAssociation", "targetRef")):
        for assoc in list(root.iterfind(f".//bpmn:{tag}", NS)):
            if {assoc.findtext(f"bpmn:{e}", "", NS).strip() for e in ("sourceRef", "targetRef")} & drawn:
                assoc.getparent().remove(assoc)
            elif (named := assoc.findtext(f"bpmn:{end}", "", NS).strip()) and named not in ids:
                yield assoc.getparent().get("id"), (
                    f"a data association of this element leads to {named[:80]!r}, which is no element of this file: "
                    f"draw it to a data object or data store of the process"), True
    for store_id in set(stores) - kept:
        stores[store_id].getparent().remove(stores[store_id])


def stores_kept(root):
    """``{store id: kind}`` of the data stores a10flow keeps that ``root`` declares."""
    return {store.get("id"): KINDS[store.get("name")].kind for store in root.iterfind("bpmn:dataStore", NS)
            if store.get("name") in KINDS}


def unsendable_signals(root):
    """(element, message, is_error) for each element that catches a signal nothing in the file
    throws: a10flow sends signals only from one process element to another, so an instance would
    wait for it for ever (refused); on a boundary event, an event subprocess or a start event
    beside a plain one, the process goes on without it (a warning)."""
    names = {s.get("id"): s.get("name") or s.get("id") for s in root.iterfind("bpmn:signal", NS)}

    def signal(node):
        definition = node.find("bpmn:signalEventDefinition", NS)
        return None if definition is None else names.get(definition.get("signalRef"), definition.get("signalRef"))

    thrown = {signal(n) for tag in ("intermediateThrowEvent", "endEvent") for n in root.iterfind(f".//bpmn:{tag}", NS)}
    for tag in ("startEvent", "intermediateCatchEvent", "boundaryEvent"):
        for node in _in_runnable(root, tag):
            if node.find("bpmn:signalEventDefinition", NS) is None or signal(node) in thrown - {None}:
                continue
            why = (f"nothing in this file throws the signal {signal(node) or '(unnamed)'!r}, and a10flow does not "
                   f"take signals from outside: throw it from another element of the process, or use a message")
            plain_start = tag == "startEvent" and any(
                not any(c.tag.endswith("EventDefinition") for c in s)
                for s in node.getparent().iterfind("bpmn:startEvent", NS) if s is not node)
            if tag == "boundaryEvent" or plain_start or _starts_event_subprocess(node):
                yield node.get("id"), why + " (until then it never fires)", False
            else:
                yield node.get("id"), why, True


def _starts_event_subprocess(node):
    """Whether ``node`` is the start event of an event subprocess: like a boundary event, the
    process goes on without it if it never fires."""
    parent = node.getparent()
    return etree.QName(node).localname == "startEvent" and etree.QName(parent).localname == "subProcess" \
        and parent.get("triggeredByEvent") == "true"


def untyped_boundary_events(root):
    """(element, message) for each boundary event that says nothing about what it catches."""
    for node in root.iterfind(".//bpmn:boundaryEvent", NS):
        if not any(child.tag.endswith("EventDefinition") or child.tag.endswith("eventDefinitionRef")
                   for child in node):
            yield node.get("id"), (f"boundary event {node.get('name') or node.get('id')!r} catches nothing: give "
                                   f"it a timer, message, error, signal or escalation definition in the modeller, "
                                   f"or remove it")
