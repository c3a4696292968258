"""One upload: its files read and sorted by kind (BPMN, DMN, forms), with every problem found
so far. Untrusted XML is parsed here, once: UTF-8, no DTD, no entities, no network."""
import json
import os
import re

import jsonschema
from lxml import etree

from ..limits import MAX_FORM_DEPTH, MAX_PROBLEM_MESSAGE

# Comments go: the engine's parser takes a comment inside an element for one of its children.
_XML_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_blank_text=False, remove_comments=True)


class DeployError(Exception):
    """The upload cannot be deployed; ``details`` lists every problem found."""

    def __init__(self, details):
        super().__init__(f"{len(details)} problem(s) in the upload")
        self.details = details




def detail(file, element, message):
    """One problem or warning, as the API gives it: the file, the element (id) and what to do."""
    message = message if len(message) <= MAX_PROBLEM_MESSAGE else message[:MAX_PROBLEM_MESSAGE] + "…"
    return {"file": file, "element": element, "message": message}


_NO_DTD = "DOCTYPE and ENTITY declarations are not allowed in BPMN/DMN files"


def parse_xml(data, filename):
    """Parse untrusted XML: UTF-8, no DTD, no entities, no network. Raises DeployError."""
    if not data.strip():
        raise DeployError([detail(filename, None, "the file is empty")])
    try:
        root = etree.fromstring(data, etree.XMLParser(**_XML_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        if "entit" in str(exc).lower():   # libxml2 stopped at entities it would not expand
            raise DeployError([detail(filename, None, _NO_DTD)]) from None
        why = re.sub(r"\s*\(<string>, line \d+\)$", "", str(exc))
        raise DeployError([detail(filename, None, f"not well-formed XML: {why}")]) from None
    # Judged on the parsed document, so no encoding (UTF-7, UTF-16) or position hides a DTD.
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise DeployError([detail(filename, None, _NO_DTD)])
    if (info.encoding or "UTF-8").upper() not in ("UTF-8", "US-ASCII", "ASCII"):
        raise DeployError([detail(filename, None, f"the file is encoded as {info.encoding}: save it as UTF-8")])
    return root


def kind_of(root):
    tag = etree.QName(root)
    if tag.localname == "definitions" and "BPMN" in (tag.namespace or ""):
        return "bpmn"
    if tag.localname == "definitions" and "DMN" in (tag.namespace or "").upper():
        return "dmn"
    return None


class Upload:
    """The files of one upload, sorted by kind, with every problem found so far."""

    def __init__(self, files, forms_dir, form_problems):
        self.problems, self.warnings = [], []
        self.bpmn, self.dmn, self.forms, self.raw = {}, {}, {}, {}
        self.task_settings = {}   # human task element id -> settings (see settings.task_settings)
        self.stores = {}          # data store id -> (kind, file): one id is one store, across files
        self.kinds = {}           # file -> what the file is, when that explains its problems (Camunda 8)
        self.forms_dir = forms_dir
        self.form_problems = form_problems   # schema -> why it may not be deployed, beyond being a JSON Schema
        for name, data in files:
            self._add(os.path.basename(name or "unnamed"), data)

    def named(self, details):
        """``details`` with each element's name beside its id, where the diagram gives one."""
        names = {}
        for root in (*self.bpmn.values(), *self.dmn.values()):
            for node in root.iter("*"):
                if node.get("id") and node.get("name"):
                    names.setdefault(node.get("id"), node.get("name"))
        return [d | {"name": names.get(d["element"])} for d in details]

    def refused(self):
        """The problems, named, each file's word on what it is (a Camunda 8 model, say) before its
        first problem: a refusal for something else must not hide it (a warning would be dropped)."""
        found, told = [], set()
        for problem in self.problems:
            said = self.kinds.get(problem["file"])
            if said is not None and problem["file"] not in told:
                told.add(problem["file"])
                if said not in self.problems:
                    found.append(said)
            found.append(problem)
        return self.named(found)

    def problem(self, file, element, message):
        self.problems.append(detail(file, element, message))

    def warn(self, file, element, message):
        self.warnings.append(detail(file, element, message))

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
        kind = kind_of(root)
        if kind is None:
            self.problems.append(detail(name, None, "not a BPMN or DMN file: the root element must be "
                                         "bpmn:definitions or dmn:definitions"))
        else:
            getattr(self, kind)[name] = root

    def _schema(self, name, data):
        """A form's JSON Schema, or None with the problem recorded."""
        try:
            schema = json.loads(data)
            if not isinstance(schema, dict):
                raise jsonschema.SchemaError("a form must be a JSON object")
            _read_spiffarena_options(schema)
            if problems := self.form_problems(schema):
                self.problems.extend(detail(name, None, message) for message in problems)
            else:
                jsonschema.validators.validator_for(schema).check_schema(schema)
            return schema
        except RecursionError:
            self.problems.append(detail(name, None, f"the form nests more than {MAX_FORM_DEPTH} levels deep"))
        except (ValueError, UnicodeDecodeError) as exc:
            self.problems.append(detail(name, None, f"not valid JSON: {exc}"))
        except jsonschema.SchemaError as exc:
            where = "/".join(str(p) for p in exc.path) or "(root)"
            self.problems.append(detail(name, None, f"not a valid JSON Schema at {where}: {exc.message}"))
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


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,254}")


def key_problem(key, kind):
    """Why a process or decision id cannot name a definition (it names URLs and files too), or None."""
    if key is None or not _KEY.fullmatch(key):
        return (f"the {kind} id {key!r} may hold only letters, digits, '_', '-' and '.', starting with a "
                "letter or '_' (at most 255 characters)")
    return None


_SPIFF_OPTIONS = re.compile(r"^options_from_task_data_var:(\w+)$")


def _read_spiffarena_options(node):
    """SpiffArena's choices from task data (``"anyOf": ["options_from_task_data_var:name"]``, which
    is no JSON Schema) become a10flow's ``"x-options-from": "name"``, in place."""
    if isinstance(node, dict):
        listed = node.get("anyOf")
        if isinstance(listed, list) and len(listed) == 1 and isinstance(listed[0], str) \
                and (found := _SPIFF_OPTIONS.match(listed[0])):
            del node["anyOf"]
            node["x-options-from"] = found[1]
        for value in node.values():
            _read_spiffarena_options(value)
    elif isinstance(node, list):
        for value in node:
            _read_spiffarena_options(value)
