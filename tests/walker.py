"""A walker that takes an instance through its process by its forms alone, as a tireless and
literal-minded person would: each open task is done by the first person who may do it (an
outside party's through a link), with data made from the task's form. It fills only what
the form requires, or every field; each choice (an enum, a named outcome, yes or no) is made by
a ``pick`` function, so that walks with different picks go down different branches. A file
field gets a real PDF (or text), given by whoever does the task, with the dates the field asks for."""
from datetime import timedelta, timezone

import re2
from helpers import File, NotGiven, given, pdf

from a10flow import clock
from a10flow.evidence import canonical
from a10flow.work import document_checks, forms

SAMPLES = {"email": "anna@acme.example", "idn-email": "anna@acme.example", "user": "olivia", "group": "procurement",
           "uri": "https://example.org/doc", "regex": "^ISO[0-9]+$"}
# What a pattern may want, tried in turn: a literal-minded person writes the simplest thing that fits.
PATTERN_TRIES = ("Sample text", "https://example.org/doc", "ACME-1", "A", "1", "x",
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")   # a SHA-256


def _resolve(schema, root):
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        target = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema if isinstance(schema, dict) else {}


def _holds(schema, value):
    """Whether ``value`` meets the simple conditions forms put in an ``if`` (const, enum, required)."""
    if not isinstance(value, dict):
        return False
    if any(name not in value for name in schema.get("required", [])):
        return False
    for name, sub in (schema.get("properties") or {}).items():
        if name in value and (("const" in sub and value[name] != sub["const"]) or
                              ("enum" in sub and value[name] not in sub["enum"])):
            return False
    return True


def _file(schema):
    """A real file for a file field, with the dates it asks for."""
    kinds, today = document_checks.accepted(schema), clock.now().date()
    dates = {word: (today + timedelta(days=0 if word == "effective" else 400)).isoformat()
             for word in document_checks.dates_of(schema)}
    if "application/pdf" in kinds:
        return File(pdf("A walker's document"), "walker.pdf", **dates)
    return File(b"A walker's document", "walker.txt", **dates)


def _given_by(speaker, url, data):
    """``data`` with its files given by ``speaker``, or None: the task is not theirs to give files for."""
    try:
        return given(speaker, url, data)
    except NotGiven as refused:
        assert refused.answer.status_code in (403, 404, 409), refused.answer.json
        return None


class Filler:
    """Data for a form. ``every``: fill every field, not only the required ones; ``pick(path,
    options)``: the index of the option to take; ``context``: the data the task sees (for fields
    filled from it: fingerprints, options, days ahead); ``given``: values to use for fields by
    name, where a form's rules span fields (a responsibility matrix)."""

    def __init__(self, root, every, pick, context=None, given=None):
        self.root, self.every, self.pick = root, every, pick
        self.context, self.given = context or {}, given or {}

    def value(self, schema, path=""):
        schema = _resolve(schema, self.root)
        name = path.rsplit("/", 1)[-1]
        if name in self.given:
            return self.given[name]
        if "const" in schema:
            return schema["const"]
        if document_checks.is_file(schema):
            return _file(schema)
        choices = schema.get("enum") or [s["const"] for s in schema.get("oneOf") or schema.get("anyOf") or []
                                         if isinstance(s, dict) and "const" in s]
        if choices:
            return choices[self.pick(path, len(choices)) % len(choices)]
        kind = schema.get("type")
        kind = kind[0] if isinstance(kind, list) else kind
        if kind == "object" or "properties" in schema:
            return self._object(schema, path)
        if kind == "array":
            count = max(schema.get("minItems", 0), 1 if self.every else 0)
            return [self.value(schema.get("items") or {}, f"{path}/{i}") for i in range(count)]
        if kind == "boolean":
            return self.pick(path, 2) == 0
        if kind in ("integer", "number"):
            return max(schema.get("minimum", 1), 1)
        return self._text(schema, path)

    def _object(self, schema, path):
        result = {}
        parts = [schema] + [_resolve(s, self.root) for s in schema.get("allOf") or []]
        for part in parts:
            for name in part.get("properties") or {}:
                if name not in result and (self.every or name in part.get("required", [])
                                           or name in schema.get("required", [])):
                    merged = {k: v for p in parts for k, v in _resolve((p.get("properties") or {}).get(name, {}),
                                                                       self.root).items()}
                    result[name] = self.value(merged, f"{path}/{name}")
        for part in parts:   # what an "if" asks for once the fields above are chosen
            if isinstance(part.get("if"), dict):
                branch = _resolve(part.get("then" if _holds(part["if"], result) else "else") or {}, self.root)
                for name in branch.get("required", []):
                    merged = {k: v for p in parts for k, v in _resolve((p.get("properties") or {}).get(name, {}),
                                                                       self.root).items()}
                    merged.update(_resolve((branch.get("properties") or {}).get(name, {}), self.root))
                    result[name] = self.value(merged, f"{path}/{name}")
        return result

    def _text(self, schema, path):
        if schema.get("x-fingerprint-of"):
            return canonical.sha256(self.context.get(schema["x-fingerprint-of"]))
        if schema.get("x-options-from"):
            options = forms.options(self.context.get(schema["x-options-from"]))
            return options[self.pick(path, len(options)) % len(options)][0] if options else ""
        fmt = schema.get("format")
        if fmt in SAMPLES:
            return SAMPLES[fmt]
        if fmt in ("date", "future-date"):
            return (clock.now().date() + timedelta(days=400)).isoformat()
        if fmt == "date-time":
            return clock.now().astimezone(timezone.utc).isoformat()
        if fmt == "time":
            return "09:00:00"
        text = "Sample text" if schema.get("maxLength", 100) >= 11 else "x"
        if schema.get("pattern"):
            fits = [t for t in PATTERN_TRIES if re2.search(schema["pattern"], t)]
            assert fits, f"the walker has nothing that fits {path}'s pattern {schema['pattern']!r}"
            text = fits[0]
        return text.ljust(schema.get("minLength", 0), "x")


def _done_by_someone(people, task, data):
    """Complete ``task`` as the first person who may: returns who, or None."""
    for name in people.order:
        sent = _given_by(people[name], f"/api/v1/tasks/{task['id']}/documents", data)
        if sent is None:
            continue
        answer = people[name].post(f"/api/v1/tasks/{task['id']}/complete", json={"data": sent})
        if answer.status_code == 200:
            return name
        assert answer.status_code in (403, 404, 409), (task["name"], name, answer.status_code, answer.json)
        if answer.status_code == 422:
            raise AssertionError(f"{task['name']}: the walker's data was refused: {answer.json}")
    return None


def _done_by_link(people, task, data):
    for name in people.order:
        made = people[name].post(f"/api/v1/tasks/{task['id']}/links", json={"party": "anna@acme.example"})
        if made.status_code == 201:
            answer = people[None].post(made.json["path"], json={"data": given(people[None], made.json["path"] + "/documents",
                                                                              data)})
            assert answer.status_code == 200, (task["name"], answer.json)
            return f"link from {name}"
    return None


def walk(people, instance_id, every, pick, given=None, rounds=40):
    """Do the instance's open tasks, round after round, until none is left; returns the instance
    and what was done (element, by whom). Each element's first visit takes ``pick``'s choices; a
    later visit (sent back) takes the first option of each, so that no walk goes round for ever."""
    done, visits = [], {}
    for _ in range(rounds):
        instance = people.owner.get(f"/api/v1/instances/{instance_id}").json
        if not instance["open_tasks"]:
            return instance, done
        task = instance["open_tasks"][0]
        detail = people.owner.get(f"/api/v1/tasks/{task['id']}").json
        schema = (detail.get("form") or {}).get("schema")
        visits[task["element_id"]] = visits.get(task["element_id"], 0) + 1
        chooser = pick if visits[task["element_id"]] == 1 else (lambda path, n: 0)
        data = Filler(schema, every, chooser, instance["data"], given).value(schema) if schema else {}
        who = _done_by_someone(people, task, data) or _done_by_link(people, task, data)
        assert who, f"nobody may do {task['name']}"
        done.append((task["element_id"], who))
    raise AssertionError(f"still open after {rounds} tasks: {[t['name'] for t in instance['open_tasks']]}")


def start_data(people, process, every, pick, given=None):
    """Data for ``process``'s start form, filled as walk fills a task's."""
    start = people.owner.get(f"/api/v1/definitions/{process}").json.get("start_form") or {}
    schema = start.get("schema")
    return Filler(schema, every, pick, {}, given).value(schema) if schema else {}

