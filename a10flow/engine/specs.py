"""Parse and validate an upload of BPMN, DMN and form files into deployable processes.

Every problem is collected, so a modeller sees all of them at once, each with
the file and the BPMN element at fault. Nothing here touches the database: the
caller passes ``resolve`` to find processes and decisions deployed earlier.
"""
import copy
import hashlib
import json
import os
import re
from dataclasses import dataclass

import jsonschema
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .. import forms
from . import checks, dialects, errors, implicit, normalize, services, settings
from .normalize import NS
from .state import dump_spec

# Comments go: the engine's parser takes a comment inside an element for one of its children.
_XML_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_blank_text=False, remove_comments=True)


class DeployError(Exception):
    """The upload cannot be deployed; ``details`` lists every problem found."""

    def __init__(self, details):
        super().__init__(f"{len(details)} problem(s) in the upload")
        self.details = details


@dataclass
class Decision:
    """A DMN decision table of an upload; processes deployed later may call it."""
    key: str
    name: str
    filename: str
    xml: str
    sha256: str


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
    controls: dict       # element id -> the control it evidences (its ``control`` property), e.g. "A.10.3"
    forms: dict          # form name -> JSON Schema
    inputs: dict         # {"start": settings.start_form, "messages": settings.message_forms}
    description: str | None   # the process's documentation: what it is for
    files: dict          # supporting files (DMN, called BPMN, forms): name -> text
    content_hash: str


MAX_MESSAGE = 500   # a problem quotes what it is about; a 300 KB condition is quoted in part


def _detail(file, element, message):
    message = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…"
    return {"file": file, "element": element, "message": message}


# What a DMN decision may be instead of a table (DMN 1.3 boxed expressions).
_NOT_TABLES = {"literalExpression": "a literal expression", "context": "a boxed context",
               "invocation": "an invocation", "relation": "a relation", "list": "a list",
               "functionDefinition": "a function definition"}
_NO_DTD = "DOCTYPE and ENTITY declarations are not allowed in BPMN/DMN files"


def parse_xml(data, filename):
    """Parse untrusted XML: UTF-8, no DTD, no entities, no network. Raises DeployError."""
    if not data.strip():
        raise DeployError([_detail(filename, None, "the file is empty")])
    try:
        root = etree.fromstring(data, etree.XMLParser(**_XML_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        if "entit" in str(exc).lower():   # libxml2 stopped at entities it would not expand
            raise DeployError([_detail(filename, None, _NO_DTD)]) from None
        why = re.sub(r"\s*\(<string>, line \d+\)$", "", str(exc))
        raise DeployError([_detail(filename, None, f"not well-formed XML: {why}")]) from None
    # Judged on the parsed document, so no encoding (UTF-7, UTF-16) or position hides a DTD.
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise DeployError([_detail(filename, None, _NO_DTD)])
    if (info.encoding or "UTF-8").upper() not in ("UTF-8", "US-ASCII", "ASCII"):
        raise DeployError([_detail(filename, None, f"the file is encoded as {info.encoding}: save it as UTF-8")])
    return root


def _kind(root):
    tag = etree.QName(root)
    if tag.localname == "definitions" and "BPMN" in (tag.namespace or ""):
        return "bpmn"
    if tag.localname == "definitions" and "DMN" in (tag.namespace or "").upper():
        return "dmn"
    return None


class _Upload:
    """The files of one upload, sorted by kind, with every problem found so far."""

    def __init__(self, files, forms_dir):
        self.problems, self.warnings = [], []
        self.bpmn, self.dmn, self.forms, self.raw = {}, {}, {}, {}
        self.task_settings = {}   # human task element id -> settings (see _task_settings)
        self.forms_dir = forms_dir
        for name, data in files:
            self._add(os.path.basename(name or "unnamed"), data)

    def problem(self, file, element, message):
        self.problems.append(_detail(file, element, message))

    def warn(self, file, element, message):
        self.warnings.append(_detail(file, element, message))

    def _add(self, name, data):
        self.raw[name] = data
        if name.lower().endswith(".json"):
            self.forms[name] = self._schema(name, data)   # None: broken, its problem recorded
            return
        try:
            root = parse_xml(data, name)
        except DeployError as exc:
            self.problems.extend(exc.details)
            return
        kind = _kind(root)
        if kind is None:
            self.problems.append(_detail(name, None, "not a BPMN or DMN file: the root element must be "
                                         "bpmn:definitions or dmn:definitions"))
        else:
            getattr(self, kind)[name] = root

    def _schema(self, name, data):
        """A form's JSON Schema, or None with the problem recorded."""
        try:
            schema = json.loads(data)
            if not isinstance(schema, dict):
                raise jsonschema.SchemaError("a form must be a JSON object")
            if found := re.search(r'options_from_task_data_var:(\w+)', json.dumps(schema)):
                self.problems.append(_detail(name, None, (
                    f"the form takes its choices from the task data ({found[0]}), as SpiffArena's forms do; "
                    f"a10flow's forms list their choices: write them as an enum, or let a script check the "
                    f"value against {found[1]}")))
            elif problems := forms.deploy_problems(schema):
                self.problems.extend(_detail(name, None, message) for message in problems)
            else:
                jsonschema.validators.validator_for(schema).check_schema(schema)
            return schema
        except RecursionError:
            self.problems.append(_detail(name, None, f"the form nests more than {forms.MAX_FORM_DEPTH} levels deep"))
        except (ValueError, UnicodeDecodeError) as exc:
            self.problems.append(_detail(name, None, f"not valid JSON: {exc}"))
        except jsonschema.SchemaError as exc:
            where = "/".join(str(p) for p in exc.path) or "(root)"
            self.problems.append(_detail(name, None, f"not a valid JSON Schema at {where}: {exc.message}"))
        return None

    def add_form(self, name, schema):
        """Take a form a10flow made from the diagram (Camunda's generated form) as if uploaded;
        its name, or None when it is no valid form (the problem recorded)."""
        checked = self._schema(name, json.dumps(schema))
        if checked is None:
            return None
        self.forms[name] = checked
        return name

    def form(self, ref):
        """(name, JSON Schema) for a task's form reference: uploaded, else from forms/; or None.

        A form that is no valid schema (uploaded or in forms/) gives (name, None), its problem recorded.
        """
        candidates = [c for c in (ref, f"{ref}.json", f"{ref}.schema.json") if "/" not in c and ":" not in c]
        for candidate in candidates:
            if candidate in self.forms:
                return candidate, self.forms[candidate]
        for candidate in candidates:
            path = os.path.join(self.forms_dir, candidate) if self.forms_dir else None
            if path and os.path.isfile(path):
                with open(path, "rb") as fh:
                    data = fh.read()
                schema = self._schema(f"forms/{candidate}", data)
                if schema is None:
                    return candidate, None
                self.forms[candidate] = schema  # later lookups of the same form read no file
                self.raw[candidate] = data      # kept as written: its fields stay in their order
                return candidate, schema
        return None


def parse_upload(files, forms_dir=None, resolve=None):
    """Validate an upload and return what it deploys: processes and decision tables.

    ``files`` is a list of (filename, bytes). ``resolve(kind, key)`` returns
    ``(xml_bytes, forms)`` of an already deployed "process" or "decision", or None.
    Raises DeployError listing every problem.
    """
    upload = _Upload(files, forms_dir)
    resolve = resolve or (lambda kind, key: None)
    if not upload.bpmn and not upload.dmn and not upload.problems:
        upload.problems.append(_detail(None, None, "the upload has no BPMN or DMN file"))
    parser = SpiffBpmnParser()
    decisions = []
    for name, root in upload.dmn.items():
        decisions.extend(_add_dmn(upload, parser, name, root))

    executable, owner = [], {}
    for name, root in upload.bpmn.items():
        before = len(upload.problems)
        normalize.camunda_operators(root)   # first: the ids it writes are checked with the rest
        for dup in checks.duplicate_ids(root):
            upload.problems.append(_detail(name, dup, f"the id {dup!r} is used by more than one element"))
        for found in (checks.reserved_ids, checks.untyped_boundary_events, checks.camunda_service_problems):
            upload.problems.extend(_detail(name, element, message) for element, message in found(root))
        for element, message, is_error in (*checks.unnamed_messages(root), *checks.unsendable_signals(root),
                                           *checks.data_stores(root),
                                           *services.deploy_problems(root)):
            (upload.problems if is_error else upload.warnings).append(_detail(name, element, message))
        for node, message in settings.people_tasks(root, root):
            upload.task_settings[node.get("id")] = settings.task_settings(upload, node, name, message)
        implicit.split_outgoing(root)
        problems, warnings = normalize.normalize_bpmn(root)
        upload.problems.extend(_detail(name, e, m) for e, m in problems)
        upload.warnings.extend(_detail(name, e, m) for e, m in (*warnings, *dialects.warnings(root)))
        if zeebe := dialects.camunda8(root):   # said once, instead of once per FEEL expression
            first = root.find("bpmn:process", NS)
            said = _detail(name, None if first is None else first.get("id"), zeebe)
            if len(upload.problems) > before:
                upload.problems[before:] = [said]
            else:
                upload.warnings.append(said)
        processes = root.findall("bpmn:process", NS)
        for proc in processes:
            if problem := _key_problem(proc.get("id"), "process"):
                upload.problems.append(_detail(name, proc.get("id"), problem))
        if not processes:
            upload.problems.append(_detail(name, None, "the file has no bpmn:process"))
        elif not any(_executable(p) for p in processes):
            ids = ", ".join(p.get("id") for p in processes)
            upload.problems.append(_detail(name, processes[0].get("id"),
                f"no executable process ({ids}): tick 'Executable' in the modeller's properties panel "
                f"(bpmn.io sets isExecutable=\"false\" by default)"))
        _add_deployed_decisions(upload, parser, root, name, resolve)
        if len(upload.problems) == before:
            if _add_to_parser(upload, parser.add_bpmn_xml, root, name):
                for proc in processes:
                    owner[proc.get("id")] = (name, proc)
                    if _executable(proc):
                        executable.append(proc.get("id"))
    if upload.problems:
        raise DeployError(upload.problems)

    _add_called_processes(upload, parser, owner, resolve)
    upload.problems.extend(_detail(*found) for found in checks.call_cycles(owner))
    result = [p for p in (_build(upload, parser, key, owner) for key in executable) if p]
    if upload.problems:
        raise DeployError(upload.problems)
    return Deployment(result, decisions, upload.warnings)


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,254}")


def _key_problem(key, kind):
    """Why a process or decision id cannot name a definition (it names URLs and files too), or None."""
    if key is None or not _KEY.fullmatch(key):
        return (f"the {kind} id {key!r} may hold only letters, digits, '_', '-' and '.', starting with a "
                "letter or '_' (at most 255 characters)")
    return None


def _executable(process):
    # Spiff, like the BPMN spec, treats a missing isExecutable as executable.
    return process.get("isExecutable", "true") == "true"


def _add_dmn(upload, parser, name, root):
    """Register each decision of a DMN file on its own; return them as Decisions.

    SpiffWorkflow reads one decision per file, so a decision requirement
    diagram is split into one document per decision.
    """
    text, digest = upload.raw[name].decode("utf-8"), hashlib.sha256(upload.raw[name]).hexdigest()
    decisions, skipped = [], []
    for decision in root.findall("{*}decision"):
        decision_id = decision.get("id")
        if problem := _key_problem(decision_id, "decision"):
            upload.problems.append(_detail(name, decision_id, problem))
            continue
        single = copy.deepcopy(root)
        for other in single.findall("{*}decision"):
            if other.get("id") != decision_id:
                single.remove(other)
        if decision.find("{*}decisionTable") is None:
            kinds = sorted({etree.QName(c).localname for c in decision if etree.QName(c).localname in _NOT_TABLES})
            skipped.append(_detail(name, decision_id, (
                f"decision {decision.get('name') or decision_id!r} is "
                f"{' and '.join(_NOT_TABLES[k] for k in kinds) or 'not a decision table'}, which a10flow does "
                f"not evaluate, so it is left out: a10flow runs DMN decision tables (or write the logic as a "
                f"script task)")))
            continue
        for tag in ("decisionTable", "input", "output", "rule", "inputEntry", "outputEntry"):
            # DMN lets these go without an id; the engine looks them up by one.
            for number, node in enumerate(single.iterfind(f"{{*}}decision//{{*}}{tag}")):
                node.set("id", node.get("id") or f"{decision_id}_{tag}{number}")
        for entry in single.iterfind(".//{*}inputEntry/{*}text"):
            # Spiff glues input and test together ("change_typein (...)"): name the input.
            if re.match(r"^\s*(not\s+in|in|is)\b", entry.text or ""):
                entry.text = "? " + entry.text.strip()
        try:
            parser.add_dmn_xml(single, name)
            parser.dmn_parsers[decision_id].parse()
        except Exception as exc:  # the DMN parser raises raw errors on tables it cannot read
            upload.problems.append(_detail(name, decision_id, f"the decision table cannot be read ({exc}): "
                                           f"check it opens in the DMN editor and uses DMN 1.3 decision tables"))
            continue
        if decision.find("{*}informationRequirement/{*}requiredDecision") is not None:
            upload.warnings.append(_detail(name, decision_id, "this decision requires other decisions; "
                "a10flow evaluates each table on its own, so evaluate the required ones first "
                "(one business rule task each) and keep their results in the instance data"))
        decisions.append(Decision(decision_id, decision.get("name") or decision_id, name, text, digest))
    if not decisions and not upload.problems:
        upload.problems.extend(skipped or [_detail(name, None, "the DMN file has no decision")])
    else:
        upload.warnings.extend(skipped)
    return decisions


def _add_deployed_decisions(upload, parser, root, name, resolve):
    """Decision tables a business rule task calls that are not in this upload."""
    for ref in root.iterfind(".//bpmn:businessRuleTask/bpmn:extensionElements/spiffworkflow:calledDecisionId", NS):
        decision = (ref.text or "").strip()
        if decision and decision not in parser.dmn_parsers:
            data = (resolve("decision", decision) or (None,))[0]
            if data is not None:
                dmn_name = f"{decision}.dmn"
                upload.raw[dmn_name] = data
                upload.dmn[dmn_name] = parse_xml(data, dmn_name)
                _add_dmn(upload, parser, dmn_name, upload.dmn[dmn_name])


def _add_to_parser(upload, add, root, name):
    try:
        add(root, name)
        return True
    except ValidationException as exc:
        upload.problems.append(_detail(name, exc.id or _named_in(str(exc), root), _engine_message(exc)))
    except Exception as exc:  # the engine's parser raises raw errors on files it cannot read
        upload.problems.append(_detail(name, _named_in(str(exc), root), f"the engine cannot read this file: "
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


def _engine_message(exc):
    message = str(exc).rstrip(". ")
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
                    upload.problems.append(_detail(name, call.get("id"), "call activity names no process (calledElement)"))
                elif called not in owner:
                    data, forms = resolve("process", called) or (None, None)
                    if data is None:
                        upload.problems.append(_detail(name, call.get("id"),
                            f"call activity calls process {called!r}, which is neither in this upload "
                            f"nor deployed"))
                        continue
                    root = parse_xml(data, f"{called}.bpmn")
                    normalize.normalize_bpmn(root)  # it passed these checks when it was deployed
                    parser.add_bpmn_xml(root, f"{called}.bpmn")
                    upload.raw[f"{called}.bpmn"] = data
                    for form_name, schema in forms.items():
                        upload.forms.setdefault(form_name, schema)
                    for p in root.findall("bpmn:process", NS):
                        owner[p.get("id")] = (f"{called}.bpmn", p)
                    pending = True
    if upload.problems:
        raise DeployError(upload.problems)


def _build(upload, parser, key, owner):
    filename, proc = owner[key]
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as exc:
        upload.problems.append(_detail(exc.file_name or filename, exc.id or key, _engine_message(exc)))
        return None
    except Exception as exc:
        upload.problems.append(_detail(filename, _named_in(str(exc), proc) or key,
                                       f"the engine cannot read this process: {_unexpected(exc)}"))
        return None

    lanes = {}
    for s in [spec, *subprocess_specs.values()]:
        for ts in s.task_specs.values():
            if getattr(ts, "bpmn_id", None):
                lanes[ts.bpmn_id] = ts.lane
    tasks, forms, messages = {}, {}, {}
    called_files = {owner[k][0] for k in subprocess_specs if k in owner}
    for proc_node in [owner[k][1] for k in [key, *subprocess_specs] if k in owner]:
        for node, message in settings.people_tasks(proc_node, proc_node.getroottree().getroot()):
            element = node.get("id")
            found = upload.task_settings.get(element) or settings.task_settings(upload, node, filename, message)
            tasks[element] = found | {"lane": lanes.get(element)}
        messages.update(settings.message_forms(upload, proc_node, filename, tasks))
    inputs = {"start": settings.start_form(upload, proc, filename), "messages": messages}
    for name in [t["form"] for t in tasks.values()] + [inputs["start"] and inputs["start"]["form"],
                                                        *messages.values()]:
        if name:
            forms[name] = upload.form(name)[1]
    supporting = sorted(called_files - {filename}) + sorted(upload.dmn) + sorted(forms)
    files = {n: upload.raw[n].decode("utf-8") for n in supporting if n in upload.raw}
    for n in forms:
        files.setdefault(n, json.dumps(forms[n]))
    raw = upload.raw[filename]
    digest = hashlib.sha256(raw)
    for n in sorted(files):
        digest.update(n.encode() + b"\0" + files[n].encode())
    controls = {}
    for proc_node in [owner[k][1] for k in [key, *subprocess_specs] if k in owner]:
        for node in proc_node.iter("*"):
            control = settings.properties(node).get("control") if node.get("id") else None
            if control:
                controls[node.get("id")] = control
    return Process(
        key=key, name=proc.get("name") or key, filename=filename, controls=controls,
        description=(proc.findtext("bpmn:documentation", None, NS) or "").strip() or None,
        bpmn_xml=raw.decode("utf-8"), bpmn_sha256=hashlib.sha256(raw).hexdigest(),
        spec=dump_spec(spec, subprocess_specs), tasks=tasks, forms=forms, inputs=inputs, files=files,
        content_hash=digest.hexdigest())
