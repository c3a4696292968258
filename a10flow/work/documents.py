"""Documents given for forms' file fields: checked, kept by SHA-256 in the document store, named by
their id in the form's data, and recorded as what they are (name, media type, size, SHA-256), never
as their bytes. A file is given first (``receive``), then the completion names it (``attach``).
"""
import io
import uuid

from flask import current_app, send_file

from .. import clock
from ..database import write
from ..errors import Conflict, Gone, Invalid, TooLarge
from ..models import Document, TaskStatus, db
from ..people import access
from . import document_checks as checks
from . import forms
from .document_store import store


def describe(document):
    """What a form's data and the evidence keep of a document: never its bytes. Its dates and
    version are there once it has them."""
    described = {"document": document.id, "name": document.name, "media_type": document.media_type,
                 "size": document.size, "sha256": document.sha256}
    for key, value in (("effective", document.effective_on), ("expires", document.expires_on)):
        if value is not None:
            described[key] = value.isoformat()
    if document.version is not None:
        described["version"] = document.version
    return described


def is_described(value):
    return isinstance(value, dict) and {"document", "sha256"} <= set(value)


def limit(task, field):
    """The most bytes ``field`` of ``task``'s form takes, or None: it has no such file field."""
    found = checks.fields_of(forms.for_task(task)).get(field)
    return checks.max_bytes(found[0], current_app.config["MAX_CONTENT_LENGTH"]) if found else None


def receive(task, field, name, content, user, dates=None):
    """Check the file ``content`` (bytes, called ``name``) given by ``user`` for ``field`` of ``task``'s
    form, with the ``dates`` the field asks for (document_checks.dates), and keep it; returns its
    Document. Refused, nothing is kept.

    :raises Conflict: the task is done; Forbidden: see access.check_may_complete; TooLarge: over the
        field's limit; Invalid: no such file field, or the file is refused (each naming the field).
    """
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"this task is already {task.status.value}: {field} was not stored",
                       [{"field": field, "message": f"the task is already {task.status.value}"}])
    access.check_may_complete(task, user)
    access.check_apart(task, user)
    most = limit(task, field)
    if most is None:
        raise Invalid(f"{field[:80]}: this form has no such file field", [{"field": field[:200], "message":
                                                                           "this form has no such file field"}])
    if len(content) > most:
        raise TooLarge(f"{field}: the file is {len(content):,} bytes; this field takes at most {most:,} bytes",
                       [{"field": field, "message": f"at most {most:,} bytes"}])
    spec = checks.fields_of(forms.for_task(task))[field][0]
    try:
        said = checks.dates(spec, dates)
        label = checks.label(name)
        kind = checks.media_type(content, label, checks.accepted(spec))
    except ValueError as exc:
        raise Invalid(f"{field}: {exc}", [{"field": field, "message": str(exc)}]) from None
    sha256 = store().put(content)   # on disk before the row that names it is committed
    with write():
        document = Document(id=str(uuid.uuid4()), sha256=sha256, name=label, media_type=kind, size=len(content),
                            field=field, instance_id=task.instance_id, task_id=task.id, given_by=user.name,
                            given_at=clock.now(), effective_on=said.get("effective"), expires_on=said.get("expires"))
        db.session.add(document)
    return document


def attach(schema, data, task_id):
    """``data`` with the document ids its file fields name replaced by what is kept of each document,
    now the next version of its field in the case (a replaced one stays, in the store and the evidence).

    :raises Invalid: an id names no document given for that field of this task."""
    attached, problems, now = dict(data), [], clock.now()
    for name, (_, many) in checks.fields_of(schema).items():
        if name not in data:
            continue
        ids = data[name] if many else [data[name]]
        found = {d.id: d for d in db.session.scalars(db.select(Document).where(
            Document.id.in_([i for i in ids if isinstance(i, str)]), Document.task_id == task_id,
            Document.field == name))}
        if not all(i in found for i in ids):
            problems.append({"field": name, "message": "upload the file first: this names no document given "
                                                       "for this field of this task"})
            continue
        if ids:
            before = db.session.scalar(db.select(db.func.max(Document.version)).where(
                Document.instance_id == found[ids[0]].instance_id, Document.field == name))
            for document in found.values():   # in the step's transaction: rolled back with it
                document.attached_at, document.version = now, (before or 0) + 1
        attached[name] = [describe(found[i]) for i in ids] if many else describe(found[ids[0]])
    if problems:
        raise Invalid("the form has errors", problems)
    return attached


def named(done):
    """``(step name, description)`` for each document the steps ``done`` (a10flow.work.case.decisions)
    gave, in their order."""
    found = []

    def walk(step, item):
        if item.kind == "document":
            found.append((step, item.value))
        for inner in item.parts + item.values + [cell for row in item.rows for cell in row]:
            walk(step, inner)
    for d in done:
        for item in d.given:
            walk(d.name, item)
    return found


# A document is only ever a download: the browser saves it, and should it be opened on this origin all
# the same, it has no rights (no script, no plugin, a unique origin) and its type is not guessed.
DOWNLOAD_POLICY = "default-src 'none'; sandbox"


def served(document):
    """The response that hands ``document`` over: an attachment under its label, with safe headers.

    :raises Gone: its bytes were erased as personal data, or are no longer in the store."""
    if document.erased_at is not None:
        raise Gone(f"this document was personal data and was erased on {document.erased_at:%Y-%m-%d}: the "
                   "evidence keeps only its SHA-256", [{"document": document.id, "sha256": document.sha256}])
    try:
        with store().open(document.sha256) as kept:   # at most the upload limit: read whole, nothing left open
            content = io.BytesIO(kept.read())
    except FileNotFoundError:   # lost from the store (a restore without it): say so, never a 500
        raise Gone("this document's bytes are no longer in the document store: the evidence keeps its "
                   "SHA-256; restore the file from a backup", [{"document": document.id,
                                                              "sha256": document.sha256}]) from None
    response = send_file(content, mimetype=document.media_type, as_attachment=True,
                         download_name=document.name, etag=document.sha256, max_age=0)
    response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
