"""The case as a person reads it on a task page: the instance's data under the labels of the forms
that collected it, and what earlier steps decided, by whom and when. Pure functions but for
reading the evidence.
"""
import re
from dataclasses import dataclass, field

from .. import evidence
from ..evidence import personal
from ..models import EvidenceType
from . import forms

DONE = (EvidenceType.TASK_COMPLETED.value, EvidenceType.MESSAGE_RECEIVED.value)


@dataclass
class Item:
    """One labelled value: plain (``value``), an object (``parts``), a list of plain values
    (``values``), a table (``columns`` and ``rows`` of Items) or a fingerprint (``value``, shown
    shortened, whole on hover)."""
    label: str
    value: object = None
    parts: list = field(default_factory=list)
    values: list = field(default_factory=list)
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    kind: str = "plain"   # plain, parts, values, table, fingerprint, document (its description as value)
    help: str | None = None   # what the form says the value is


SHA256 = re.compile(r"[0-9a-f]{64}")


def label(name, schema):
    """What a data name is called: its form's title for it, else the name made readable."""
    return (schema or {}).get("title") or str(name).replace("_", " ").capitalize()


def ordered(keys, props):
    """``keys`` as the form lists them, the ones it does not after (records keep keys sorted)."""
    return [k for k in props if k in keys] + [k for k in keys if k not in props]


def item(name, value, schema=None, known=None, me=None):
    """``value`` as an Item labelled by ``schema`` (a form's JSON Schema of it), or, for a name its
    own schema does not declare, by ``known`` (every name the version's forms declare, at any
    depth), or by its name. ``me``: who reads it (a user name, a link's e-mail address), whose
    share of a matrix comes first."""
    schema = schema if isinstance(schema, dict) else {}
    known = known or {}
    title, said = label(name, schema), schema.get("description")
    if schema.get("x-display") == "matrix" and isinstance(value, dict):
        return _matrix(title, value, schema, me)
    if isinstance(value, dict) and {"document", "sha256"} <= set(value):   # a file given (a10flow.work.documents)
        return Item(title, value=value, kind="document", help=said)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        each = schema.get("additionalProperties") if isinstance(schema.get("additionalProperties"), dict) else None
        if each and each.get("type") == "object" and value and all(isinstance(v, dict) for v in value.values()):
            # Records by name (corrective actions by action): a table, the name its first column, as written.
            table = item(title, list(value.values()), {"items": each}, known)
            table.columns.insert(0, schema.get("x-key-title") or "Name")
            for row, name in zip(table.rows, value):
                row.insert(0, Item("", value=name))
            table.help = said
            return table
        # A name of another form's field (a contract clause) keeps that form's title; ``each`` says its values.
        return Item(title, parts=[item(k, value[k], props.get(k) or ({**(known.get(k) or {}), **each} if each
                                                                      else known.get(k)), known)
                                  for k in ordered(value, props) if value[k] is not None], kind="parts", help=said)
    if isinstance(value, list):
        inner = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if value and all(isinstance(v, dict) for v in value):
            props = inner.get("properties") or {}
            order = ordered(dict.fromkeys(k for row in value for k in row), props)
            return Item(title, columns=[label(k, props.get(k) or known.get(k)) for k in order], kind="table",
                        rows=[[item(k, row.get(k), props.get(k) or known.get(k), known) for k in order]
                              for row in value], help=said)
        return Item(title, values=[item("", v, inner, known) for v in value], kind="values", help=said)
    if isinstance(value, str) and (schema.get("x-fingerprint-of") or SHA256.fullmatch(value)):
        return Item(title, value=value, kind="fingerprint", help=said)
    named = dict(forms.named_choices(schema) or [])
    return Item(title, value=named.get(value, value) if isinstance(value, (str, int, float)) else value,
                help=said)


def _matrix(title, value, schema, me=None):
    """An A.10.2 responsibility matrix as its readers need it: the parties, then a grid of life-cycle
    stage and activity against party, each cell the party's R/A/C/I share, with the clause. The
    reader's own party (the one ``me`` represents) is the first column, so a phone shows it unscrolled."""
    props = schema.get("properties") or {}
    parties = value.get("parties") or []
    mine = [p.get("name") for p in parties if isinstance(p, dict) and _represents(p, me)]
    names = mine + [p.get("name") for p in parties if isinstance(p, dict) and p.get("name") not in mine]
    rows = props.get("rows", {}).get("items", {}).get("properties", {})
    stage, activity = label("stage", rows.get("stage")), label("activity", rows.get("activity"))
    grid = Item("Who does what", kind="table",
                columns=[f"{stage} and {activity[:1].lower()}{activity[1:]}",
                         *[f"{n} (you)" if n in mine else n for n in names], label("basis", rows.get("basis"))],
                rows=[[Item("", value=f"{r.get('stage')}: {r.get('activity')}"),
                       *[Item("", value=(r.get("assignments") or {}).get(n, "")) for n in names],
                       Item("", value=r.get("basis") or "")] for r in value.get("rows") or [] if isinstance(r, dict)])
    return Item(title, kind="parts", parts=[item("parties", parties, props.get("parties")), grid])


def _represents(party, me):
    """Whether ``me`` (a user name or an e-mail address) is the party's named representative."""
    who = party.get("representative")
    return bool(me) and isinstance(who, str) and who.strip().lower() == str(me).strip().lower()


def fields_of(version, nested=False):
    """Every data name a form of ``version`` declares at its top level, with that schema, in the order
    the start form and the task forms list them; with ``nested``, then the names declared inside
    them too (a contract clause inside the checklist), for data that copies them elsewhere."""
    found = {}
    start = ((version.inputs or {}).get("start") or {}).get("form")
    forms = version.forms or {}
    schemas = [forms.get(name) or {} for name in [start, *forms]]
    for schema in schemas:
        for key, sub in (schema.get("properties") or {}).items():
            found.setdefault(key, sub)
    while nested and schemas:
        inner = []
        for schema in schemas:
            for sub in (schema.get("properties") or {}).values():
                if not isinstance(sub, dict):
                    continue
                for part in (sub, sub.get("items"), sub.get("additionalProperties")):
                    if isinstance(part, dict) and isinstance(part.get("properties"), dict):
                        for key, deeper in part["properties"].items():
                            found.setdefault(key, deeper)
                        inner.append(part)
        schemas = inner
    return found


def summary(version, data, names=None, own=(), nested=False, me=None):
    """The case's data as Items: ``names`` (a task's ``show``) in their order, else everything: the
    task's ``own`` first (one item of a multi-instance task: its customer, its action), then what
    forms collected, in their order, then the rest. ``nested``: label names no schema around them
    declares by any form's (a register entry copies fields out of their forms)."""
    declared = fields_of(version)
    known = fields_of(version, nested=True) if nested else {}
    if names:
        keys = [n for n in names if n in data]
    else:
        keys = list(dict.fromkeys([k for k in own if k in data] + [k for k in declared if k in data] + list(data)))
    return [item(k, data[k], declared.get(k), known, me) for k in keys
            if not str(k).startswith("_") and data[k] is not None and data[k] != [] and data[k] != {}]


@dataclass
class Done:
    """An earlier step of people: which, by whom, when, and what they gave."""
    name: str
    by: str
    at: str
    given: list
    task_id: str | None = None


def decisions(instance):
    """What people did in ``instance``, oldest first, each with what they submitted under its form's
    labels (personal values shown, as the instance's own data shows them)."""
    done = []
    for record in personal.attach(evidence.records(instance.id)):
        if record["type"] not in DONE:
            continue
        data = _revealed(record)["data"]
        schema = (instance.version.forms or {}).get((data.get("form") or {}).get("name")) or {}
        props = schema.get("properties") or {}
        submitted = data.get("submitted") or data.get("payload") or {}
        by = record["actor"].get("name") or record["actor"].get("id")
        if data.get("on_behalf_of") and data.get("party"):
            by = f"{data['party']}, through a link for {data['on_behalf_of']['name']}"
        done.append(Done(record["element"].get("name") or record["element"].get("id"), by, record["at"],
                         [item(k, submitted[k], props.get(k)) for k in ordered(submitted, props)
                          if submitted[k] is not None], data.get("task_id")))
    return done


def started(instance):
    """What the start form of ``instance`` was given, as a Done (a list of none or one): not one of
    people's decisions, but where a document given to start the case is named."""
    for record in personal.attach(evidence.records(instance.id)):
        if record["type"] != EvidenceType.INSTANCE_STARTED.value:
            continue
        given = _revealed(record)["data"].get("data") or {}
        props = (forms.for_start(instance.version) or {}).get("properties") or {}
        return [Done("Start", record["actor"].get("name") or record["actor"].get("id"), record["at"],
                     [item(k, given[k], props.get(k)) for k in ordered(given, props) if given[k] is not None])]
    return []


def _revealed(record):
    """The record with its personal values put back where their salted hashes stand."""
    for pointer, value in (record.get("personal") or {}).items():
        if value is None:
            continue   # erased
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/")]
        node = record
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.get(part, {})
        if isinstance(node, list):
            node[int(parts[-1])] = value
        elif isinstance(node, dict):
            node[parts[-1]] = value
    return record
