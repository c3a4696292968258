"""Personal data in evidence: kept beside the hashed record, so it can be erased.

A form marks a field as personal with ``"x-pii": true`` in its JSON Schema. The
evidence record then carries ``{"pii_sha256": sha256(salt + canonical(value))}`` in
its place, and the value and its salt live in the ``personal_data`` table, which
is not part of any chain. Erasing a data subject deletes values and salts: the
records, and so the chains and checkpoints, stay exactly as they were and verify.

A file field marked so holds personal documents: the record keeps each one's description and
SHA-256 (``personal: true``), its name beside the record. Erasing a subject erases the personal
documents given in the same form as their values: names, and bytes from the document store.
"""
import hashlib
import json
import secrets

from .. import clock, evidence
from ..database import write
from ..models import Document, Evidence, EvidenceType, Instance, PersonalValue, db
from ..work import document_store
from .canonical import canonical, plain
from .verifier import documents_in, is_document

MARK = "x-pii"
ERASED_NAME = "(erased personal document)"   # what a personal document's row says once erased
SUBMITTED_DEPTH = 2   # "/data/submitted": where a form's own fields are


def _escape(key):
    return str(key).replace("~", "~0").replace("/", "~1")


def conceal(pointer, value, found):
    """The placeholder for ``value``, appending (pointer, value, salt, digest) to ``found``."""
    salt = secrets.token_hex(16)
    digest = hashlib.sha256(bytes.fromhex(salt) + canonical(plain(value))).hexdigest()
    found.append((pointer, value, salt, digest))
    return {"pii_sha256": digest}


def split(schema, data, at=""):
    """``(data with personal values replaced by their salted hashes, [(pointer, value, salt, digest)])``.

    Pointers are JSON Pointers, ``at`` + the path into ``data``; arrays of objects are
    followed item by item.
    """
    found = []

    def walk(node, value, pointer):
        if not isinstance(node, dict):
            return value
        if node.get(MARK) is True and value is not None:
            if is_document(value):
                return _personal_document(value, pointer, found)
            if isinstance(value, list) and value and all(is_document(v) for v in value):
                return [_personal_document(v, f"{pointer}/{i}", found) for i, v in enumerate(value)]
            return conceal(pointer, value, found)
        if isinstance(value, dict) and isinstance(node.get("properties"), dict):
            return {k: walk(node["properties"].get(k), v, f"{pointer}/{_escape(k)}") for k, v in value.items()}
        if isinstance(value, list) and isinstance(node.get("items"), dict):
            return [walk(node["items"], v, f"{pointer}/{i}") for i, v in enumerate(value)]
        return value

    return walk(schema or {}, data, at), found


def _personal_document(described, pointer, found):
    """A personal document as the record keeps it: what it is and its SHA-256, which proves its bytes
    while they are kept and reveals nothing once they are erased; its name, which may name the person,
    beside the record like any personal value."""
    return dict(described, name=conceal(f"{pointer}/name", described["name"], found), personal=True)


def known(instance_id):
    """The personal values an instance holds (canonical JSON texts), for ``conceal_known``."""
    return set(db.session.scalars(db.select(PersonalValue.value).where(
        PersonalValue.instance_id == instance_id, PersonalValue.erased_at.is_(None))))


def conceal_known(known, data):
    """``data`` with every text of ``known`` (a form's x-pii value, an external party's address)
    replaced by its salted hash, wherever a script, message or service call copied it; and what
    was replaced, as ``split`` gives it. A personal value stays personal."""
    found = []

    def walk(value, pointer):
        if isinstance(value, dict):
            return {k: walk(v, f"{pointer}/{_escape(k)}") for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{pointer}/{i}") for i, v in enumerate(value)]
        if isinstance(value, str) and canonical(value).decode("utf-8") in known:
            return conceal(pointer, value, found)
        return value

    return (walk(data, ""), found) if known else (data, [])


def store(instance_id, seq, prefix, found):
    """Keep the values ``split`` took out of record ``seq``, at ``prefix`` + their pointers."""
    for pointer, value, salt, digest in found:
        db.session.add(PersonalValue(instance_id=instance_id, seq=seq, pointer=prefix + pointer,
                                     value=canonical(plain(value)).decode("utf-8"), salt=salt, digest=digest))


def attach(records):
    """Give each record (as evidence.records returns them) its personal values, outside
    the hashed part: ``personal: {pointer: value}``, None where erased."""
    if not records:
        return records
    rows = db.session.scalars(db.select(PersonalValue).where(
        PersonalValue.instance_id == records[0]["instance_id"]).order_by(PersonalValue.id))
    by_seq = {}
    for row in rows:
        by_seq.setdefault(row.seq, {})[row.pointer] = None if row.erased_at else json.loads(row.value)
    for record in records:
        if record["seq"] in by_seq:
            record["personal"] = by_seq[record["seq"]]
    return records


def erase_subject(identifier, actor):
    """Erase every personal value equal to ``identifier`` (an e-mail address, a name) and
    the personal values recorded beside it in the same nested object (the same person's
    other fields). Each instance touched gets a ``personal_data.erased`` record naming
    the fields, not the values. Returns how many values were erased."""
    with write():
        now = clock.now()
        matches = db.session.scalars(db.select(PersonalValue).where(
            PersonalValue.value == canonical(plain(identifier)).decode("utf-8"),
            PersonalValue.erased_at.is_(None))).all()
        erased = {}
        for match in matches:
            parent, _, own = match.pointer.rpartition("/")
            # The person's other fields sit beside the match in the same object (a contact's name
            # beside its e-mail); not at a form's top level, nor in a list of people.
            nested = parent.count("/") > SUBMITTED_DEPTH and not own.isdigit()
            rows = db.session.scalars(db.select(PersonalValue).where(
                PersonalValue.instance_id == match.instance_id, PersonalValue.seq == match.seq,
                PersonalValue.pointer.startswith(parent + "/"), PersonalValue.erased_at.is_(None))) if nested \
                else [match]
            for row in rows:
                if row.pointer.rsplit("/", 1)[0] == parent:
                    row.value, row.salt, row.erased_at = None, None, now
                    erased.setdefault(row.instance_id, []).append({"seq": row.seq, "pointer": row.pointer})
        documents, shas = {}, set()
        for instance_id, seq in sorted({(i, f["seq"]) for i, fields in erased.items() for f in fields}):
            for pointer, sha256 in _erase_documents(instance_id, seq, now, erased):
                documents.setdefault(instance_id, []).append({"seq": seq, "pointer": pointer})
                shas.add(sha256)
        for instance_id, fields in sorted(erased.items()):
            instance = db.session.execute(db.select(Instance).where(Instance.id == instance_id)
                                          .with_for_update()).scalar_one()
            data = {"erased": fields} | ({"documents": documents[instance_id]} if instance_id in documents else {})
            evidence.append(instance, EvidenceType.PERSONAL_DATA_ERASED, actor, data=data)
    # The bytes go once the erasure is committed (should that fail, they are still named); bytes some
    # other document still names stay for it. Those an interruption left behind, the sweep takes.
    for sha256 in sorted(shas):
        if not db.session.scalar(db.select(Document.id).where(Document.sha256 == sha256,
                                                             Document.erased_at.is_(None)).limit(1)):
            document_store.store().erase(sha256)
    return sum(len(f) for f in erased.values())


def _erase_documents(instance_id, seq, now, erased):
    """Erase the personal documents record ``seq`` of ``instance_id`` names, given in the same form as
    a value of the subject just erased: their names (added to ``erased``) and, marked on their rows,
    their bytes. Returns ``(pointer, sha256)`` of each."""
    text = db.session.scalar(db.select(Evidence.record).where(Evidence.instance_id == instance_id,
                                                              Evidence.seq == seq))
    found = []
    for pointer, described in documents_in(json.loads(text).get("data"), "/data"):
        if not described.get("personal"):
            continue
        name = db.session.scalar(db.select(PersonalValue).where(
            PersonalValue.instance_id == instance_id, PersonalValue.seq == seq,
            PersonalValue.pointer == f"{pointer}/name", PersonalValue.erased_at.is_(None)))
        if name is not None:
            name.value, name.salt, name.erased_at = None, None, now
            erased[instance_id].append({"seq": seq, "pointer": name.pointer})
        row = db.session.get(Document, described.get("document"))
        if row is not None and row.erased_at is None:
            row.name, row.erased_at = ERASED_NAME, now
        found.append((pointer, described["sha256"]))
    return found
