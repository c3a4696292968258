"""JSON Schema forms as HTML fields, and posted fields back as data. Pure functions.

Each field's HTML name is its path in the data, ``/``-separated (``approval/conditions/0/due``),
the same path the server's field errors name, so an error lands beside its field.
Arrays of objects are tables whose rows are added and removed by submit buttons
(``add:<path>``, ``remove:<path>/<i>``): the pages work without JavaScript.
"""
import math
import re
from dataclasses import dataclass, field
from datetime import timedelta

from .. import clock, forms
from ..evidence import canonical
from ..errors import Invalid

RADIO_MAX = 4   # enums with up to this many choices are radios, longer ones a select
MAX_ROWS = 500  # rows one table of a form may have
_ROW = re.compile(r"[0-9]{1,4}")   # a row's number in a field name; not "²", which isdigit() lets by


@dataclass
class Field:
    path: str
    label: str
    kind: str                 # text, email, date, datetime, number, integer, checkbox, radio, select,
    #                           textarea, choices (array of enum), lines (array of text), group, table
    required: bool = False
    help: str | None = None
    value: object = None
    choices: list = field(default_factory=list)
    children: list = field(default_factory=list)   # group: its fields; table: one list of fields per row
    columns: list = field(default_factory=list)    # table: the column labels
    error: str | None = None
    earliest: str | None = None   # date: the first day it may be (the page's date picker starts there)
    titles: dict = field(default_factory=dict)   # radio, select: what each choice is called, if not its value


def _label(name, schema):
    return schema.get("title") or name.replace("_", " ").capitalize()


def _kind(schema):
    kind = schema.get("type")
    if schema.get("x-fingerprint-of"):
        return "fingerprint"
    if "enum" in schema or forms.named_choices(schema):
        return "radio" if len(schema.get("enum") or schema.get("oneOf")) <= RADIO_MAX else "select"
    if schema.get("x-options-from"):
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("number", "integer"):
        return kind
    if kind == "object":
        # An object that names no fields but says what each value is: a table of names and values.
        return "map" if not schema.get("properties") and isinstance(schema.get("additionalProperties"), dict) \
            else "group"
    if kind == "array":
        items = schema.get("items") or {}
        if items.get("type") == "object":
            return "table"
        return "choices" if "enum" in items else "lines"
    fmt = schema.get("format")
    if fmt in ("date", "email"):
        return fmt
    if fmt == "future-date":
        return "date"
    if fmt == "date-time":
        return "datetime"
    return "textarea" if schema.get("maxLength", 0) > 200 or schema.get("x-multiline") else "text"


@dataclass
class _Scope:
    """What every field of one form is built with."""
    errors: dict
    context: dict    # the data the person sees (a fingerprint field shows the fingerprint of its part)
    choices: dict    # by format, the values a field of that format offers
    root: dict       # the whole form's data, which x-keys-from reads


def build(schema, data=None, errors=(), prefix="", context=None, choices=None):
    """The fields of an object schema, filled from ``data``, with ``errors`` (as the API
    gives them: ``{"field", "message"}``) put on their fields. ``context``: the data the person
    sees; ``choices``: by format, the values a field of that format offers
    (``{"user": [names], "group": [names]}``)."""
    by_path = {}
    for e in errors:
        by_path.setdefault(e.get("field") or "", e["message"])
    return _object_fields(schema, data or {}, prefix, _Scope(by_path, context or {}, choices or {}, data or {}))


def _object_fields(schema, data, prefix, scope):
    required = set(schema.get("required") or [])
    fields = []
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        value = data.get(name) if isinstance(data, dict) else None
        f = Field(path=path, label=_label(name, sub), kind=_kind(sub), required=name in required,
                  help=sub.get("description"), value=value, error=scope.errors.get(path))
        if f.kind in ("radio", "select") and sub.get("x-options-from"):   # the choices the task's data holds
            f.choices = [value for value, _ in forms.options(scope.context.get(sub["x-options-from"]))]
        elif f.kind in ("radio", "select") and "enum" not in sub:   # named outcomes (a decision)
            f.choices, f.titles = [v for v, _ in forms.named_choices(sub)], dict(forms.named_choices(sub))
        elif f.kind in ("radio", "select"):
            f.choices = list(sub["enum"])
        elif f.kind == "choices":
            f.choices = list(sub["items"]["enum"])
        elif f.kind == "text" and sub.get("format") in scope.choices:   # a person or group picked from the real ones
            f.kind, f.choices = "select", list(scope.choices[sub["format"]])
        elif f.kind == "fingerprint":
            f.value = canonical.sha256(scope.context.get(sub["x-fingerprint-of"]))
        elif f.kind == "group":
            f.children = _object_fields(sub, value or {}, path + "/", scope)
        elif f.kind == "table":
            columns = sub["items"]
            f.columns = [_label(n, s) for n, s in (columns.get("properties") or {}).items()]
            f.children = [_object_fields(columns, row or {}, f"{path}/{i}/", scope)
                          for i, row in enumerate(value if isinstance(value, list) else [])]
        elif f.kind == "map":
            f.columns = [sub.get("x-key-title") or "Name", _label("value", sub["additionalProperties"])]
            given = value if isinstance(value, dict) else {}
            # Names the form already holds elsewhere (the matrix's parties) get a row each, ready to fill.
            names = dict.fromkeys(_names_at(scope.root, sub.get("x-keys-from")), "") | given
            f.children = [_map_row(sub, key, item, scope.errors, f"{path}/{i}/", f"{path}/{key}")
                          for i, (key, item) in enumerate(names.items())]
        if f.kind == "date":
            f.earliest = _earliest(sub, scope.context)
            if f.earliest:
                f.help = f"{f.help}; {f.earliest} or later" if f.help else f"{f.earliest} or later"
        if f.kind == "lines" and isinstance(value, list):
            f.value = "\n".join(str(v) for v in value)
        fields.append(f)
    return fields


def _earliest(schema, context):
    """The first day a date field accepts, as its keywords say (the server checks it again)."""
    days = schema.get("x-days-ahead")
    days = context.get(days) if isinstance(days, str) else days
    if schema.get("format") == "future-date":
        days = max(days if isinstance(days, int) else 0, 1)
    if not isinstance(days, int) or isinstance(days, bool):
        return None
    return (clock.now().date() + timedelta(days=days)).isoformat()


def _names_at(data, path):
    """The texts at a ``/``-separated path of the form's data, ``*`` standing for every row."""
    if not isinstance(path, str):
        return []
    nodes = [data]
    for part in path.split("/"):
        nodes = [n for node in nodes for n in (node if part == "*" and isinstance(node, list) else
                                                [node[part]] if isinstance(node, dict) and part in node else [])]
    return [n for n in nodes if isinstance(n, str) and n.strip()]


def _map_row(schema, key, value, errors, prefix, error_path):
    """One name and value of a map, as two fields (a value's error is reported at the name)."""
    return [Field(path=prefix + "key", label=schema.get("x-key-title") or "Name", kind="text", value=key),
            Field(path=prefix + "value", label=_label("value", schema["additionalProperties"]),
                  kind=_kind(schema["additionalProperties"]), value=value, error=errors.get(error_path))]


def parse(schema, form, prefix=""):
    """The data a posted form means, typed by the schema. Empty fields are left out (so a
    required one is reported missing); a number that does not parse stays text, so the
    schema check reports it beside its field."""
    data = {}
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        kind = _kind(sub)
        if kind == "checkbox":
            data[name] = path in form
        elif kind == "group":
            inner = parse(sub, form, path + "/")
            if inner:
                data[name] = inner
        elif kind in ("table", "map"):
            rows = sorted({int(index) for index in (k[len(path) + 1:].split("/", 1)[0] for k in form
                                                    if k.startswith(path + "/")) if _ROW.fullmatch(index)})
            if kind == "table":
                data[name] = [parse(sub["items"], form, f"{path}/{i}/") for i in rows[:MAX_ROWS]]
            else:   # names and values; a row left empty is dropped
                pairs = [(form.get(f"{path}/{i}/key", "").strip(), form.get(f"{path}/{i}/value", "").strip())
                         for i in rows[:MAX_ROWS]]
                # A name the page filled in itself (x-keys-from) and left without a value has nothing to say.
                keep = (lambda k, v: v) if sub.get("x-keys-from") else (lambda k, v: k or v)
                data[name] = {k: _typed(v, sub["additionalProperties"].get("type")) for k, v in pairs if keep(k, v)}
        elif kind == "choices":
            data[name] = form.getlist(path)
        elif kind == "fingerprint":   # what the page showed, as the page computed it
            if form.get(path):
                data[name] = form.get(path)
        elif kind == "lines":
            data[name] = [line.strip() for line in form.get(path, "").splitlines() if line.strip()]
        else:
            raw = form.get(path, "").strip()
            if raw != "":
                data[name] = _typed(raw, sub.get("type"))
    return data


def _typed(raw, kind):
    if kind == "boolean":   # a yes/no choice (named outcomes of a boolean): its radio sends True or False
        return {"true": True, "false": False}.get(raw.lower(), raw)
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            number = float(raw)
            if not math.isfinite(number):   # "nan", "inf", "1e999": no number JSON has; the form says so
                return raw
            return int(number) if number.is_integer() and "." not in raw else number
    except ValueError:
        return raw
    return raw


def change_rows(form, data, action):
    """Apply an ``add:<path>`` or ``remove:<path>/<i>`` button of ``form`` (as build gives it) to
    the data; returns it. :raises Invalid: the page offers no such button."""
    if action not in set(_buttons(form)):
        raise Invalid("the form was sent with a button this page does not have: reload the page and try again",
                      [{"field": "action", "message": f"no button {action[:80]!r} here"}])
    verb, _, path = action.partition(":")
    parts = [p for p in path.split("/") if p]
    if verb == "remove":
        parts, index = parts[:-1], int(parts[-1])
    node = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    rows = node.setdefault(parts[-1], []) if isinstance(node, dict) else node[int(parts[-1])]
    if isinstance(rows, dict):   # a map: rows are its names; the one being added has none yet
        if verb == "add":
            rows.setdefault("", "")
        else:   # by the name the page showed in that row, which may be one the page filled in
            rows.pop(_field(form, "/".join(parts)).children[index][0].value, None)
    elif verb == "add" and len(rows) < MAX_ROWS:
        rows.append({})
    elif verb == "remove":
        rows.pop(index)
    return data


def _field(form, path):
    """The field of a built form at ``path``."""
    for f in form:
        if f.path == path:
            return f
        for inner in ([f.children] if f.kind == "group" else f.children if f.kind == "table" else []):
            found = _field(inner, path)
            if found:
                return found
    return None


def _buttons(form):
    """The row buttons a form's page shows: ``add:<table>``, ``remove:<table>/<row>``."""
    for f in form:
        if f.kind in ("table", "map"):
            yield f"add:{f.path}"
            for index, row in enumerate(f.children):
                yield f"remove:{f.path}/{index}"
                yield from _buttons(row)
        elif f.kind == "group":
            yield from _buttons(f.children)
