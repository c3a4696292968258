"""Checkpoints: now and then, the head of every chain that grew, chained and signed.

A checkpoint is the canonical JSON of ``{seq, at, chains, prev_hash, key_id, tree_size,
root_hash}``: ``chains`` lists ``{instance_id, length, head}`` for each chain that grew since
the checkpoint before (an instance's, or 0: the access record), ``prev_hash`` is that checkpoint's hash. Every ``chains``
entry of every checkpoint, in order, is also a leaf of one RFC 6962 Merkle tree; the
checkpoint states its size and root, and says so again as a C2SP ``tlog-checkpoint`` signed
note, which tools outside a10flow can check, and against which a pack proves its chains'
heads with inclusion proofs. Both are signed with Ed25519 by a key kept in a file outside the
database, so whoever can write to the database alone cannot rewrite a chain, delete an
instance or forge a checkpoint without verification noticing (a10flow.evidence.verifier).
"""
import base64
import hashlib
import json
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..config import made_once
from ..database import end_read, write
from ..errors import Unavailable
from ..models import ChainHead, Checkpoint, Instance, db
from .canonical import canonical
from .verifier import Tree, leaf_hash, node_hash, note_key_id


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


def heads_of(holder):
    """Each chain's ``(id, length, head)`` that ``holder`` (Instance, or ChainHead for the chains of no
    instance) holds, once it has one."""
    return db.select(holder.id, holder.evidence_seq, holder.evidence_head).where(holder.evidence_seq > 0)


def make(key_path):
    """Sign the heads of the chains that grew since the last checkpoint, in its own
    transaction. Returns the new checkpoint, or None when no chain grew (or another
    process made this one at the same moment)."""
    end_read()
    grown = {holder: db.session.execute(heads_of(holder).where(holder.evidence_seq > holder.checkpointed_seq)).all()
             for holder in (ChainHead, Instance)}
    if not any(grown.values()):
        end_read()
        return None
    last = latest()
    chains = [{"instance_id": i, "length": n, "head": h} for i, n, h in sorted(grown[ChainHead] + grown[Instance])]
    tree = _tree_after(last)
    for chain in chains:
        tree.append(leaf_hash(chain))
    root = base64.b64encode(tree.root()).decode("ascii")
    record = {"seq": last.seq + 1 if last else 1, "at": clock.now().isoformat(), "chains": chains,
              "prev_hash": last.hash if last else None, "key_id": key_id(key_path),
              "tree_size": tree.size, "root_hash": root}
    body = canonical(record)
    checkpoint = Checkpoint(seq=record["seq"], at=record["at"], record=body.decode("utf-8"),
                            prev_hash=record["prev_hash"], hash=hashlib.sha256(body).hexdigest(),
                            signature=sign(key_path, body), note=note(key_path, tree.size, root),
                            frontier=[[height, digest.hex()] for height, digest in tree.frontier])
    try:
        with write():
            db.session.add(checkpoint)
            db.session.flush()
            for holder, heads in grown.items():
                if heads:
                    db.session.execute(db.update(holder), [{"id": i, "checkpointed_seq": n} for i, n, _ in heads])
    except IntegrityError:   # another process signed this seq first; it covers the same chains
        return None
    return checkpoint


def origin():
    """The log's name in its notes (A10FLOW_EVIDENCE_ORIGIN). :raises Unavailable: not a valid one."""
    name = current_app.config["A10FLOW_EVIDENCE_ORIGIN"]
    if not re.fullmatch(r"[^\s+\u2014]+", name or ""):
        raise Unavailable(f"A10FLOW_EVIDENCE_ORIGIN {name!r} cannot name a log: give a schema-less URL without "
                          "spaces or '+', such as a10flow.example.org/evidence")
    return name


def note(key_path, size, root):
    """The C2SP tlog-checkpoint for a tree of ``size`` leaves with ``root`` (base64), signed."""
    name, key = origin(), signing_key(key_path)
    text = f"{name}\n{size}\n{root}\n".encode("utf-8")
    blob = note_key_id(name, key.public_key().public_bytes_raw()) + key.sign(text)
    return f"{text.decode('utf-8')}\n\u2014 {name} {base64.b64encode(blob).decode('ascii')}\n"


def verifier_key(key_path):
    """The key as note verifiers take it (``name+key ID+base64(0x01 || key)``, as Go's
    golang.org/x/mod/sumdb/note reads it)."""
    name, raw = origin(), signing_key(key_path).public_key().public_bytes_raw()
    typed = base64.b64encode(b"\x01" + raw).decode("ascii")   # 0x01: Ed25519
    return f"{name}+{note_key_id(name, raw).hex()}+{typed}"


def _tree_after(last):
    """The Merkle tree as the checkpoint ``last`` left it: from its frontier, or rebuilt from
    every checkpoint's chains when it was made before checkpoints had one."""
    if last is None:
        return Tree()
    if last.frontier is not None:
        return Tree(json.loads(last.record)["tree_size"], [(h, bytes.fromhex(d)) for h, d in last.frontier])
    tree = Tree()
    for chain in _leaves(rows()):
        tree.append(leaf_hash(chain))
    return tree


def _leaves(signed):
    """The tree's leaves, in order: every chain head of every checkpoint (rows as ``rows()`` gives them)."""
    for row in signed:
        yield from json.loads(row["record"])["chains"]


def proofs(signed, instance_ids):
    """Inclusion proofs, in the tree of the last checkpoint of ``signed`` (rows as ``rows()``
    gives them), of the last head of each chain in ``instance_ids`` a checkpoint saw."""
    digests, last_leaf = [], {}
    for chain in _leaves(signed):
        last_leaf[chain["instance_id"]] = (len(digests), chain)
        digests.append(leaf_hash(chain))
    levels = [digests]
    while len(levels[-1]) > 1:
        below = levels[-1]
        # A last node without a sibling goes up as it is: RFC 6962's tree, built from the leaves up.
        levels.append([below[i] if i + 1 == len(below) else node_hash(below[i], below[i + 1])
                       for i in range(0, len(below), 2)])
    found = []
    for instance_id in instance_ids:
        if instance_id not in last_leaf:
            continue
        index, chain = last_leaf[instance_id]
        path, at = [], index
        for level in levels[:-1]:
            if at ^ 1 < len(level):
                path.append(base64.b64encode(level[at ^ 1]).decode("ascii"))
            at //= 2
        found.append(dict(chain, leaf_index=index, path=path))
    return {"tree_size": len(digests), "chains": found}


def latest():
    return db.session.scalar(db.select(Checkpoint).order_by(Checkpoint.seq.desc()).limit(1))


def all_checkpoints():
    return db.session.scalars(db.select(Checkpoint).order_by(Checkpoint.seq)).all()


def rows():
    """Every checkpoint, oldest first, as the verifier reads them."""
    return [{"seq": c.seq, "record": c.record, "hash": c.hash, "signature": c.signature, "note": c.note}
            for c in all_checkpoints()]
