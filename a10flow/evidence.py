"""Evidence: one append-only hash chain of records per instance.

Canonical JSON, the one form everything hashed takes:
- UTF-8, keys sorted, no whitespace (``separators=(",", ":")``), non-ASCII kept as is;
- no floats: a float in recorded data is written as the decimal string Python's
  ``repr`` gives it (``12.5`` → ``"12.5"``), so any verifier reproduces the bytes;
- times as ISO 8601 strings in UTC with offset.

``hash = sha256(canonical(record))``, where the record holds ``prev_hash``
(the previous record's hash, null for the first) and everything else shown by
``GET /api/v1/instances/{id}/evidence`` except ``hash`` itself.
"""
import hashlib
import json
from datetime import datetime

from . import clock
from .models import Evidence, EvidenceType, db


def plain(value):
    """Recorded data in its hashable form: JSON types only, floats as strings."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def canonical(record):
    """The bytes that are hashed (see the module docstring)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def append(instance, type_, actor, element=(None, None), data=None):
    """Add a record to ``instance``'s chain, in the caller's transaction.

    ``actor`` is ``{"id": …, "name": …}`` for a person or ``{"id": "system:timer"}``
    for the service. The instance row must be locked by the caller (the step).
    """
    version = instance.version
    record = {
        "instance_id": instance.id,
        "seq": instance.evidence_seq + 1,
        "type": EvidenceType(type_).value,
        "at": clock.now().isoformat(),
        "actor": plain(actor),
        "process": {"key": version.definition.key, "version": version.version,
                    "bpmn_sha256": version.xml_sha256},
        "element": {"id": element[0], "name": element[1]},
        "data": plain(data or {}),
        "prev_hash": instance.evidence_head,
    }
    digest = hashlib.sha256(canonical(record)).hexdigest()
    db.session.add(Evidence(instance_id=instance.id, seq=record["seq"], type=record["type"], at=record["at"],
                            record=canonical(record).decode("utf-8"), prev_hash=record["prev_hash"],
                            hash=digest))
    instance.evidence_seq, instance.evidence_head = record["seq"], digest
    return record


def records(instance_id):
    """The chain of one instance, oldest first, each record with its hash."""
    rows = db.session.scalars(db.select(Evidence).where(Evidence.instance_id == instance_id)
                              .order_by(Evidence.seq))
    return [json.loads(row.record) | {"hash": row.hash} for row in rows]
