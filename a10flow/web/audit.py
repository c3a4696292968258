"""The auditor's pages: verify the evidence, coverage per control, download a pack; the registers
and data stores processes keep."""
import io
import itertools
import json
from datetime import datetime, timezone

from flask import current_app, flash, redirect, render_template, request, send_file, url_for

from .. import clock, evidence
from ..engine.services import REGISTERS
from ..errors import Invalid
from ..evidence import access as access_log
from ..evidence import checkpoints, packs
from ..evidence.scope import Scope, by_framework, coverage, known_controls
from ..limits import whole
from ..people import access
from ..processes import datastores, registers
from ..work import case
from . import blueprint

bp = blueprint("audit")


def scope_of(args):
    """The control, period and instance a form asks for. :raises Invalid: naming the field (see Scope)."""
    def day(name):
        raw = args.get(name, "").strip()
        if not raw:
            return None
        try:
            return datetime.fromisoformat(raw).replace(tzinfo=timezone.utc)
        except ValueError:
            raise Invalid(f"{name!r} must be a date such as 2026-01-31", [{"field": name, "message": "not a date"}])
    instance = args.get("instance", "").strip()
    return Scope(args.get("control", "").strip() or None, day("from"), day("to"),
                 whole(instance))


@bp.route("/audit")
@access.require(access.READERS)
def audit():
    args = request.args.to_dict()
    if not args:   # this year so far, unless asked otherwise
        args["from"] = f"{clock.now().year}-01-01"
    scope = scope_of(args)
    return render_template("web/audit.html", coverage=by_framework(coverage(scope)), args=args, scope=scope,
                           controls=known_controls(), verifier_sha256=packs.verifier_sha256(),
                           key_id=checkpoints.key_id(current_app.config["A10FLOW_SIGNING_KEY"]),
                           origin=checkpoints.origin())


@bp.route("/audit/access")
@access.require(access.READERS)
def access_record():
    """Who held which role and groups when, over a period (this year so far, unless asked)."""
    args = request.args.to_dict() or {"from": f"{clock.now().year}-01-01"}
    scope = scope_of(args)
    return render_template("web/access.html", held=access_log.held(scope.start, scope.end), args=args,
                           changes=access_log.history(limit=50))


@bp.route("/audit/checkpoint", methods=["POST"])
@access.require(access.OWNERS)
def checkpoint():
    """Sign a checkpoint now, so the records so far need not wait for the scheduler's."""
    made = checkpoints.make(current_app.config["A10FLOW_SIGNING_KEY"])
    flash(f"Checkpoint {made.seq} signed: every record so far is covered." if made else
          "No record was waiting: the last checkpoint covers every record.")
    return redirect(url_for("audit.verify"))


@bp.route("/audit/verify")
@access.require(access.READERS)
def verify():
    report = evidence.verify(current_app.config["A10FLOW_SIGNING_KEY"]).as_dict()
    return render_template("web/verify.html", report=report, at=clock.now())


def document_limit(args):
    """The largest document a pack should carry, as the form asks (None: the service's setting).
    :raises Invalid: naming the field, when it is no whole number of bytes."""
    raw = args.get("document_max_bytes", "").strip()
    if not raw:
        return None
    most = whole(raw)
    if most is None:
        raise Invalid("'document_max_bytes' must be a whole number of bytes, 0 or more",
                      [{"field": "document_max_bytes", "message": "not a whole number of bytes"}])
    return most


@bp.route("/audit/pack")
@access.require(access.READERS)
def pack():
    scope = scope_of(request.args)
    data = packs.export(scope, current_app.config["A10FLOW_SIGNING_KEY"],
                        document_max_bytes=document_limit(request.args))
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=packs.filename(scope))


@bp.route("/registers")
@bp.route("/registers/<name>")
def register(name=REGISTERS[0]):
    history = request.args.get("history") == "on"
    key = request.args.get("key", "").strip() or None
    entries = registers.entries(name, key, history)
    known, columns, cells, details = {}, {}, {}, {}
    for entry in entries:   # labelled by the forms of the process version that recorded it
        version = entry.instance.version
        if version.id not in known:
            known[version.id] = case.fields_of(version, nested=True)
        schemas = known[version.id]
        for k, v in entry.data.items():
            if isinstance(v, (str, int, bool)) and k not in columns:
                columns[k] = (case.label(k, schemas.get(k)), (schemas.get(k) or {}).get("description"))
        cells[entry.id] = {k: case.item(k, v, schemas.get(k), schemas) for k, v in entry.data.items()}
        details[entry.id] = case.summary(version, entry.data, nested=True)
    shown = list(columns.items())[:6]
    return render_template("web/register.html", name=name, names=REGISTERS, entries=entries, details=details,
                           cells=cells, columns=[(k, label) for k, (label, _) in shown],
                           explained=[(label, said) for _, (label, said) in shown if said],
                           history=history, key=key or "",
                           document_url=lambda document_id: url_for("web_documents.download", document_id=document_id))


@bp.route("/data-stores")
@bp.route("/data-stores/<store_id>")
@access.require(access.READERS)
def data_stores(store_id=None):
    """Every store with its last writer; one store's content, exactly as kept (JSON), or a KKV
    store's entries, one row each."""
    stores = datastores.listing()
    shown = datastores.get(store_id) if store_id else (stores[0] if stores else None)
    content = shown.content if shown is not None else None
    entries, more, document = [], 0, None
    if content is not None and shown.kind == "kkv":
        every = ((top, secondary, value) for top, values in sorted(content.items())
                 for secondary, value in sorted(values.items()))
        entries = [(top, secondary, json.dumps(value, ensure_ascii=False))
                   for top, secondary, value in itertools.islice(every, SHOWN_ENTRIES)]
        more = sum(len(values) for values in content.values()) - len(entries)
    elif content is not None:
        document = json.dumps(content, indent=2, ensure_ascii=False)
    return render_template("web/data_stores.html", stores=stores, shown=shown, entries=entries, more=more,
                           document=document and document[:SHOWN_CHARACTERS],
                           cut=document is not None and len(document) > SHOWN_CHARACTERS)


# What a page shows of a big store (a browser lays out a 200,000-row table for minutes): the API has all.
SHOWN_ENTRIES, SHOWN_CHARACTERS = 500, 100_000
