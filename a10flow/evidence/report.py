"""The pack's report: what an auditor reads first, on screen, on paper (``report.html``) or filed
(``report.pdf``). Per control its coverage; for each instance the diagram of the version it ran
with the path it took, every record in words under the labels of the forms that collected it, and
what is still open.
"""
import hashlib
import re
from datetime import datetime

import weasyprint
from flask import render_template

from .. import clock
from ..models import EvidenceType as T
from ..processes import instances
from ..work import case, links
from . import diagram
from .canonical import canonical
from .scope import by_framework, in_period, is_late

CONCEALED = "personal data, concealed (its salted hash is in the record)"
WHAT = {T.INSTANCE_STARTED: "Started the instance", T.INSTANCE_COMPLETED: "The instance completed",
        T.INSTANCE_CANCELLED: "Cancelled the instance", T.INSTANCE_FAILED: "A step failed",
        T.INSTANCE_MIGRATED: "Moved the instance to another version", T.INCIDENT_RETRIED: "Retried the failed step",
        T.INCIDENT_RESOLVED: "Resolved the incident", T.TASK_CLAIMED: "Claimed the task",
        T.TASK_UNCLAIMED: "Gave the task back", T.TASK_COMPLETED: "Completed the task",
        T.GATEWAY_PATH_TAKEN: "Took a path", T.DECISION_EVALUATED: "Decided by a decision table",
        T.SCRIPT_RUN: "Ran a script", T.SERVICE_RUN: "Ran a service step", T.TIMER_FIRED: "A timer fired",
        T.TASK_REASSIGNED: "Reassigned the task", T.LINK_ISSUED: "Sent the task to an outside party",
        T.LINK_REVOKED: "Revoked an outside party's link", T.MESSAGE_RECEIVED: "A message was received",
        T.PERSONAL_DATA_ERASED: "Erased personal data", T.DATA_STORE_READ: "Read a data store",
        T.DATA_STORE_WRITTEN: "Wrote to a data store"}
SERVICES = {"notify": "Sent a notice", "escalate": "Escalated a task", "record": "Recorded in a register"}
_SHOWN_ELSEWHERE = {"task_id", "for", "on_behalf_of", "recorded_for_party"}
_TABLE = {"name": "Name", "id": "Table", "decision": "Decision", "version": "Version deployed", "file": "DMN file",
          "sha256": "SHA-256 of the DMN file", "hit_policy": "Hit policy"}
_STORE = {"store": {"title": "Data store"}, "kind": {"title": "Kind (json: one document; kkv: keyed values)"},
          "revision": {"title": "Revision"}, "sha256": {"title": "SHA-256 of what it read"},
          "document": {"title": "The document written"},
          "changes": {"title": "Entries written (one shown as – is deleted)"}}
_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$")


def render(scope, by_control, chains, rows, tasks_of, key_id, uncovered, soa, chosen, verifier_sha256, redacted=0,
           held=None, documents=()):
    """The report as HTML text: each instance once, in ``chosen``'s order, and each control's
    coverage with its instances. ``by_control``: ``{control: [instances]}``; ``rows``: coverage.
    What is open is as of the period's end (or now); ``redacted``: records outside the period;
    ``held``: who held which role when (a10flow.evidence.access.held), when the pack holds the access record;
    ``documents``: what the pack holds of the documents its records name (a10flow.evidence.pack_documents)."""
    now = min(clock.now(), scope.end) if scope.end else clock.now()
    names = {}
    for instance in chosen:
        if instance.version.id not in names:
            names[instance.version.id] = diagram.element_names(instance.version.xml)
    described = [_instance(i, chains[i.id], tasks_of.get(i.id, []), names[i.version.id], scope, now) for i in chosen]
    sections = [{"coverage": row, "framework": row["framework"], "instances": by_control.get(row["control"], [])}
                for row in rows]
    return render_template("evidence_report.html", whole=True, scope=scope, made_at=now, sections=sections,
                           described=described, without=[i for i in chosen if not i.controls],
                           groups=by_framework(sections), uncovered=uncovered, soa=soa, total=len(chosen),
                           key_id=key_id, verifier_sha256=verifier_sha256, colours=diagram.COLOURS,
                           redacted=redacted, as_of=_moment(now), held=held,
                           documents=[_document(d) for d in documents])


def _instance(instance, chain, tasks, names, scope, now):
    version = instance.version
    chosen = {}
    for r in chain:
        if r["type"] == T.GATEWAY_PATH_TAKEN:
            chosen.setdefault(r["element"]["id"], set()).update(f["id"] for f in r["data"].get("flows") or [])
    drawn = diagram.svg(version.xml, instances.progress(instance), chosen,
                        title=f"{version.name}, version {version.version}: the path instance {instance.id} took",
                        key=f"instance-{instance.id}")
    return {"instance": instance, "diagram": drawn, "open_items": _open_items(tasks, now),
            "timeline": [_entry(r, version, names) for r in chain if in_period(r, scope)]}


def _open_items(tasks, now):
    """The tasks open at ``now`` (the period's end), overdue first; a task with an outside party says
    whether they had answered."""
    items = []
    for t in tasks:
        if t.created_at > now or any(ended and ended <= now for ended in (t.completed_at, t.cancelled_at)):
            continue
        sent = [link for link in links.of_task(t.id) if link.created_at <= now]
        waiting = None
        if sent:
            last = sent[0]
            opened = last.opened_at if last.opened_at and last.opened_at <= now else None
            waiting = f"link sent {_moment(last.created_at)}, " + (
                f"opened {_moment(opened)}, not yet answered" if opened else "not yet opened")
        elif t.outside_party:
            waiting = "for an outside party; no link sent yet"
        items.append({"name": t.name, "with": t.assignee or ", ".join(c.name for c in t.candidates) or None,
                      "due_at": t.due_at and _moment(t.due_at), "overdue": is_late(t, now), "waiting": waiting})
    return sorted(items, key=lambda i: (not i["overdue"], i["name"]))


def _entry(record, version, names):
    data, kind = record["data"], record["type"]
    actor = record["actor"]
    who = actor.get("name") or actor.get("id")
    for_whom = (data.get("on_behalf_of") or data.get("for") or {}).get("name")
    for_whom = None if for_whom == who else for_whom   # one's own link speaks for oneself
    if data.get("recorded_for_party"):
        for_whom = "the outside party, whose answer they recorded"
    details = {T.INSTANCE_STARTED: lambda: _labelled(data.get("data") or {}, case.fields_of(version)),
               T.TASK_COMPLETED: lambda: _submitted(data, version),
               T.MESSAGE_RECEIVED: lambda: _submitted(data, version),
               T.DECISION_EVALUATED: lambda: _decision(data, version),
               T.GATEWAY_PATH_TAKEN: lambda: _paths(data, names),
               T.SCRIPT_RUN: lambda: _changes(data.get("changes"), version),
               T.SERVICE_RUN: lambda: [case.item("what it was given", _shown(data.get("params")))]
                                      + _changes(data.get("changes"), version),
               T.DATA_STORE_READ: lambda: _labelled(data, _STORE),
               T.DATA_STORE_WRITTEN: lambda: _labelled(_written(data), _STORE),
               }.get(kind, lambda: _labelled(data, {}))()
    return {"at": _moment(record["at"]), "seq": record["seq"], "who": who, "for": for_whom,
            "what": SERVICES.get(data.get("operator"), WHAT[kind]) if kind == T.SERVICE_RUN else WHAT.get(kind, kind),
            "type": kind,
            "where": record["element"].get("name") or record["element"].get("id") or "",
            "details": [_unnested(i) for i in details]}


def _document(entry):
    """A document of the pack as the report lists it: times as people read them, sizes in bytes."""
    return dict(entry, given_at=_moment(entry["given_at"]), size=f"{entry['size']:,} bytes"
                if isinstance(entry.get("size"), int) else entry.get("size"),
                name=entry["name"] if entry["name"] is not None else CONCEALED)


SHOWN_WRITE = 2_000   # bytes of a store's document or changes the report shows; the rest is in records.jsonl


def _written(data):
    """A data store write as the report shows it: a document too long to read on paper by its
    size and hash, the whole of it being in records.jsonl (what a person gave is never cut)."""
    shown = dict(data)
    for name in ("document", "changes"):
        if name in shown and len(text := canonical(shown[name])) > SHOWN_WRITE:
            shown[name] = (f"{len(text):,} bytes as canonical JSON, SHA-256 {hashlib.sha256(text).hexdigest()}: "
                           f"in records.jsonl")
    return shown


def _unnested(item, in_table=False):
    """``item`` with each table inside a table cell turned into a list of its rows, each row its
    columns' labelled values: nested tables squeeze to nothing on a printed page."""
    if item.kind == "table" and in_table:
        return case.Item(item.label, kind="values", values=[
            case.Item("", kind="parts", parts=[_relabelled(_unnested(cell, True), column)
                                               for column, cell in zip(item.columns, row)]) for row in item.rows])
    inner = in_table or item.kind == "table"
    item.parts = [_unnested(p, inner) for p in item.parts]
    item.values = [_unnested(v, inner) for v in item.values]
    item.rows = [[_unnested(cell, inner) for cell in row] for row in item.rows]
    return item


def _relabelled(item, label):
    item.label = label
    return item


def _labelled(values, declared):
    """``values`` under their labels in ``declared`` (a form's properties), in the form's order; the
    task's id and the person acted for, shown elsewhere in the row, left out."""
    return [case.item(k, _shown(values[k]), declared.get(k)) for k in case.ordered(values, declared)
            if values[k] is not None and k not in _SHOWN_ELSEWHERE]


def _submitted(data, version):
    """What a person gave, under the labels of the form they were shown."""
    form = (version.forms or {}).get((data.get("form") or {}).get("name")) or {}
    given = data.get("submitted") if "submitted" in data else data.get("payload") or {}
    items = _labelled(given or {}, form.get("properties") or {})
    if data.get("message"):
        items.insert(0, case.item("message", data["message"]))
    if "party" in data:
        items.append(case.Item("Outside party", value=_shown(data["party"]) or "not known"))
    if data.get("instructions"):
        items.append(case.Item("No form: confirmed done as asked", value=data["instructions"]))
    if not items:
        items = [case.Item("Submitted", value="nothing: the task has no form, or its form was left empty")]
    return items


def _decision(data, version):
    """Which table, on which facts, under which rule, with what result."""
    table = data.get("table") or {}
    items = [case.Item("Decision table", kind="parts", parts=[case.Item(label, value=table[k])
                                                              for k, label in _TABLE.items() if table.get(k) is not None])]
    items.append(case.item("facts it read", _shown(data.get("inputs") or {})))
    rules = [{"row": r.get("row"), "rule": r.get("id"), "annotation": r.get("annotation") or "–"}
             for r in data.get("rules") or []]
    items.append(case.item("rules that matched", rules) if rules else case.Item("Rules that matched", value="none"))
    if "outputs" in data:
        declared = case.fields_of(version)
        items.append(case.Item("Result", kind="parts", parts=[
            case.item(k, _shown(v), declared.get(k)) for k, v in data["outputs"].items()]))
    return items + _changes(data.get("changes"), version)


def _paths(data, names):
    return [case.item("flows taken", [{"flow": f.get("name") or f.get("id"), "leads to": names.get(f.get("to"),
                                       f.get("to"))} for f in data.get("flows") or []])]


def _changes(changes, version, label="data changed"):
    """``changes`` (added, changed, removed) as one table: each name, before and after."""
    if not changes:
        return []
    declared = case.fields_of(version)
    rows = [{"data": case.label(k, declared.get(k)), "before": "–", "after": _shown(v)}
            for k, v in (changes.get("added") or {}).items()]
    rows += [{"data": case.label(k, declared.get(k)), "before": _shown(v.get("from")), "after": _shown(v.get("to"))}
             for k, v in (changes.get("changed") or {}).items()]
    rows += [{"data": case.label(k, declared.get(k)), "before": "(removed)", "after": "–"}
             for k in changes.get("removed") or []]
    return [case.item(label, rows)] if rows else [case.Item(label.capitalize(), value="nothing")]


def _shown(value):
    """``value`` as it reads in the report: concealed personal values said so, moments in UTC."""
    if isinstance(value, dict):
        if set(value) == {"pii_sha256"}:
            return CONCEALED
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    if isinstance(value, str) and _MOMENT.match(value):
        return _moment(value)
    return value


def pdf(html):
    """The report as a PDF, for filing with the auditor's workpapers. Nothing is fetched: the
    report carries all it shows."""
    return weasyprint.HTML(string=html, url_fetcher=_nothing).write_pdf()


def _nothing(url, *args, **kwargs):
    raise ValueError(f"the report fetches nothing ({url[:40]!r})")


def _moment(value):
    """A time as people read it: ``2026-01-26 09:00 UTC``."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return f"{value:%Y-%m-%d %H:%M} UTC"
