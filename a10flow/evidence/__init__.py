"""Evidence: one append-only hash chain of records per instance.

Records are hashed in canonical JSON (see ``a10flow.evidence.canonical``).

``hash = sha256(canonical(record))``, where the record holds ``prev_hash``
(the previous record's hash, null for the first) and everything else shown by
``GET /api/v1/instances/{id}/evidence`` except ``hash`` itself.
"""
import hashlib
import itertools
import json

from .. import clock
from ..database import end_read
from ..limits import MAX_EVIDENCE_RECORD
from ..models import ChainHead, Evidence, EvidenceType, Instance, db
from . import canonical, checkpoints, verifier  # the submodules: a name here would shadow one


class RecordTooLarge(Exception):
    """A record past MAX_EVIDENCE_RECORD, naming the element it is about: evidence is for ever, so what would
    make it grow without bound stops the step there."""

    def __init__(self, element_id, element_name, message):
        super().__init__(message)
        self.element_id, self.element_name, self.message = element_id, element_name, message


def actor_of(user):
    """The evidence actor for a person, or a system actor passed through as it is."""
    if isinstance(user, dict):
        return user
    return {"id": user.id, "name": user.name}


def append(instance, type_, actor, element=(None, None), data=None):
    """Add a record to ``instance``'s chain, in the caller's transaction. :raises RecordTooLarge:

    ``actor`` is ``{"id": …, "name": …}`` for a person or ``{"id": "system:timer"}``
    for the service. The instance row must be locked by the caller (the step).
    """
    version = instance.version
    record = {
        "instance_id": instance.id,
        "seq": instance.evidence_seq + 1,
        "type": EvidenceType(type_).value,
        "at": clock.now().isoformat(),
        "actor": canonical.plain(actor),
        "process": {"key": version.definition.key, "version": version.version,
                    "bpmn_sha256": version.xml_sha256},
        "element": {"id": element[0], "name": element[1]},
        "controls": (version.controls or {}).get(element[0], []),
        "data": canonical.plain(data or {}),
        "prev_hash": instance.evidence_head,
    }
    return chain(instance, record, element)


def chain(head, record, element=(None, None)):
    """Hash ``record`` onto the chain whose head ``head`` holds (an instance or a ChainHead, locked
    by the caller), in the caller's transaction. :raises RecordTooLarge:"""
    body = canonical.canonical(record)
    if len(body) > MAX_EVIDENCE_RECORD:
        raise RecordTooLarge(element[0], element[1], f"the evidence record would be {len(body)} bytes; at most "
                                                     f"{MAX_EVIDENCE_RECORD}")
    digest = hashlib.sha256(body).hexdigest()
    db.session.add(Evidence(instance_id=head.id, seq=record["seq"], type=record["type"], at=record["at"],
                            record=body.decode("utf-8"), prev_hash=record["prev_hash"], hash=digest))
    head.evidence_seq, head.evidence_head = record["seq"], digest
    return record


def records(instance_id):
    """The chain of one instance, oldest first, each record with its hash."""
    rows = db.session.scalars(db.select(Evidence).where(Evidence.instance_id == instance_id)
                              .order_by(Evidence.seq))
    return [json.loads(row.record) | {"hash": row.hash} for row in rows]


def verify(key_path):
    """Recompute every chain and checkpoint and compare them; returns a verifier.Report.

    Evidence is only ever appended, so reading the checkpoints and the instances'
    own heads first, then the records, sees no false break while steps go on. The
    records stream in a read-only transaction: one chain in memory at a time.
    """
    key = checkpoints.public_key_pem(key_path)
    signed = checkpoints.rows()
    heads = {i: (n, h) for i, n, h in db.session.execute(
        checkpoints.heads_of(Instance).union_all(checkpoints.heads_of(ChainHead)))}
    end_read()
    with db.engine.connect().execution_options(read_only=True, yield_per=5000) as conn:
        rows = conn.execute(db.select(Evidence.instance_id, Evidence.seq, Evidence.record, Evidence.hash)
                            .order_by(Evidence.instance_id, Evidence.seq))
        chains = ((instance_id, ((seq, record, digest) for _, seq, record, digest in group))
                  for instance_id, group in itertools.groupby(rows, key=lambda row: row[0]))
        return verifier.verify(chains, signed, key, heads, origin=checkpoints.origin())
