"""Sweeping documents that will never be evidence: a Document given for a task that was done without
naming it (or for a start form no start named), and bytes in the store that no Document names (their row's transaction rolled back, or an
erasure was cut short). Both only past A10FLOW_DOCUMENT_ORPHAN_DAYS, so nothing being given or named
right now is touched; and never bytes a record names, unless erased as personal data.
"""
import logging
from datetime import timedelta

from flask import current_app

from .. import clock
from ..database import end_read, write
from ..models import Document, Evidence, HumanTask, TaskStatus, db
from .document_store import store

log = logging.getLogger(__name__)
BATCH = 500   # store keys looked up in the database at once


def sweep(now=None):
    """Delete the orphaned rows, then the orphaned bytes; returns ``{"documents": n, "files": n}``."""
    now = now or clock.now()
    before = now - timedelta(days=current_app.config["A10FLOW_DOCUMENT_ORPHAN_DAYS"])
    documents = _unnamed_documents(before)
    files, batch = 0, []
    kept = store()
    for sha256, put_at in kept.kept():
        if put_at < before:
            batch.append(sha256)
        if len(batch) == BATCH:
            files += _unnamed_bytes(kept, batch, before)
            batch = []
    files += _unnamed_bytes(kept, batch, before) if batch else 0
    return {"documents": documents, "files": files}


def _unnamed_documents(before):
    """Delete the rows of documents given before ``before`` for a task now done or withdrawn that did
    not name them (no completion can name them any more: a task's drafts go with it), or for a start
    form no start named within the window."""
    with write():
        rows = db.session.scalars(db.select(Document).outerjoin(HumanTask, HumanTask.id == Document.task_id).where(
            Document.attached_at.is_(None), Document.erased_at.is_(None), Document.given_at < before,
            (HumanTask.status != TaskStatus.OPEN) | Document.task_id.is_(None))).all()
        gone = 0
        for row in rows:
            if _recorded(row.id):   # named by a record all the same (given before attached_at was kept)
                row.attached_at = row.given_at
                continue
            db.session.delete(row)
            gone += 1
    return gone


def _unnamed_bytes(kept, shas, before):
    """Erase those of ``shas`` (bytes last put before ``before``) that no document still kept names; returns
    how many. Bytes only erased documents name finish their erasure; bytes no row names but a record does
    stay (a row deleted by hand: the evidence still needs them)."""
    named = {sha: erased for sha, erased in db.session.execute(
        db.select(Document.sha256, db.func.min(db.case((Document.erased_at.is_(None), 0), else_=1)))
        .where(Document.sha256.in_(shas)).group_by(Document.sha256))}
    swept = [sha for sha in shas if named.get(sha) == 1 or (sha not in named and not _recorded(sha))]
    for sha in shas:
        if sha not in named and sha not in swept:
            log.warning("document store: %s is named by no document but by a record; kept", sha)
    end_read()
    for sha in swept:
        kept.erase(sha, put_before=before)   # unless given again meanwhile
    return len(swept)


def _recorded(text):
    """Whether any evidence record holds ``text`` (a document's id or SHA-256, which nothing else matches)."""
    return db.session.scalar(db.select(Evidence.id).where(Evidence.record.contains(text)).limit(1)) is not None
