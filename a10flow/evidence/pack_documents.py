"""The documents of an evidence pack: each file the pack's whole records name, carried beside them as
``documents/<sha256>``, or listed in ``documents.json`` with why it is not (larger than the exporter's
limit, erased as personal data, lost from the store) and where the service serves it.

The records hold each document's SHA-256, so the bytes are proven by the records themselves; the
manifest hashes them like any other file of the pack.
"""
from flask import current_app

from ..models import Document, db
from ..work.document_store import store
from .verifier import LEFT_OUT, documents_in

LOST = "its bytes were not in the document store when the pack was made"


def gather(records, most):
    """``(files, listing)`` for the documents ``records`` (the records the pack holds whole) name.

    ``files``: ``{"documents/<sha256>": bytes}``, each document at most ``most`` bytes, once whatever
    the number of records naming it. ``listing``: one entry per record and place naming a document,
    as ``documents.json`` holds it (EVIDENCE_FORMAT.md)."""
    named = [(r, pointer, d) for r in records for pointer, d in documents_in(r.get("data"), "/data")]
    ids = {d["document"] for _, _, d in named if isinstance(d.get("document"), str)}
    rows = {row.id: row for row in db.session.scalars(db.select(Document).where(Document.id.in_(ids)))} if ids else {}
    base = current_app.config["A10FLOW_BASE_URL"].rstrip("/")
    files, listing, kept = {}, [], store()
    for record, pointer, described in named:
        row = rows.get(described.get("document"))
        entry = _entry(record, pointer, described, row)
        path = f"documents/{described['sha256']}"
        left_out = _left_out(described, row, most, path, files, kept)
        if left_out:
            entry.update(file=None, left_out=left_out, why=LEFT_OUT.get(left_out, LOST) +
                         (f" ({most:,} bytes)" if left_out == "too_large" else ""),
                         url=f"{base}/documents/{described['document']}")
        else:
            entry.update(file=path, left_out=None, why=None, url=None)
        listing.append(entry)
    return files, listing


def _left_out(described, row, most, path, files, kept):
    """Why the document is not carried (a key of verifier.LEFT_OUT, or "lost"), or None, having put
    its bytes in ``files``."""
    if row is not None and row.erased_at is not None:
        return "erased"
    if not isinstance(described.get("size"), int) or described["size"] > most:
        return "too_large"
    if path in files:
        return None
    try:
        with kept.open(described["sha256"]) as f:
            files[path] = f.read()
    except (FileNotFoundError, ValueError):   # gone, or no SHA-256 at all: the pack says so, the verifier too
        return "lost"
    return None


def _entry(record, pointer, described, row):
    """What the pack and its report say of one document a record names: what the record holds, and
    who gave it when in which step. A personal document's name stays out, as in the record."""
    entry = {"instance_id": record["instance_id"], "seq": record["seq"], "pointer": pointer,
             "document": described.get("document"), "sha256": described["sha256"],
             "name": described.get("name") if isinstance(described.get("name"), str) else None,
             "personal": bool(described.get("personal")), "media_type": described.get("media_type"),
             "size": described.get("size"),
             "step": record["element"].get("name") or record["element"].get("id"),
             "given_by": row.given_by if row else (record.get("actor") or {}).get("name"),
             "given_at": (row.given_at.isoformat() if row else record["at"])}
    for optional in ("effective", "expires"):   # dates a document holds for, where its field asks for them
        if optional in described:
            entry[optional] = described[optional]
    return entry
