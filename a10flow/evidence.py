"""Evidence: one append-only hash chain of records per instance.

Records are hashed in canonical JSON (see ``a10flow.canonical``).

``hash = sha256(canonical(record))``, where the record holds ``prev_hash``
(the previous record's hash, null for the first) and everything else shown by
``GET /api/v1/instances/{id}/evidence`` except ``hash`` itself.
"""
import hashlib
import json

from . import clock
from .canonical import canonical, plain
from .models import Evidence, EvidenceType, db


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
        "control": (version.controls or {}).get(element[0]),
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
