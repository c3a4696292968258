"""Parse and validate an upload of BPMN, DMN and form files into deployable processes.

Every problem is collected, so a modeller sees all of them at once, each with
the file and the BPMN element at fault. Nothing here touches the database: the
caller passes ``resolve`` to find processes and decisions deployed earlier.
"""
import hashlib
import json
import re
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin as BusinessRuleTask

from ..engine import errors, stores
from ..engine.state import dump_spec
from . import checks, decisions, element_settings, prepare
from .normalize import NS
from .upload import DeployError, Upload, detail, parse_xml


@dataclass
class Deployment:
    processes: list
    decisions: list
    warnings: list


@dataclass
class Process:
    """One deployable process of an upload, ready to be stored as a definition version."""
    key: str
    name: str
    filename: str
    bpmn_xml: str
    bpmn_sha256: str
    spec: dict
    tasks: dict          # element id -> assignment, form and due-date settings of a human task
    controls: dict       # element id -> the control ids it evidences, read from its ``control`` property
    forms: dict          # form name -> JSON Schema
    inputs: dict         # {"start": element_settings.start_form, "messages": element_settings.message_forms}
    description: str | None   # the process's documentation: what it is for
    files: dict          # supporting files (DMN, called BPMN, forms): name -> text
    stores: dict         # data store id -> kind ("json", "kkv"): the stores it reads or writes
    content_hash: str


def parse_upload(files, forms_dir=None, resolve=None, *, read_controls, form_problems):
    """Validate an upload and return what it deploys: processes and decision tables.

    ``files`` is a list of (filename, bytes). ``resolve(kind, key)`` returns
    ``(xml_bytes, forms)`` of an already deployed "process" or "decision", or None.
    The service's own rules are passed in: ``read_controls(text)`` gives the control ids an
    element's ``control`` property names (:raises ValueError: why not), and ``form_problems``
    says why a form may not be deployed (see upload.Upload).
    Raises DeployError listing every problem.
    """
    upload = Upload(files, forms_dir, form_problems)
    resolve = resolve or (lambda kind, key: None)
    if not upload.bpmn and not upload.dmn and not upload.problems:
        upload.problems.append(detail(None, None, "the upload has no BPMN or DMN file"))
    parser = stores.Parser()
    tables = []
    for name, root in upload.dmn.items():
        tables.extend(decisions.add_dmn(upload, parser, name, root))

    executable, owner = [], {}
    for name, root in upload.bpmn.items():
        before = len(upload.problems)
        processes = prepare.bpmn_file(upload, name, root)
        decisions.add_deployed(upload, parser, root, name, resolve)
        if len(upload.problems) == before and _add_to_parser(upload, parser.add_bpmn_xml, root, name):
            for proc in processes:
                owner[proc.get("id")] = (name, proc)
                if checks.executable(proc):
                    executable.append(proc.get("id"))
    if upload.problems:
        raise DeployError(upload.refused())

    _add_called_processes(upload, parser, owner, resolve)
    upload.problems.extend(detail(*found) for found in checks.call_cycles(owner))
    result = [p for p in (_build(upload, parser, key, owner, read_controls) for key in executable) if p]
    if upload.problems:
        raise DeployError(upload.refused())
    return Deployment(result, tables, upload.named(upload.warnings))


def _add_to_parser(upload, add, root, name):
    try:
        add(root, name)
        return True
    except ValidationException as exc:
        upload.problems.append(detail(name, exc.id or _named_in(str(exc), root), _engine_message(exc)))
    except Exception as exc:  # the engine's parser raises raw errors on files it cannot read
        upload.problems.append(detail(name, _named_in(str(exc), root), f"the engine cannot read this file: "
                                                                         f"{_unexpected(exc)}"))
    return False


def _unexpected(exc):
    """An engine failure deploy has no check for, without Python's names for it."""
    if isinstance(exc, NotImplementedError) and exc.args:   # e.g. ("Unsupported Catch Event: %r", xml)
        return f"{str(exc.args[0]).replace(': %r', '').replace('%r', '')} (a10flow does not run this kind of element)"
    return errors.why(exc)


def _named_in(message, root):
    """The id of an element the engine's message names without saying it is one, or None."""
    ids = {node.get("id") for node in root.iter("*") if node.get("id")}
    return next((word for word in (w.rstrip(".:") for w in re.findall(r"[\w.:-]+", message)) if word in ids), None)


# What SpiffWorkflow's parser says, in the words a modeller acts on.
_SPIFF_SAYS = [
    (r"^No start event found", "the process has no start event: draw one where it begins"),
    (r"^A SubWorkflow Must contain an End event", "the subprocess has no end event: draw one where it finishes"),
    (r"^Non-default exclusive outgoing sequence flow without condition",
     "a flow out of this exclusive gateway has neither a condition nor is it the default: give it a condition "
     "(or make it the gateway's default flow)"),
    (r"^A multiinstance task must specify exactly one of",
     "the multi-instance task gives both a loop cardinality and an input collection: keep one"),
    (r"^A multiinstance task must specify",
     "the multi-instance task says neither how many times it runs (loop cardinality) nor over which list "
     "(input collection): set one in the modeller's properties panel"),
    (r"^A Service Task must have an operator",
     "the service task names no operator: choose an a10flow operator (notify, escalate, record) in the "
     "element template, or make it a script task"),
    (r"^Cannot resolve data(Input|Output)Association",
     "a data association of this element leads to no data object or data store the engine can find: draw "
     "the data object (or its reference) inside the process or subprocess that uses it"),
    (r"^No DMN Diagram available with id \"None\"",
     "the business rule task names no decision: choose the decision table it evaluates"),
    (r"^No DMN Diagram available with id \"(?P<id>.*)\", Available DMN ids are:\s*(?P<ids>.*)$",
     lambda found: f"the business rule task calls decision {found['id']!r}, which is neither in this upload nor "
                   f"deployed: upload the DMN file that defines it with the diagram" + (
                       f", or call one the upload has: {_listed(found['ids'].split(', '))}" if found["ids"].strip()
                       else " (this upload has no decision table)")),
]


def _listed(ids):
    """'a', 'b' or 'c': a list in words."""
    quoted = [repr(i) for i in ids]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _engine_message(exc):
    message = str(exc).rstrip(". ")
    # The engine's parser wraps what it did not expect as its repr: "NotImplementedError('Unsupported
    # Catch Event: %r', b'<bpmn:… XML …>')". Keep its words, without the exception's name or the XML.
    if found := re.match(r"^(?P<type>\w+(?:Error|Exception))\((?P<q>['\"])(?P<text>.*?)(?P=q)", message, re.S):
        said = found["text"].replace(": %r", "").replace("%r", "").strip(" .:")
        message = (f"{said} (a10flow does not run this kind of element)" if found["type"] == "NotImplementedError"
                   else f"the engine cannot read this element: {said}")
    for pattern, words in _SPIFF_SAYS:
        if found := re.match(pattern, message, re.S):
            message = words(found) if callable(words) else words
            break
    if exc.name and exc.name not in message:
        message += f" (element {exc.name!r})"
    return message


def _add_called_processes(upload, parser, owner, resolve):
    """Make called processes from earlier deployments known to the parser."""
    pending = True
    while pending:
        pending = False
        for name, proc in list(owner.values()):
            for call in proc.iterfind(".//bpmn:callActivity", NS):
                called = call.get("calledElement")
                if not called:
                    upload.problems.append(detail(name, call.get("id"), "call activity names no process (calledElement)"))
                elif called not in owner:
                    data, forms = resolve("process", called) or (None, None)
                    if data is None:
                        upload.problems.append(detail(name, call.get("id"),
                            f"call activity calls process {called!r}, which is neither in this upload "
                            f"nor deployed"))
                        continue
                    root = prepare.rewritten(parse_xml(data, f"{called}.bpmn"))
                    parser.add_bpmn_xml(root, f"{called}.bpmn")
                    upload.raw[f"{called}.bpmn"] = data
                    for form_name, schema in forms.items():
                        upload.forms.setdefault(form_name, schema)
                    for p in root.findall("bpmn:process", NS):
                        owner[p.get("id")] = (f"{called}.bpmn", p)
                    pending = True
    if upload.problems:
        raise DeployError(upload.refused())


def _table_file(upload, owner, key, subprocess_specs, task_id):
    """The DMN file (name and SHA-256) holding the decision a business rule task calls, for its
    decision.evaluated record: the exact table that decided."""
    # Ids are compared, never put into a path: a modeller's id may hold any character.
    for proc_node in [owner[k][1] for k in [key, *subprocess_specs] if k in owner]:
        for task in proc_node.iterfind(".//bpmn:businessRuleTask", NS):
            decision = task.findtext(".//spiffworkflow:calledDecisionId", "", NS).strip()
            if task.get("id") != task_id or not decision:
                continue
            for name, root in upload.dmn.items():
                if any(d.get("id") == decision for d in root.iterfind("{*}decision")):
                    return {"decision": decision, "file": name, "sha256": hashlib.sha256(upload.raw[name]).hexdigest()}
    return None


# Elements whose reaching leaves no record of their own (coverage counts a milestone by its record).
_UNRECORDED = {"startEvent", "endEvent", "intermediateThrowEvent", "subProcess", "callActivity", "transaction",
               "parallelGateway", "eventBasedGateway", "complexGateway", "sendTask", "task"}


def _build(upload, parser, key, owner, read_controls):
    filename, proc = owner[key]
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as exc:
        upload.problems.append(detail(exc.file_name or filename, exc.id or key, _engine_message(exc)))
        return None
    except Exception as exc:
        upload.problems.append(detail(filename, _named_in(str(exc), proc) or key,
                                       f"the engine cannot read this process: {_unexpected(exc)}"))
        return None

    lanes = {}
    flows = {}   # gateway id -> {target element id: the flow's id and name}: the engine keeps neither
    for proc_node in [owner[k][1] for k in [key, *subprocess_specs] if k in owner]:
        for flow in proc_node.iterfind(".//bpmn:sequenceFlow", NS):
            flows.setdefault(flow.get("sourceRef"), {})[flow.get("targetRef")] = {
                "id": flow.get("id"), "name": flow.get("name")}
    for s in [spec, *subprocess_specs.values()]:
        for ts in s.task_specs.values():
            if getattr(ts, "bpmn_id", None):
                lanes[ts.bpmn_id] = ts.lane
            if isinstance(ts, (ExclusiveGateway, InclusiveGateway)) and hasattr(ts, "extensions"):
                ts.extensions["flows"] = flows.get(ts.bpmn_id, {})   # for its gateway.path_taken record
            if isinstance(ts, BusinessRuleTask) and hasattr(ts, "extensions"):
                ts.extensions["table_file"] = _table_file(upload, owner, key, subprocess_specs, ts.bpmn_id)
    tasks, forms, messages = {}, {}, {}
    called_files = {owner[k][0] for k in subprocess_specs if k in owner}
    for proc_node in [owner[k][1] for k in [key, *subprocess_specs] if k in owner]:
        for node, message in element_settings.people_tasks(proc_node, proc_node.getroottree().getroot()):
            element = node.get("id")
            found = upload.task_settings.get(element) or element_settings.task_settings(upload, node, filename, message)
            tasks[element] = found | {"lane": lanes.get(element)}
        messages.update(element_settings.message_forms(upload, proc_node, filename, tasks))
    inputs = {"start": element_settings.start_form(upload, proc, filename), "messages": messages}
    described = []   # a service task's form describes what it writes (a register entry): labels, no input
    for proc_node in [owner[k][1] for k in [key, *subprocess_specs] if k in owner]:
        for node in proc_node.iterfind(".//bpmn:serviceTask", NS):
            if ref := (element_settings.properties(node).get("form") or "").strip():
                found = upload.form(ref)
                if found is None:
                    upload.problems.append(detail(filename, node.get("id"), f"its form {ref!r} is neither uploaded "
                                                                            "nor in forms/"))
                else:
                    described.append(found[0])
    for name in [t["form"] for t in tasks.values()] + [inputs["start"] and inputs["start"]["form"],
                                                        *messages.values(), *described]:
        if name:
            forms[name] = upload.form(name)[1]
    read = stores.used([spec, *subprocess_specs.values()], writes=False)
    for name, schema in forms.items():   # a field that shares a store's id is overwritten by each read
        for field in sorted(set((schema or {}).get("properties") or {}) & set(read)):
            said = detail(filename, field, f"the form {name!r} has a field {field!r}, the id of a data store this "
                                           f"process reads: a task that reads the store replaces the field's value "
                                           f"(or hides a KKV store's lookup); rename one")
            if said not in upload.warnings:
                upload.warnings.append(said)
    supporting = sorted(called_files - {filename}) + sorted(upload.dmn) + sorted(forms)
    files = {n: upload.raw[n].decode("utf-8") for n in supporting if n in upload.raw}
    for n in forms:
        files.setdefault(n, json.dumps(forms[n]))
    raw = upload.raw[filename]
    digest = hashlib.sha256(raw)
    for n in sorted(files):
        digest.update(n.encode() + b"\0" + files[n].encode())
    controls = {}
    for file_name, proc_node in [owner[k] for k in [key, *subprocess_specs] if k in owner]:
        for node in proc_node.iter("*"):
            if node.get("id") and element_settings.properties(node).get("milestone") and \
                    etree.QName(node).localname in _UNRECORDED:
                said = detail(file_name, node.get("id"), "its milestone is never counted: reaching this element leaves "
                                                         "no evidence record; put it on the task that completes the cycle")
                if said not in upload.warnings:
                    upload.warnings.append(said)
            written = element_settings.properties(node).get("control") if node.get("id") else None
            try:
                if written and (ids := read_controls(written)):
                    controls[node.get("id")] = ids
            except ValueError as exc:
                said = detail(file_name, node.get("id"), f"its control property: {exc}")
                if said not in upload.problems:   # a process two others call is built twice
                    upload.problems.append(said)
    return Process(
        key=key, name=proc.get("name") or key, filename=filename, controls=controls,
        description=(proc.findtext("bpmn:documentation", None, NS) or "").strip() or None,
        bpmn_xml=raw.decode("utf-8"), bpmn_sha256=hashlib.sha256(raw).hexdigest(),
        spec=dump_spec(spec, subprocess_specs), tasks=tasks, forms=forms, inputs=inputs, files=files,
        stores=stores.used([spec, *subprocess_specs.values()]), content_hash=digest.hexdigest())
