"""JSON Schema forms as HTML fields, and posted fields back as data. Pure functions.

Each field's HTML name is its path in the data, ``/``-separated (``approval/conditions/0/due``),
the same path the server's field errors name, so an error lands beside its field.
Arrays of objects are tables whose rows are added and removed by submit buttons
(``add:<path>``, ``remove:<path>/<i>``): the pages work without JavaScript. An object holding one
value per name the form lists elsewhere (``x-keys-from``: a share per party) is a field per name,
columns of its table: a grid, such as the A.10.2 matrix.
"""
import math
import re
from dataclasses import dataclass, field
from datetime import timedelta

from .. import clock
from ..errors import Invalid
from ..evidence import canonical
from ..limits import MAX_TABLE_ROWS
from ..work import document_checks, forms

RADIO_MAX = 4   # enums with up to this many choices are radios, longer ones a select
_ROW = re.compile(r"[0-9]{1,4}")   # a row's number in a field name; not "²", which isdigit() lets by


@dataclass
class Field:
    path: str
    label: str
    kind: str                 # text, email, date, datetime, number, integer, checkbox, radio, select,
    #                           textarea, choices (array of enum), lines (array of text), group, table,
    #                           map (names and values), keyed (a value per name listed elsewhere), file,
    #                           files (documents: their ids once given, a10flow.work.documents)
    required: bool = False
    help: str | None = None
    value: object = None
    choices: list = field(default_factory=list)
    children: list = field(default_factory=list)   # group: its fields; table: one list of fields per row
    columns: list = field(default_factory=list)    # table: its Columns
    error: str | None = None
    earliest: str | None = None   # date: the first day it may be (the page's date picker starts there)
    limit: int | None = None      # text: the most characters it takes
    at: str | None = None         # where in the data it is, when not its HTML name (a party's share: by name)
    name_from: str | None = None  # the field whose value names this one (the page follows it as it is typed)
    unnamed: str | None = None    # what it is called while that field is empty ("Party 3")
    titles: dict = field(default_factory=dict)   # radio, select: what each choice is called, if not its value
    dates: dict = field(default_factory=dict)    # file(s): the dates given with each file, by word (x-dates)


@dataclass
class Column:
    """A table's column: its title, the hint for every cell of it, the field that names it (a party)."""
    label: str
    help: str | None = None
    name_from: str | None = None
    unnamed: str | None = None


def _label(name, schema):
    return schema.get("title") or name.replace("_", " ").capitalize()


def _kind(schema):
    kind = schema.get("type")
    if schema.get("x-fingerprint-of"):
        return "fingerprint"
    if document_checks.is_file(schema) or (kind == "array" and document_checks.is_file(schema.get("items"))):
        return "file" if kind == "string" else "files"
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
        if schema.get("properties") or not isinstance(schema.get("additionalProperties"), dict):
            return "group"
        return "keyed" if isinstance(schema.get("x-keys-from"), str) else "map"
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
    return "textarea" if _long(schema) else "text"


def _long(schema):
    """A text to write in a box, not on a line: declared so (``x-multiline``, as Camunda's textarea
    becomes), or allowed to be long."""
    return schema.get("x-multiline") is True or (schema.get("maxLength") or 0) > 200


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
    for e in errors:   # two problems in one place (a matrix row) are both told there
        field_path = e.get("field") or ""
        by_path[field_path] = f"{by_path[field_path]}; {e['message']}" if field_path in by_path else e["message"]
    return _object_fields(schema, data or {}, prefix, _Scope(by_path, context or {}, choices or {}, data or {}))


def _object_fields(schema, data, prefix, scope):
    required = set(schema.get("required") or [])
    fields = []
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict) or sub.get("x-completed-by"):   # the server fills it in: nothing to ask
            continue
        if sub.get("x-fingerprint-of") and scope.context.get(sub["x-fingerprint-of"]) is None:
            continue   # nothing shown to answer for (a matrix without its PDF): not asked, not sent
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
        elif f.kind in ("file", "files"):   # the browser offers these types; the server reads the real one
            spec = sub if f.kind == "file" else sub["items"]
            f.choices, f.limit = document_checks.accepted(spec), spec.get("x-max-bytes")
            f.dates = {word: document_checks.DATES[word] for word in document_checks.dates_of(spec)}
            # What was kept (a redraft starts from the last answer): the documents, named by their ids.
            kept = f.value if isinstance(f.value, list) else [f.value] if f.value else []
            kept = [v["document"] if isinstance(v, dict) and "document" in v else v for v in kept]
            f.value = (kept if f.kind == "files" else kept[-1]) if kept else None
            said = " or ".join(document_checks.KNOWN.get(k, k) for k in f.choices)
            f.help = "; ".join(filter(None, [f.help, said[:1].upper() + said[1:],
                                             f"at most {f.limit:,} bytes" if f.limit else None]))
        elif f.kind == "group":
            f.children = _object_fields(sub, value or {}, path + "/", scope)
        elif f.kind == "table":
            f.columns = _columns(sub["items"], scope)
            # A column per name says what goes in its cells once, under the table (its header is a name).
            keyed = [s.get("description") for s in (sub["items"].get("properties") or {}).values()
                     if isinstance(s, dict) and _kind(s) == "keyed"]
            f.help = "; ".join(filter(None, [f.help, *keyed])) or None
            f.children = [_object_fields(sub["items"], row or {}, f"{path}/{i}/", scope)
                          for i, row in enumerate(value if isinstance(value, list) else [])]
        elif f.kind == "keyed":
            f.children = _keyed(sub, value, path, scope)
        elif f.kind == "map":
            f.columns = [Column(sub.get("x-key-title") or "Name"), Column(_label("value", sub["additionalProperties"]))]
            f.children = [_map_row(sub, key, item, scope.errors, f"{path}/{i}/", f"{path}/{key}")
                          for i, (key, item) in enumerate((value if isinstance(value, dict) else {}).items())]
        if f.kind == "date":
            f.earliest = _earliest(sub, scope.context)
            if f.earliest:
                f.help = f"{f.help}; {f.earliest} or later" if f.help else f"{f.earliest} or later"
        if f.kind in ("text", "textarea"):
            f.limit = min(sub.get("maxLength") or forms.MAX_TEXT, forms.MAX_TEXT)
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


def _columns(items, scope):
    """A table's columns: a field's title, its description as the hint; a keyed field a column per name."""
    columns = []
    for name, sub in (items.get("properties") or {}).items():
        if isinstance(sub, dict) and _kind(sub) == "keyed":
            columns += [Column(f.label, name_from=f.name_from, unnamed=f.unnamed) for f in _keyed(sub, {}, "", scope)]
        elif isinstance(sub, dict):
            columns.append(Column(_label(name, sub), sub.get("description")))
    return columns


def _named_rows(data, source):
    """``(row number, name)`` for each row of the table ``source`` points into (``"a/b/*/name"``):
    every row, named yet or not (its column is there before its name is)."""
    table, _, key = source.partition("/*/")
    node = data
    for part in table.split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    rows = node if isinstance(node, list) else []
    return [(i, (row.get(key) if isinstance(row, dict) and isinstance(row.get(key), str) else "").strip())
            for i, row in enumerate(rows[:MAX_TABLE_ROWS])]


def _keyed(schema, given, path, scope):
    """A keyed object's fields: one per name its ``x-keys-from`` lists, in that order. Each is posted
    under the row number of its name (``…/assignments/1``), so renaming a party keeps its shares."""
    given = given if isinstance(given, dict) else {}
    value = schema["additionalProperties"]
    source, noun = schema["x-keys-from"], schema.get("x-key-title") or "Name"
    fields = []
    for i, name in _named_rows(scope.root, source):
        f = Field(path=f"{path}/{i}", label=name or f"{noun} {i + 1}", kind=_kind(value), value=given.get(name),
                  at=f"{path}/{name}", name_from=source.replace("*", str(i), 1), unnamed=f"{noun} {i + 1}",
                  error=scope.errors.get(f"{path}/{name}"))
        if f.kind in ("radio", "select") and "enum" in value:
            f.kind, f.choices = "select", list(value["enum"])   # a cell of a grid: compact
        fields.append(f)
    return fields


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
        elif kind == "keyed":   # each value under its name's row number; the names are posted beside it
            source, cells = sub["x-keys-from"], _numbers(form, path)
            values = {form.get(source.replace("*", str(i), 1), "").strip(): form.get(f"{path}/{i}", "").strip()
                      for i in cells[:MAX_TABLE_ROWS]}
            data[name] = {k: _typed(v, sub["additionalProperties"].get("type")) for k, v in values.items() if v}
        elif kind in ("table", "map"):
            rows = _numbers(form, path)
            if kind == "table":
                data[name] = [parse(sub["items"], form, f"{path}/{i}/") for i in rows[:MAX_TABLE_ROWS]]
            else:   # names and values; a row left empty is dropped
                pairs = [(form.get(f"{path}/{i}/key", "").strip(), form.get(f"{path}/{i}/value", "").strip())
                         for i in rows[:MAX_TABLE_ROWS]]
                data[name] = {k: _typed(v, sub["additionalProperties"].get("type")) for k, v in pairs if k or v}
        elif kind == "choices":
            data[name] = form.getlist(path)
        elif kind in ("file", "files"):   # the ids of documents given before (the files: see a10flow.web.work)
            given = [i for i in form.getlist(path) if i]
            if given:
                data[name] = given if kind == "files" else given[-1]
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


def _numbers(form, path):
    """The row numbers posted under ``path`` (``path/0/…``, ``path/3``), in order."""
    return sorted({int(index) for index in (k[len(path) + 1:].split("/", 1)[0] for k in form
                                            if k.startswith(path + "/")) if _ROW.fullmatch(index)})


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
    elif verb == "add" and len(rows) < MAX_TABLE_ROWS:
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


def takes_files(form):
    """Whether a built form has a file field anywhere (its page then posts multipart/form-data)."""
    for f in form:
        if f.kind in ("file", "files"):
            return True
        if f.kind == "group" and takes_files(f.children):
            return True
        if f.kind == "table" and any(takes_files(row) for row in f.children):
            return True
    return False


def labelled(form, errors):
    """``(what the field is called, message)`` for each of ``errors``, a table's cell as "Certificate,
    row 1": to tell at the top of a page which fields to correct, in words."""
    names = dict(_labels(form))
    return [(names.get(e.get("field"), e.get("field") or "The form"), e["message"]) for e in errors]


def _labels(form, row=None):
    for f in form:
        yield f.at or f.path, f"{f.label}, row {row}" if row else f.label
        if f.kind == "group":
            yield from _labels(f.children, row)
        elif f.kind == "table":
            for index, cells in enumerate(f.children):
                yield from _labels(cells, index + 1)
