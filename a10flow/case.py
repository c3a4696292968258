"""The case as a person reads it on a task page: the instance's data under the labels of the forms
that collected it, and what earlier steps decided, by whom and when. Pure functions but for
reading the evidence.
"""
from dataclasses import dataclass, field

from . import evidence, forms
from .evidence import personal
from .models import EvidenceType

DONE = (EvidenceType.TASK_COMPLETED.value, EvidenceType.MESSAGE_RECEIVED.value)


@dataclass
class Item:
    """One labelled value: plain (``value``), an object (``parts``), a list of plain values
    (``values``) or a table (``columns`` and ``rows`` of Items)."""
    label: str
    value: object = None
    parts: list = field(default_factory=list)
    values: list = field(default_factory=list)
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    kind: str = "plain"   # plain, parts, values, table


def label(name, schema):
    """What a data name is called: its form's title for it, else the name made readable."""
    return (schema or {}).get("title") or str(name).replace("_", " ").capitalize()


def ordered(keys, props):
    """``keys`` as the form lists them, the ones it does not after (records keep keys sorted)."""
    return [k for k in props if k in keys] + [k for k in keys if k not in props]


def item(name, value, schema=None):
    """``value`` as an Item labelled by ``schema`` (a form's JSON Schema of it), or by its name."""
    schema = schema if isinstance(schema, dict) else {}
    title = label(name, schema)
    if schema.get("x-display") == "matrix" and isinstance(value, dict):
        return _matrix(title, value, schema)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return Item(title, parts=[item(k, value[k], props.get(k)) for k in ordered(value, props)
                                  if value[k] is not None], kind="parts")
    if isinstance(value, list):
        inner = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if value and all(isinstance(v, dict) for v in value):
            props = inner.get("properties") or {}
            order = ordered(dict.fromkeys(k for row in value for k in row), props)
            return Item(title, columns=[label(k, props.get(k)) for k in order], kind="table",
                        rows=[[item(k, row.get(k), props.get(k)) for k in order] for row in value])
        return Item(title, values=[item("", v, inner) for v in value], kind="values")
    named = dict(forms.named_choices(schema) or [])
    return Item(title, value=named.get(value, value) if isinstance(value, (str, int, float)) else value)


def _matrix(title, value, schema):
    """An A.10.2 responsibility matrix as its readers need it: the parties, then a grid of life-cycle
    stage and activity against party, each cell the party's R/A/C/I share, with the clause."""
    props = schema.get("properties") or {}
    parties = value.get("parties") or []
    names = [p.get("name") for p in parties if isinstance(p, dict)]
    rows = props.get("rows", {}).get("items", {}).get("properties", {})
    grid = Item("Who does what", kind="table",
                columns=[label("stage", rows.get("stage")), label("activity", rows.get("activity")), *names,
                         label("basis", rows.get("basis"))],
                rows=[[Item("", value=r.get("stage")), Item("", value=r.get("activity")),
                       *[Item("", value=(r.get("assignments") or {}).get(n, "")) for n in names],
                       Item("", value=r.get("basis") or "")] for r in value.get("rows") or [] if isinstance(r, dict)])
    return Item(title, kind="parts", parts=[item("parties", parties, props.get("parties")), grid])


def fields_of(version):
    """Every data name a form of ``version`` declares at its top level, with that schema, in the order
    the start form and the task forms list them."""
    found = {}
    start = ((version.inputs or {}).get("start") or {}).get("form")
    forms = version.forms or {}
    for name in [start, *forms]:
        for key, schema in ((forms.get(name) or {}).get("properties") or {}).items():
            found.setdefault(key, schema)
    return found


def summary(version, data, names=None, own=()):
    """The case's data as Items: ``names`` (a task's ``show``) in their order, else everything: the
    task's ``own`` first (one item of a multi-instance task: its customer, its action), then what
    forms collected, in their order, then the rest."""
    declared = fields_of(version)
    if names:
        keys = [n for n in names if n in data]
    else:
        keys = list(dict.fromkeys([k for k in own if k in data] + [k for k in declared if k in data] + list(data)))
    return [item(k, data[k], declared.get(k)) for k in keys
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
