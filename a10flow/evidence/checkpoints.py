"""Checkpoints: now and then, the head of every chain that grew, chained and signed.

A checkpoint is the canonical JSON of ``{seq, at, chains, prev_hash, key_id}``:
``chains`` lists ``{instance_id, length, head}`` for each instance whose chain grew
since the checkpoint before, ``prev_hash`` is that checkpoint's hash. It is signed
with Ed25519 by a key kept in a file outside the database, so whoever can write to
the database alone cannot rewrite a chain, delete an instance or forge a checkpoint
without verification noticing (a10flow.evidence.verifier).
"""
import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..config import made_once
from ..errors import Unavailable
from ..models import Checkpoint, Instance, db
from .canonical import canonical


def signing_key(path):
    """The private key in ``path``, made on first use (readable by the owner only).

    :raises Unavailable: the file is gone but checkpoints exist: a new key would make
        every one of them look forged, so the service refuses instead.
    """
    def make():
        if db.session.scalar(db.select(Checkpoint.seq).limit(1)) is not None:
            raise Unavailable(f"the evidence signing key {path} is missing, but checkpoints signed with it "
                               "exist: restore the key file from its backup (A10FLOW_SIGNING_KEY)")
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return serialization.load_pem_private_key(made_once(path, make), password=None)


def public_key_pem(path):
    """The public half, as PEM (SubjectPublicKeyInfo): what verifiers are given."""
    return signing_key(path).public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(path):
    """SHA-256 (hex) of the raw public key: names the key in every checkpoint."""
    return hashlib.sha256(signing_key(path).public_key().public_bytes_raw()).hexdigest()


def sign(path, data):
    """An Ed25519 signature of ``data``, base64."""
    return base64.b64encode(signing_key(path).sign(data)).decode("ascii")


def make(key_path):
    """Sign the heads of the chains that grew since the last checkpoint, in its own
    transaction. Returns the new checkpoint, or None when no chain grew (or another
    process made this one at the same moment)."""
    db.session.commit()
    grown = db.session.execute(db.select(Instance.id, Instance.evidence_seq, Instance.evidence_head)
                               .where(Instance.evidence_seq > Instance.checkpointed_seq)
                               .order_by(Instance.id)).all()
    if not grown:
        db.session.commit()
        return None
    last = latest()
    record = {"seq": last.seq + 1 if last else 1, "at": clock.now().isoformat(),
              "chains": [{"instance_id": i, "length": n, "head": h} for i, n, h in grown],
              "prev_hash": last.hash if last else None, "key_id": key_id(key_path)}
    body = canonical(record)
    checkpoint = Checkpoint(seq=record["seq"], at=record["at"], record=body.decode("utf-8"),
                            prev_hash=record["prev_hash"], hash=hashlib.sha256(body).hexdigest(),
                            signature=sign(key_path, body))
    try:
        db.session.add(checkpoint)
        db.session.flush()
        db.session.execute(db.update(Instance), [{"id": i, "checkpointed_seq": n} for i, n, _ in grown])
        db.session.commit()
    except IntegrityError:   # another process signed this seq first; it covers the same chains
        db.session.rollback()
        return None
    return checkpoint


def latest():
    return db.session.scalar(db.select(Checkpoint).order_by(Checkpoint.seq.desc()).limit(1))


def all_checkpoints():
    return db.session.scalars(db.select(Checkpoint).order_by(Checkpoint.seq)).all()


def rows():
    """Every checkpoint, oldest first, as the verifier reads them."""
    return [{"seq": c.seq, "record": c.record, "hash": c.hash, "signature": c.signature}
            for c in all_checkpoints()]
