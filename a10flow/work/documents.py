"""Documents given for forms' file fields: checked, kept by SHA-256 in the document store, named by
their id in the form's data, and recorded as what they are (name, media type, size, SHA-256), never
as their bytes. A file is given first (``receive``: for a task, by a person or through an outside
party's link; ``receive_for_start``: for a start form, before the instance exists), then the step
that completes the form names it (``attach``).
"""
import copy
import io
import uuid

from flask import current_app, send_file

from .. import clock
from ..database import write
from ..errors import Conflict, Gone, Invalid, TooLarge
from ..models import Document, ExternalLink, TaskStatus, db
from ..people import access
from . import document_checks as checks
from . import forms, links
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


def described_ids(value):
    """The ids of the documents described anywhere in ``value`` (data, however nested)."""
    if is_described(value):
        return {value["document"]}
    inner = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*(described_ids(v) for v in inner))


def is_described(value):
    return isinstance(value, dict) and {"document", "sha256"} <= set(value)


def limit(schema, field):
    """The most bytes ``field`` (a path: ``certifications/0/certificate``) of the form ``schema`` takes,
    or None: it has no such file field."""
    found = checks.field_at(schema, field)
    return checks.max_bytes(found[0], current_app.config["MAX_CONTENT_LENGTH"]) if found else None


def receive(task, field, name, content, user, dates=None):
    """Check the file ``content`` (bytes, called ``name``) given by ``user`` for ``field`` of ``task``'s
    form, with the ``dates`` the field asks for (document_checks.dates), and keep it; returns its
    Document. ``user``: a signed-in person, or the ExternalLink an outside party holds, which gives
    files for its own task only. Refused, nothing is kept.

    :raises Conflict: the task is done; Forbidden: see access.check_may_complete, or another task's
        link; TooLarge: over the field's limit; Invalid: no such file field, or the file is refused
        (each naming the field).
    """
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"{field[:80]}: this task is already {task.status.value}: the file was not stored",
                       [{"field": field[:200], "message": f"the task is already {task.status.value}"}])
    if isinstance(user, ExternalLink):
        access.check_link_task(user, task, field)
        giver = links.holder(user)["name"]
    else:
        access.check_may_complete(task, user)
        access.check_apart(task, user)
        giver = user.name
    return _keep(forms.for_task(task), field, name, content, dates, Document(
        instance_id=task.instance_id, task_id=task.id, given_by=giver))


def receive_for_start(version, field, name, content, user, dates=None):
    """As ``receive``, for ``field`` of ``version``'s start form: kept for ``user`` alone until their
    start names it (see attach), for there is no instance yet.

    :raises Forbidden: ``user`` may not start it; TooLarge, Invalid: as ``receive``."""
    access.check_start(version, user)
    return _keep(forms.for_start(version), field, name, content, dates,
                 Document(start_version_id=version.id, given_by=user.name))


def _keep(schema, field, name, content, dates, document):
    """Check ``content`` (and its ``dates``) for ``field`` of ``schema``, store it, and commit ``document``
    describing it."""
    most = limit(schema, field)
    if most is None:
        raise Invalid(f"{field[:80]}: this form has no such file field", [{"field": field[:200], "message":
                                                                           "this form has no such file field"}])
    if len(content) > most:
        raise TooLarge(f"{field}: the file is {len(content):,} bytes; this field takes at most {most:,} bytes",
                       [{"field": field, "message": f"the file is {len(content):,} bytes; this field takes at most "
                                                    f"{most:,} bytes"}])
    spec = checks.field_at(schema, field)[0]
    try:
        said = checks.dates(spec, dates)
        label = checks.label(name)
        kind = checks.media_type(content, label, checks.accepted(spec))
    except ValueError as exc:
        raise Invalid(f"{field}: {exc}", [{"field": field, "message": str(exc)}]) from None
    sha256 = store().put(content)   # on disk before the row that names it is committed
    with write():
        document.id, document.sha256, document.name, document.media_type = str(uuid.uuid4()), sha256, label, kind
        document.size, document.field, document.given_at = len(content), field, clock.now()
        document.effective_on, document.expires_on = said.get("effective"), said.get("expires")
        db.session.add(document)
    return document


def of_task(task):
    """Which documents a completion of the task may name: those given for it, and those an earlier step
    of its case named (kept on a redraft: carried as they are, not a new version)."""
    return [(Document.task_id == task.id) | ((Document.instance_id == task.instance_id) &
                                            Document.attached_at.is_not(None))]


def of_start(version, user):
    """Which documents a start may name: those ``user`` gave for ``version``'s start form, unclaimed."""
    return [Document.start_version_id == version.id, Document.given_by == user.name,
            Document.instance_id.is_(None), Document.attached_at.is_(None)]


def attach(schema, data, owned, instance_id=None):
    """``data`` with the document ids its file fields name (rows' too) replaced by what is kept of each
    document, now attached and the next version of its field in the case ``instance_id`` (a replaced one
    stays, in the store and the evidence). ``owned``: which documents it may name (``of_task``,
    ``of_start``). Returns ``(data, the documents)``.

    :raises Invalid: an id names no document given for that field (by path) of this task or start."""
    attached, problems, named, now = copy.deepcopy(data), [], [], clock.now()
    for path, many, value in list(checks.given(schema, data)):
        ids = value if many else [value]
        wanted = [i for i in ids if isinstance(i, str)]
        # Locked: two starts naming one pending document cannot both claim it (the second finds it attached).
        found = {d.id: d for d in db.session.scalars(db.select(Document).where(Document.id.in_(wanted), *owned)
                                                     .with_for_update())
                 if checks.general(d.field) == checks.general(path)}   # a row may move: its column stays
        if not ids or not all(i in found for i in ids):
            problems.append({"field": path, "message": "upload the file first: this names no document given "
                                                       "for this field of this form"})
            continue
        before = db.session.scalar(db.select(db.func.max(Document.version)).where(
            Document.instance_id == instance_id, Document.field == path)) if instance_id is not None else None
        for document in found.values():   # in the step's transaction: rolled back with it
            if document.attached_at is None:   # a carried one keeps its version
                document.attached_at, document.version = now, (before or 0) + 1
        checks.put(attached, path, [describe(found[i]) for i in ids] if many else describe(found[ids[0]]))
        named += [found[i] for i in ids]
    if problems:
        raise Invalid("the form has errors", problems)
    return attached, named


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
