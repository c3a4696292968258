"""JSON Schema forms, and the one rule for what may cross into an instance.

Every way data enters an instance (a task's form, a start form, a message, an owner's data
for an incident) is checked here: only what the form declares crosses (an undeclared field
is an error naming it), every text and the whole are bounded, patterns match in linear time
(RE2, so no pattern can freeze the service), e-mail addresses are real addresses, and ``$ref``
resolves inside the form only (an empty registry: nothing is ever fetched).
"""
import functools
import json
from datetime import date, timedelta

import jsonschema
import re2
from email_validator import EmailNotValidError, validate_email
from jsonschema import validators
from referencing import Registry
from referencing.exceptions import Unresolvable

from .. import clock
from ..errors import Invalid
from ..evidence import canonical
from ..limits import MAX_FIELD_NAME, MAX_FORM_DEPTH, MAX_PATTERN, MAX_SUBMISSION, MAX_TEXT
from ..models import User, db
from . import document_checks, responsibilities

FREE = {"type": "object", "additionalProperties": True}   # takes any fields (e.g. into a message variable)

_RE2 = re2.Options()
_RE2.log_errors = False


def email_address(text):
    """``text`` as a normalized e-mail address. :raises ValueError: it is none (a CR or LF in it, say)."""
    if not isinstance(text, str) or len(text) > 254:
        raise ValueError("not an e-mail address")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not an e-mail address: {exc}") from None


@functools.lru_cache(maxsize=1024)
def _regex(pattern):
    """:raises re2.error: the pattern needs backtracking (back-references, look-around)."""
    return re2.compile(pattern, _RE2)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _regex(pattern).search(instance):
        yield jsonschema.ValidationError("this does not have the form asked for")


def _pattern_properties(validator, patterns, instance, schema):
    if validator.is_type(instance, "object"):
        for pattern, subschema in patterns.items():
            for key, value in instance.items():
                if _regex(pattern).search(key):
                    yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _future_date(text):
    """A date after today (a corrective action's due date, say)."""
    return not isinstance(text, str) or date.fromisoformat(text) > clock.now().date()


def _user(name):
    """Someone who has an account: what a task can be handed to."""
    return not isinstance(name, str) or db.session.scalar(db.select(User.id).where(User.name == name)) is not None


def _group(name):
    return not isinstance(name, str) or any(name in (groups or []) for (groups,) in db.session.execute(
        db.select(User.groups)))


def _regex_given(text):
    """A regular expression someone gave as a value: compiled on RE2 as forms' own patterns are,
    never by Python's ``re`` (whose parser a few thousand brackets bring down), and bounded."""
    if isinstance(text, str):
        if len(text) > MAX_PATTERN:
            raise ValueError(f"longer than {MAX_PATTERN} characters")
        _regex(text)
    return True


FORMATS = jsonschema.FormatChecker()
FORMATS.checks("regex", raises=(ValueError, re2.error))(_regex_given)
FORMATS.checks("email", raises=ValueError)(email_address)
FORMATS.checks("idn-email", raises=ValueError)(email_address)
FORMATS.checks("future-date", raises=ValueError)(_future_date)
FORMATS.checks("user")(_user)     # a10flow's own formats: a person or a group picked from the real ones
FORMATS.checks("group")(_group)


def _days_ahead(context):
    """The ``x-days-ahead`` keyword: a date at least so many days from today, a number or the name of
    a variable of the task's data (``"notice_days"``: the notice period a decision table set)."""
    def check(validator, days, instance, schema):
        days = context.get(days) if isinstance(days, str) else days
        if not validator.is_type(instance, "string") or not isinstance(days, int) or isinstance(days, bool):
            return
        try:
            when = date.fromisoformat(instance)
        except ValueError:
            return   # not a date: its format says so
        earliest = clock.now().date() + timedelta(days=days)
        if when < earliest:
            yield jsonschema.ValidationError(f"at least {days} days from today: {earliest.isoformat()} or later")
    return check


def named_choices(schema):
    """A field offering named outcomes, ``oneOf`` of ``{"const", "title"}`` (how a decision is
    written: "approve" titled "Approve: send it to the customers"), as ``[(value, title)]``; else None."""
    one_of = schema.get("oneOf") if isinstance(schema, dict) else None
    if not isinstance(one_of, list) or not one_of or \
            not all(isinstance(c, dict) and "const" in c for c in one_of):
        return None
    return [(c["const"], str(c.get("title", c["const"]))) for c in one_of]


def options(value):
    """The choices a task's data holds for an ``x-options-from`` field, as ``(value, label)``:
    plain values, or SpiffArena's ``{"value": …, "label": …}`` records."""
    found = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and "value" in item:
            found.append((item["value"], str(item.get("label", item["value"]))))
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            found.append((item, str(item)))
    return found


def _options_from(context):
    """The ``x-options-from`` keyword: the value is one of the choices the task's data holds in the
    variable it names (a list a script set before the task, as SpiffArena's forms do)."""
    def check(validator, name, instance, schema):
        allowed = [value for value, _ in options(context.get(name))]
        if instance not in allowed:
            yield jsonschema.ValidationError(f"choose one of {', '.join(map(str, allowed))}" if allowed else
                                             f"there is nothing to choose from yet: the process has not set {name}")
    return check


# Rules a form may ask the server to check before a step completes (``"x-rules": name``), beyond
# what JSON Schema can say; each gives ``(path inside the value, message)`` for what is wrong.
RULES = {"responsibility-matrix": responsibilities.findings}


def _rules(validator, name, instance, schema):
    """The ``x-rules`` keyword: the named rule check, each finding at its place in the data."""
    if validator.is_type(instance, "object") and name in RULES:
        for path, message in RULES[name](instance):
            yield jsonschema.ValidationError(message, path=path)


@functools.cache
def _linear(base):
    return validators.extend(base, {"pattern": _pattern, "patternProperties": _pattern_properties})


def _validator(schema, context):
    cls = validators.extend(_linear(validators.validator_for(schema)), {"x-days-ahead": _days_ahead(context),
                                                                        "x-options-from": _options_from(context),
                                                                        "x-rules": _rules})
    return cls(schema, format_checker=FORMATS, registry=Registry())


def _field_errors(validator, data):
    """One ``{"field", "message"}`` per problem ``validator`` (the form's, see _validator) finds in
    ``data``; empty when it is valid."""
    errors = []
    try:
        found = sorted(validator.iter_errors(data),
                       key=lambda e: (list(map(str, e.absolute_path)), e.validator == "x-rules"))
    except Unresolvable as exc:   # refused at deploy; a form stored before that rule
        return [{"field": None, "message": f"the form refers to something outside it: {exc}"}]
    marked = set()
    for error in found:
        path = [str(p) for p in error.absolute_path]
        if error.validator == "x-rules" and "/".join(path) in marked:
            continue   # the form already said what is wrong there (a missing stage is not also an unknown one)
        if error.validator != "x-rules":
            marked.add("/".join(path))
        if error.validator == "required":
            # jsonschema reports a missing field at its parent; name the field itself.
            missing = error.message.split("'")[1] if "'" in error.message else None
            path.append(missing)
            marked.add("/".join(p for p in path if p))
            errors.append({"field": "/".join(p for p in path if p), "message": "this field is required"})
        else:
            errors.append({"field": "/".join(path) or None, "message": said(error)})
    return errors


_TYPES = {"number": "enter a number", "integer": "enter a whole number", "string": "enter text",
          "boolean": "choose yes or no", "array": "give a list", "object": "fill in its parts"}
_FORMATS = {"email": "enter an e-mail address", "idn-email": "enter an e-mail address",
            "future-date": "enter a date after today", "user": "choose someone who has an account",
            "group": "choose a group people are in",
            "date": "enter a date such as 2026-12-31", "date-time": "enter a date and a time",
            "time": "enter a time such as 14:30", "uri": "enter a web address (https://…)",
            "regex": f"enter a regular expression of at most {MAX_PATTERN:,} characters, without back-references "
                     "or look-around"}
_SAID = {
    "minimum": "must be at least {}", "maximum": "must be at most {}", "exclusiveMinimum": "must be more than {}",
    "exclusiveMaximum": "must be less than {}", "minLength": "enter at least {} characters",
    "maxLength": "enter at most {} characters", "minItems": "give at least {}", "maxItems": "give at most {}",
    "const": "must be {}", "multipleOf": "must be a multiple of {}",
}


def said(error):
    """A validation error as a person reads it: "must be at least 0", not "-5 is less than the minimum of 0"."""
    value = error.validator_value
    if error.validator == "type":
        return _TYPES.get(value if isinstance(value, str) else "", error.message)
    if error.validator == "format":
        return _FORMATS.get(value, error.message)
    if error.validator == "oneOf" and (named := named_choices(error.schema)):
        return "choose one of: " + ", ".join(title for _, title in named)
    if error.validator == "enum":
        return "choose one of: " + ", ".join(map(str, value[:12])) + (", …" if len(value) > 12 else "")
    if error.validator == "uniqueItems":
        return "give each value only once"
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return "this form has no such field"
    if error.validator == "minLength" and value == 1:
        return "this field is required"
    if error.validator == "pattern":   # a regular expression says nothing to a person; the field's description may
        hint = error.schema.get("description") if isinstance(error.schema, dict) else None
        return f"write it as asked: {hint}" if hint else "this does not have the form asked for"
    if error.validator == "minItems" and value == 1:
        return "add at least one"
    if error.validator in _SAID:
        return _SAID[error.validator].format(value)
    return error.message


def errors(schema, data, context=None):
    """Every problem with ``data`` crossing into an instance through ``schema`` (None: a step
    that takes no data), as ``{"field", "message"}``; empty when it may cross."""
    if not isinstance(data, dict):
        return [{"field": None, "message": "must be a JSON object"}]
    problems = _bounds(data)
    if problems and problems[0]["field"] is None:
        return problems
    if schema is None:
        return problems + [{"field": key, "message": "this step has no form, so it takes no data"} for key in data]
    validator = _validator(schema, context or {})   # ``context``: the data the task sees (x-days-ahead reads it)

    def holds(sub, value):
        try:
            return validator.evolve(schema=sub).is_valid(value)
        except Unresolvable:   # refused at deploy; a form stored before that rule declares nothing there
            return False
    problems += _undeclared(schema, data, "", schema, holds)
    return problems or _field_errors(validator, data)


def check(schema, data, context=None):
    """:raises Invalid: unless ``data`` may cross through ``schema`` (see errors), naming each field."""
    if problems := errors(schema, data, context):
        raise Invalid("the form has errors", problems)


def check_bounds(data):
    """:raises Invalid: ``data`` (e.g. a draft, not yet checked against its form) is too large."""
    if problems := _bounds(data):
        raise Invalid("the data is too large", problems)


def _bounds(data):
    size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    if size > MAX_SUBMISSION:
        return [{"field": None, "message": f"the data is {size} bytes; at most {MAX_SUBMISSION} are taken at once"}]
    return list(_oversized(data, ""))


def _oversized(value, path):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        yield {"field": path.rstrip("/") or None, "message": f"longer than {MAX_TEXT} characters"}
    elif isinstance(value, dict):
        for key, item in value.items():
            if len(key) > MAX_FIELD_NAME:
                yield {"field": path + key[:40] + "…", "message": f"a field name longer than {MAX_FIELD_NAME} characters"}
            else:
                yield from _oversized(item, f"{path}{key}/")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _oversized(item, f"{path}{index}/")


def _resolve(schema, root, hops=0):
    """``schema`` with its ``$ref`` (inside the form) followed."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#") or hops > 32:
        return schema
    target = root
    for part in [p.replace("~1", "/").replace("~0", "~") for p in ref[1:].split("/") if p]:
        target = target.get(part) if isinstance(target, dict) else None
    rest = {k: v for k, v in schema.items() if k != "$ref"}
    return {**_resolve(target, root, hops + 1), **rest} if isinstance(target, dict) else rest


_COMBINED = ("allOf", "anyOf", "oneOf")


def _undeclared(schema, value, path, root, holds):
    """A problem for each field of ``value`` that ``schema`` does not declare, at any depth. An
    object schema naming no properties takes any; one that names some takes those alone,
    unless ``additionalProperties`` says otherwise. What ``then`` declares counts only when the
    ``if`` holds for the value (``holds(schema, value)``), what ``else`` declares only when it
    does not; an array with ``prefixItems`` and no ``items`` declares no item past them."""
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        parts = [schema] + [_resolve(s, root) for key in _COMBINED for s in schema.get(key) or []
                            if isinstance(s, dict)]
        for part in list(parts):   # the schema's own if/then/else, and those of its allOf, anyOf, oneOf
            if isinstance(part.get("if"), (dict, bool)):
                branch = part.get("then" if holds(part["if"], value) else "else")
                parts += [_resolve(branch, root)] if isinstance(branch, dict) else []
        declared, patterns = {}, []
        for part in parts:
            if isinstance(part, dict):
                declared.update(part.get("properties") or {})
                patterns += list((part.get("patternProperties") or {}).items())
        extra = schema.get("additionalProperties")
        takes_any = extra not in (None, False) or (extra is None and not declared and not patterns)
        for key, item in value.items():
            sub = declared.get(key, next((s for p, s in patterns if _regex(p).search(key)), None))
            if sub is None and not takes_any:
                yield {"field": path + key, "message": "this form has no such field"}
            elif sub is not None or isinstance(extra, dict):
                yield from _undeclared(sub if sub is not None else extra, item, f"{path}{key}/", root, holds)
    elif isinstance(value, list):
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        for index, item in enumerate(value):
            sub = prefix[index] if index < len(prefix) else schema.get("items")
            if sub is None and prefix:
                yield {"field": f"{path}{index}", "message": f"this form takes {len(prefix)} items here, no more"}
            elif isinstance(sub, dict):
                yield from _undeclared(sub, item, f"{path}{index}/", root, holds)


def nesting(value, limit):
    """How deeply ``value`` nests (lists and objects), counting no further than just past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


_SUBSCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
              "unevaluatedItems", "unevaluatedProperties", "additionalItems")
_SUBSCHEMAS_BY_NAME = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _subschemas(schema, path="(root)"):
    """``(path, schema)`` for ``schema`` and every schema inside it (not its data: enum, default…)."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for key, value in schema.items():
        if key in _SUBSCHEMA:
            yield from _subschemas(value, f"{path}/{key}")
        elif key in _SUBSCHEMAS_BY_NAME and isinstance(value, dict):
            for name, sub in value.items():
                yield from _subschemas(sub, f"{path}/{key}/{name}")
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            for index, sub in enumerate(value):
                yield from _subschemas(sub, f"{path}/{key}/{index}")


def deploy_problems(schema):
    """Why a form may not be deployed (each naming where in it), beyond being a valid JSON Schema:
    too deep, a ``$ref`` leaving it, a pattern RE2 cannot match in linear time."""
    if nesting(schema, MAX_FORM_DEPTH) > MAX_FORM_DEPTH:
        return [f"the form nests more than {MAX_FORM_DEPTH} levels deep"]
    problems = []
    for where, sub in _subschemas(schema):
        ref = sub.get("$ref")
        if ref is not None and (not isinstance(ref, str) or not ref.startswith("#")):
            problems.append(f"$ref {ref!r} at {where} leaves the form: only references inside it (#/…) are "
                            "allowed, nothing is fetched")
        elif ref is not None and _resolve({"$ref": ref}, schema) == {}:
            problems.append(f"$ref {ref!r} at {where} names nothing in the form")
        if "x-rules" in sub and sub["x-rules"] not in RULES:
            problems.append(f"x-rules {sub['x-rules']!r} at {where} is no rule a10flow knows: use one of "
                            f"{', '.join(RULES)}")
        patterns = [sub["pattern"]] if isinstance(sub.get("pattern"), str) else []
        patterns += list(sub["patternProperties"]) if isinstance(sub.get("patternProperties"), dict) else []
        for pattern in patterns:
            try:
                _regex(pattern)
            except re2.error:
                problems.append(f"pattern {pattern!r} at {where} cannot be matched in linear time: write it "
                                "without back-references and look-around")
        if sub.get("x-completed-by") is not None and (sub.get("x-completed-by") is not True
                                                      or sub.get("type") != "string"):
            problems.append(f"\"x-completed-by\" at {where} must be true, on a field of type string: the person's "
                            "name is filled in there")
    problems += document_checks.deploy_problems(schema)
    return problems + [f"\"x-pii\" at {where} would not be kept out of the evidence: mark fields under "
                       "\"properties\" and \"items\" only" for where in _misplaced_pii(schema)]


def _misplaced_pii(node, followed=True, path="(root)"):
    """Where a form marks a field ``x-pii`` that a10flow.evidence.personal.split does not reach (under
    $ref, allOf, oneOf, additionalProperties, …): its value would enter a hashed record."""
    found = []
    if isinstance(node, dict):
        if node.get("x-pii") is True and not followed:
            found.append(path)
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    found += _misplaced_pii(sub, followed, f"{path}/properties/{name}")
            elif key == "items" and isinstance(value, dict):
                found += _misplaced_pii(value, followed, f"{path}/items")
            elif isinstance(value, (dict, list)):
                found += _misplaced_pii(value, False, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _misplaced_pii(value, False, f"{path}/{i}")
    return found


def fingerprint(schema):
    """The SHA-256 of a form's canonical JSON: which version of the form was used."""
    return canonical.sha256(schema)


def for_task(task):
    """The JSON Schema of a human task's form, or None (a task without a form takes no data)."""
    return _named(task.instance.version, task.form)


def for_start(version):
    """The JSON Schema of the version's start form, or None (it starts without data)."""
    return _named(version, ((version.inputs or {}).get("start") or {}).get("form"))


def for_message(version, element_id):
    """The JSON Schema of the form of the element catching a message, or None."""
    return _named(version, ((version.inputs or {}).get("messages") or {}).get(element_id))


def _named(version, name):
    return (version.forms or {}).get(name) if name else None


def stamp(schema, data, who):
    """``data`` with each field its form marks ``"x-completed-by": true`` set to ``who``, the person
    completing the task, whatever was sent for it: the record then names the person, not a group.
    Fields of nested objects are filled where the object was given."""
    if not isinstance(schema, dict) or not isinstance(data, dict):
        return data
    filled = dict(data)
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        if sub.get("x-completed-by") is True:
            filled[name] = who
        elif isinstance(filled.get(name), dict):
            filled[name] = stamp(sub, filled[name], who)
    return filled
