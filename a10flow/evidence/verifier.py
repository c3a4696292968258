"""Verify a10flow evidence: per-instance hash chains, signed checkpoints, evidence packs.

This file stands alone (the Python standard library and ``cryptography``): every
evidence pack carries a copy, so an auditor can check a pack without a10flow::

    pip install cryptography && python verify.py pack.zip --key published-key.pem
    python verify.py pack.zip --key-id <the key id the service shows> [--origin <the log's origin>]

A pack carries the key it was signed with, but anyone who rewrites a pack can sign it with a
key of their own: the result means something only against a key the auditor obtained from the
service itself (GET /api/v1/evidence/public-key, or from its administrator) and kept. Without
one, the report is not ok (``key_not_trusted``), whatever else holds. Use a verify.py you
obtained yourself too (a10flow's source, or `a10flow evidence verify-pack`): the copy in a pack
can be swapped along with the rest (compare its SHA-256 with the one the service publishes).

What is checked (FORMAT.md, a10flow/evidence/EVIDENCE_FORMAT.md, gives the formats):

- each record's hash is the SHA-256 of its canonical JSON, and it names the hash of
  the record before it (``prev_hash``) and its own place (``instance_id``, ``seq``);
- each checkpoint is the canonical JSON of ``{seq, at, chains, prev_hash, key_id, tree_size,
  root_hash}``, hashed the same way, chained to the one before, and signed with Ed25519; its
  ``chains`` give, for every chain that grew, its length and head hash then;
- those chain heads, checkpoint after checkpoint, are the leaves of one RFC 6962 Merkle tree,
  whose size and root each checkpoint states, again as a C2SP signed note (``tlog-checkpoint``);
- a pack's ``proofs.json`` proves its chains' heads in the tree its ``checkpoint.txt`` signs;
- every chain still has at least the records a checkpoint saw, ending in that head;
- every signed note is of the log the auditor pinned (``--origin``; else the one the pack's
  signed manifest names): a note of another log signed by the same key proves nothing here;
- every document a record in the pack names (``{"document", "sha256", …}`` in its data) is in the
  pack as ``documents/<sha256>`` with exactly those bytes (and the manifest's hash), or listed in
  ``documents.json`` as left out because it is larger than the pack's limit or was erased as
  personal data.

A pack for a period holds in full only the records inside it; each record of its chains outside
the period is a stub (``redacted``: why; its ``instance_id``, ``seq``, ``type``, ``at`` and
``prev_hash``) under the record's hash: the chain still links, and the checkpoints still see
its heads, but nothing of the stub's content is proven, and the report counts the stubs.

The first problem of each chain is reported, named by instance and seq, with a kind:
edited, deleted, reordered, inserted, truncated, instance_deleted, checkpoint_forged,
checkpoint_missing, wrong_origin, or for packs file_changed, document_missing, document_changed,
wrong_key and key_not_trusted.
"""
import base64
import hashlib
import json
import sys
import zipfile
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MAX_PROBLEMS = 100   # a wrecked database should not make a report too big to read


def canonical(value):
    """The bytes a10flow hashes: JSON, UTF-8, keys sorted, no whitespace, no floats."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def digest(value):
    return hashlib.sha256(canonical(value)).hexdigest()


# RFC 6962 / RFC 9162 Merkle tree over the chain heads the checkpoints saw, and C2SP notes.

def leaf(chain):
    """The leaf a checkpoint adds for one chain it saw: ``{instance_id, length, head}``."""
    return {"instance_id": chain["instance_id"], "length": chain["length"], "head": chain["head"]}


def leaf_hash(chain):
    return hashlib.sha256(b"\x00" + canonical(leaf(chain))).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Tree:
    """An append-only Merkle tree held as its frontier: the roots of its perfect subtrees, left to right."""

    def __init__(self, size=0, frontier=()):
        self.size, self.frontier = size, list(frontier)   # [(height, hash)]

    def append(self, leaf_digest):
        self.size += 1
        self.frontier.append((0, leaf_digest))
        while len(self.frontier) > 1 and self.frontier[-1][0] == self.frontier[-2][0]:
            (height, left), (_, right) = self.frontier[-2:]
            self.frontier[-2:] = [(height + 1, node_hash(left, right))]

    def root(self):
        if not self.frontier:
            return hashlib.sha256(b"").digest()
        digest = self.frontier[-1][1]
        for _, left in reversed(self.frontier[:-1]):
            digest = node_hash(left, digest)
        return digest


def note_key_id(name, raw_public_key):
    """C2SP signed-note key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + raw_public_key).digest()[:4]


def read_checkpoint_note(note, key):
    """``(origin, tree size, root hash)`` of a C2SP tlog-checkpoint signed by ``key``.
    :raises ValueError: not such a note, or no valid signature by the key."""
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not signatures.endswith("\n") or any(c < " " and c != "\n" for c in note):
        raise ValueError("not a signed note")
    lines = (text + "\n").split("\n")[:-1]
    if len(lines) < 3 or not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
        raise ValueError("not a checkpoint: it needs an origin, a tree size and a root hash")
    raw = key.public_bytes_raw()
    for line in signatures[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise ValueError("a signature line does not begin with an em dash")
        name, _, signature = line[2:].partition(" ")
        blob = base64.b64decode(signature, validate=True)
        if blob[:4] == note_key_id(name, raw):
            key.verify(blob[4:], (text + "\n").encode("utf-8"))   # raises InvalidSignature
            return lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    raise ValueError("the note carries no signature by the trusted key")


def included(leaf_digest, index, size, path, root):
    """Whether ``path`` proves the leaf at ``index`` in the tree of ``size`` with ``root`` (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, digest = index, size - 1, leaf_digest
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and digest == root


ACCESS = 0   # the chain that belongs to no instance: the access record (who held which role when)


def chain_name(instance_id):
    return "the access record" if instance_id == ACCESS else f"instance {instance_id}"


@dataclass
class Problem:
    kind: str
    message: str
    instance_id: int | None = None
    seq: int | None = None
    checkpoint: int | None = None


@dataclass
class Report:
    records: int = 0
    instances: int = 0
    access: int = 0           # of the records, those of the access record (chain ACCESS)
    checkpoints: int = 0
    unprotected: int = 0      # records newer than the last checkpoint: chained, not yet signed
    problems: list = None
    key_id: str | None = None  # SHA-256 of the raw public key the checkpoints were checked against
    origin: str | None = None  # the log whose signed notes were expected
    redacted: int = 0          # records of a pack present as stubs only (outside its period)

    def __post_init__(self):
        self.problems = [] if self.problems is None else self.problems
        self.problem_count = 0

    def add(self, problem):
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    @property
    def ok(self):
        return self.problem_count == 0

    def as_dict(self):
        return {"ok": self.ok, "records": self.records, "instances": self.instances, "access_records": self.access,
                "checkpoints": self.checkpoints, "unprotected_records": self.unprotected, "key_id": self.key_id,
                "origin": self.origin, "redacted_records": self.redacted,
                "problem_count": self.problem_count,
                "first_problem": asdict(self.problems[0]) if self.problems else None,
                "problems": [asdict(p) for p in self.problems]}


def _object(text):
    """The JSON object ``text`` holds, or None when it is not one."""
    try:
        value = json.loads(text) if isinstance(text, (str, bytes)) else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_checkpoints(checkpoints, key, report, origin=None):
    """Check the checkpoint chain and signatures; return what they saw of each chain:
    ``{instance_id: [(length, head, "checkpoint N"), ...]}``. Forged ones are left out."""
    key_id = hashlib.sha256(key.public_bytes_raw()).hexdigest()
    seen, prev_seq, prev_hash, tree = {}, 0, None, Tree()
    for row in checkpoints:
        report.checkpoints += 1
        record = _object(row.get("record"))
        where = row.get("seq")
        if record is None or digest(record) != row.get("hash"):
            report.add(Problem("checkpoint_forged", "its content does not match its hash", checkpoint=where))
            continue
        try:
            key.verify(base64.b64decode(row.get("signature") or ""), canonical(record))
        except (InvalidSignature, ValueError):
            report.add(Problem("checkpoint_forged", "its signature is not valid for the trusted key",
                               checkpoint=where))
            continue
        chains = record.get("chains")
        if record.get("key_id") != key_id or not _count(record.get("seq")) or not isinstance(chains, list):
            report.add(Problem("checkpoint_forged", "it is signed but not a checkpoint of this key", checkpoint=where))
            continue
        if record["seq"] != prev_seq + 1 or record.get("prev_hash") != prev_hash:
            report.add(Problem("checkpoint_missing", f"checkpoint {prev_seq + 1} (or one after it) is missing",
                               checkpoint=record["seq"]))
        prev_seq, prev_hash = record["seq"], row["hash"]
        for chain in chains:
            if isinstance(chain, dict) and _count(chain.get("length")) and _count(chain.get("instance_id")):
                seen.setdefault(chain["instance_id"], []).append((chain["length"], str(chain.get("head")),
                                                                  f"checkpoint {record['seq']}"))
                tree.append(leaf_hash(chain))
        problem = _tree_problem(row.get("note"), record, tree, key, origin)
        if problem:
            report.add(Problem("checkpoint_forged", problem, checkpoint=record["seq"]))
    return seen


def _tree_problem(note, record, tree, key, origin=None):
    """What is wrong with a checkpoint's Merkle tree head and its signed note (of the log ``origin``,
    when given), or None. Checkpoints made before there were notes have neither."""
    if note is None and "tree_size" not in record:
        return None
    root = base64.b64encode(tree.root()).decode("ascii")
    if (record.get("tree_size"), record.get("root_hash")) != (tree.size, root):
        return f"its tree head is not the Merkle tree of the chain heads the checkpoints saw ({tree.size} leaves)"
    try:
        named, size, signed_root = read_checkpoint_note(note if isinstance(note, str) else "", key)
    except (InvalidSignature, ValueError) as exc:
        return f"its signed note does not verify with the trusted key: {exc or 'bad signature'}"
    if origin is not None and named != origin:
        return f"its signed note is of the log {named!r}, not of {origin!r}"
    if (size, signed_root) != (tree.size, tree.root()):
        return "its signed note states another tree than the checkpoint"
    return None


def check_chain(instance_id, rows, saw=(), stubs=False):
    """The first problem of one instance's chain, or None.

    ``rows``: ``(seq, record_json, hash)`` as stored, in seq order. ``saw``: what
    checkpoints (or the instance row) recorded of it, as (length, head, source). ``stubs``:
    whether a record may stand as a stub (a pack's, outside its period), its hash taken as given.
    One pass, oldest first, so the earliest damage is the one named.
    """
    rows = list(rows)
    stored_hashes = {stored for _, _, stored in rows}
    prev, expected = None, 1
    for seq, text, stored in rows:
        place = max(seq, 1)
        record = _object(text)
        if record is None:
            return Problem("edited", "the record is not a JSON object any more", instance_id, place)
        if is_stub(record) and not stubs:
            return Problem("edited", "the record was replaced by a stub: only a pack may hold those", instance_id,
                           place)
        if not is_stub(record) and digest(record) != stored:
            return Problem("edited", "the record was changed: it no longer matches its hash", instance_id, place)
        own, link = record.get("seq"), record.get("prev_hash")
        if record.get("instance_id") != instance_id or not _count(own) or not (link is None or isinstance(link, str)):
            return Problem("inserted", "the record is not one of this chain's", instance_id, place)
        if link == prev and own == seq == expected:
            prev, expected = stored, expected + 1
            continue
        if seq > expected and own == seq:
            return Problem("deleted", f"record {expected} is missing", instance_id, expected)
        if own > seq and link not in stored_hashes:
            return Problem("deleted", f"a record before this one was deleted and the rest renumbered "
                                      f"(it was record {own})", instance_id, place)
        if own < seq or seq < expected:
            return Problem("inserted", f"a record was inserted before this one (it was record {own})",
                           instance_id, max(place - 1, 1))
        if own != seq:
            return Problem("reordered", f"record {own} is stored in place {seq}", instance_id, place)
        if link in stored_hashes:
            return Problem("reordered", "the record does not follow the one stored before it", instance_id, place)
        if seq == 1:
            return Problem("edited", "the first record was changed and its hash rewritten", instance_id, 1)
        return Problem("edited", "the record before this one was changed and its hash rewritten", instance_id, seq - 1)
    by_seq = {seq: stored for seq, _, stored in rows}
    for length, head, source in sorted(saw, key=lambda s: (s[0], str(s[1]))):
        if length > len(rows):
            return Problem("truncated", f"{source} saw {length} records; {len(rows)} remain",
                           instance_id, len(rows) + 1)
        if by_seq.get(length) != head:
            return Problem("edited", f"the chain was rewritten: record {length} differs from what {source} saw",
                           instance_id, max(length, 1))
    return None


STUB = {"redacted", "instance_id", "seq", "type", "at", "prev_hash"}


def is_document(value):
    """Whether ``value`` describes a document: an object with ``document`` and ``sha256``, as a
    task's file fields record them."""
    return isinstance(value, dict) and "document" in value and "sha256" in value


def documents_in(value, pointer=""):
    """``(JSON pointer, description)`` of each document ``value`` (a record's data, at ``pointer``)
    describes."""
    if isinstance(value, dict):
        if is_document(value):
            yield pointer, value
            return
        for key, inner in value.items():
            yield from documents_in(inner, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from documents_in(inner, f"{pointer}/{index}")


# Why a pack may hold a document its records name without its bytes: the pack lists it so (documents.json).
LEFT_OUT = {"too_large": "larger than the pack's limit for a document",
            "erased": "erased as a data subject's personal data"}


def is_stub(record):
    """Whether ``record`` is a stub: what a pack for a period keeps of a record outside it."""
    return "redacted" in record and set(record) == STUB


def _ed25519(pem):
    """The Ed25519 public key in ``pem``. :raises ValueError: not PEM, or another kind of key."""
    key = load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify(chains, checkpoints, public_key_pem, instance_heads=None, report=None, in_scope=None, proven=None,
           origin=None, stubs=False):
    """Check everything; returns a Report.

    ``chains``: ``(instance_id, rows)`` for each instance, rows as check_chain takes
    them (a stream: one chain is held at a time). ``checkpoints``: rows with seq,
    record, hash and signature, in seq order. ``instance_heads``: optionally the
    service's own ``{instance_id: (length, head)}``, checked like a checkpoint.
    ``in_scope(instance_id)``: whether a chain that is gone should be there (a pack
    holds only some chains); all should, by default. ``proven``: ``{instance_id: (length,
    head)}`` that inclusion proofs showed a signed checkpoint saw. ``origin``: the log the signed
    notes must be of. ``stubs``: records may be stubs (a pack for a period).
    """
    report = report or Report()
    key = _ed25519(public_key_pem)
    report.key_id = hashlib.sha256(key.public_bytes_raw()).hexdigest()
    report.origin = origin or report.origin
    seen = check_checkpoints(checkpoints, key, report, report.origin) if checkpoints else {}
    for instance_id, (length, head) in (proven or {}).items():
        seen.setdefault(instance_id, []).append((length, head, "the signed checkpoint"))
    signed = {i: max(n for n, _, _ in saws) for i, saws in seen.items()}
    for instance_id, (length, head) in (instance_heads or {}).items():
        seen.setdefault(instance_id, []).append((length, str(head), "the instance row"))
    for instance_id, rows in chains:
        rows = list(rows)
        if instance_id == ACCESS:
            report.access += len(rows)
        else:
            report.instances += 1
        report.records += len(rows)
        report.unprotected += max(0, len(rows) - signed.get(instance_id, 0))
        problem = check_chain(instance_id, rows, seen.pop(instance_id, []), stubs)
        if problem:
            report.add(problem)
    for instance_id, saws in sorted(seen.items()):
        if in_scope is None or in_scope(instance_id):
            length, _, source = max(saws, key=lambda s: s[0])
            report.add(Problem("instance_deleted", f"every record of {chain_name(instance_id)} is gone; {source} saw {length}",
                               instance_id, 1))
    return report


def verify_pack(path, trusted_key_pem=None, trusted_key_id=None, trusted_origin=None):
    """Check an evidence pack (a ZIP made by ``a10flow evidence export``); returns a Report.

    ``trusted_key_pem`` (the key the service publishes, GET /api/v1/evidence/public-key) or
    ``trusted_key_id`` (its SHA-256, as the service shows it): the key the auditor trusts. With
    neither, everything else is checked, and the report is still not ok: key_not_trusted.
    ``trusted_origin``: the log the auditor expects the signed notes to be of (the service shows it
    beside its key); without it, the one the pack's signed manifest names.
    """
    report = Report(origin=trusted_origin)
    try:
        with zipfile.ZipFile(path) as pack:
            names = pack.namelist()
            if len(names) != len(set(names)):
                report.add(Problem("file_changed", "a file name appears twice in the pack"))
                return report
            files = {name: pack.read(name) for name in names}
        key = _ed25519(files["public-key.pem"])
        report.key_id = hashlib.sha256(key.public_bytes_raw()).hexdigest()
        trusted = _ed25519(trusted_key_pem).public_bytes_raw() if trusted_key_pem is not None else None
        if (trusted is not None and trusted != key.public_bytes_raw()) or \
                (trusted_key_id is not None and trusted_key_id.replace(":", "").lower() != report.key_id):
            report.add(Problem("wrong_key", "the pack was signed with a key other than the one you trust"))
            return report
        _check_pack(files, key, report)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError, AttributeError) as exc:
        report.add(Problem("file_changed", f"this is not an evidence pack, or a part of it is damaged: {exc!r}"))
        return report
    if trusted is None and trusted_key_id is None:
        report.add(Problem("key_not_trusted", f"checked against the key the pack carries ({report.key_id}), which "
                                              "anyone rewriting the pack could have replaced: check it against the "
                                              "service's key (--key FILE, or --key-id)"))
    return report


def _check_pack(files, key, report):
    try:
        key.verify(base64.b64decode(files["manifest.sig"]), files["manifest.json"])
    except (InvalidSignature, ValueError, KeyError):
        report.add(Problem("file_changed", "manifest.json does not match its signature (manifest.sig)"))
        return
    manifest = json.loads(files["manifest.json"])
    if report.origin and manifest.get("origin") and manifest["origin"] != report.origin:
        report.add(Problem("wrong_origin", f"the pack is of the log {manifest['origin']!r}, not of {report.origin!r}"))
    report.origin = report.origin or manifest.get("origin")
    listing = _listing(files)
    for name, expected in sorted(manifest["files"].items()):
        if name.startswith("documents/"):
            _check_document_file(name, expected, files, listing, report)
        elif name not in files:
            report.add(Problem("file_changed", f"{name} is missing from the pack"))
        elif hashlib.sha256(files[name]).hexdigest() != expected:
            report.add(Problem("file_changed", f"{name} was changed: its SHA-256 is not the manifest's"))
    for name in sorted(set(files) - set(manifest["files"]) - {"manifest.json", "manifest.sig"}):
        report.add(Problem("file_changed", f"{name} was added to the pack after it was made"))
    if not report.ok:
        return
    checkpoints = json.loads(files["checkpoints.json"]) if "checkpoints.json" in files else []
    proven = _proven(files, key, report)
    chains = {}
    for line in files["records.jsonl"].decode("utf-8").splitlines():
        row = json.loads(line)
        chains.setdefault(row["instance_id"], []).append((row["seq"], canonical(row["record"]), row["hash"]))
        report.redacted += is_stub(row["record"])
        if not is_stub(row["record"]):
            _check_documents_named(row["record"], files, listing, report)
    # A pack made for some instances holds their chains; one made for all, every chain.
    everything = not any(manifest["scope"].values())
    wanted = set(manifest["instances"]) | ({ACCESS} if manifest.get("access_record") else set())
    verify(sorted(chains.items()), checkpoints, files["public-key.pem"], report=report,
           in_scope=lambda i: everything or i in wanted, proven=proven, stubs=True)


def _listing(files):
    """What ``documents.json`` says of each document the records name: ``{(instance_id, seq, pointer): entry}``."""
    try:   # damaged, it is named as changed by the manifest's hash; its documents then by their file names
        entries = json.loads(files["documents.json"]) if "documents.json" in files else []
        return {(e["instance_id"], e["seq"], e["pointer"]): e for e in entries}
    except (ValueError, TypeError, KeyError):
        return {}


def _which(entry, sha256=None):
    """A document as a problem names it: its name (or id, for a personal one) and hash."""
    if entry is None:
        return f"the document {sha256}"
    return f"the document {entry.get('name') or entry.get('document')!r} (SHA-256 {entry.get('sha256')})"


def _check_document_file(name, expected, files, listing, report):
    """A document the pack carries (``documents/<sha256>``) is there, with the bytes the manifest and its name say."""
    sha256 = name.rpartition("/")[2]
    entry = next((e for e in listing.values() if e.get("file") == name), None)
    where = (entry or {}).get("instance_id"), (entry or {}).get("seq")
    if name not in files:
        report.add(Problem("document_missing", f"{_which(entry, sha256)} is missing from the pack ({name})", *where))
    elif hashlib.sha256(files[name]).hexdigest() != expected or expected != sha256:
        report.add(Problem("document_changed", f"{_which(entry, sha256)} was changed: its bytes are not those "
                                               f"the manifest and its record name ({name})", *where))


def _check_documents_named(record, files, listing, report):
    """Each document ``record`` names is in the pack with the bytes of the SHA-256 the record holds, or
    the pack lists it as left out for a reason that may be (LEFT_OUT)."""
    for pointer, described in documents_in(record.get("data"), "/data"):
        where = record.get("instance_id"), record.get("seq")
        entry = listing.get((*where, pointer))
        if entry is None or entry.get("sha256") != described["sha256"]:
            report.add(Problem("document_missing", f"the record names {_which(entry, described['sha256'])} at "
                                                   f"{pointer}, which the pack neither holds nor lists", *where))
        elif entry.get("file"):
            content = files.get(entry["file"])
            if content is None:
                report.add(Problem("document_missing", f"{_which(entry)} is missing from the pack", *where))
            elif hashlib.sha256(content).hexdigest() != described["sha256"]:
                report.add(Problem("document_changed", f"{_which(entry)}: the bytes in the pack are not those "
                                                       "whose SHA-256 the record holds", *where))
        elif entry.get("left_out") not in LEFT_OUT:
            report.add(Problem("document_missing", f"{_which(entry)} is not in the pack: "
                                                   f"{entry.get('why') or 'no reason given'}", *where))


def _proven(files, key, report):
    """What ``proofs.json`` proves in the tree ``checkpoint.txt`` signs: ``{instance_id: (length, head)}``."""
    if "checkpoint.txt" not in files:
        return {}
    try:
        named, size, root = read_checkpoint_note(files["checkpoint.txt"].decode("utf-8"), key)
    except (InvalidSignature, ValueError) as exc:
        report.add(Problem("checkpoint_forged",
                           f"checkpoint.txt does not verify with the key: {exc or 'bad signature'}"))
        return {}
    if report.origin is not None and named != report.origin:
        report.add(Problem("wrong_origin", f"checkpoint.txt is a note of the log {named!r}, not of {report.origin!r}: "
                                           "the same key signs another log, and nothing here proves this one"))
        return {}
    proofs, proven = _object(files["proofs.json"]) or {}, {}
    if proofs.get("tree_size") != size or not isinstance(proofs.get("chains"), list):
        report.add(Problem("checkpoint_forged", "proofs.json proves against another tree than checkpoint.txt signs"))
        return {}
    for proof in proofs["chains"]:
        try:
            path = [base64.b64decode(p, validate=True) for p in proof["path"]]
            proves = _count(proof["leaf_index"]) and included(leaf_hash(proof), proof["leaf_index"], size, path, root)
        except (KeyError, TypeError, ValueError):   # not a proof at all: it proves nothing either
            proves = False
        if proves:
            proven[proof["instance_id"]] = (proof["length"], str(proof["head"]))
        else:
            report.add(Problem("checkpoint_forged", "its inclusion proof does not lead to the signed checkpoint",
                               proof.get("instance_id") if isinstance(proof, dict) else None))
    return proven


USAGE = "usage: python verify.py pack.zip (--key service-public-key.pem | --key-id KEY_ID) [--origin ORIGIN] [--text]"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    as_text = "--text" in argv
    argv = [a for a in argv if a != "--text"]
    origin = None
    if len(argv) == 5 and argv[3] == "--origin":
        origin, argv = argv[4], argv[:3]
    if len(argv) != 3 or argv[1] not in ("--key", "--key-id"):
        print(USAGE, file=sys.stderr)
        return 2
    trusted_pem = trusted_id = None
    if argv[1] == "--key":
        with open(argv[2], "rb") as f:
            trusted_pem = f.read()
    else:
        trusted_id = argv[2]
    report = verify_pack(argv[0], trusted_pem, trusted_id, origin)
    print(text(report) if as_text else json.dumps(report.as_dict(), indent=2))
    print(summary(report), file=sys.stderr)
    return 0 if report.ok else 1


def text(report):
    """The report for people: the verdict, what was checked, what no checkpoint covers yet, each problem."""
    lines = [summary(report), "",
             f"Checked: {report.records} records in {report.instances + bool(report.access)} chains and "
             f"{report.checkpoints} signed "
             f"checkpoint(s), against the key {report.key_id}."]
    if report.unprotected:
        lines.append(f"Not yet covered by a signed checkpoint: {report.unprotected} record(s). They are chained, "
                     "but nothing signed vouches for them yet: whoever can write to the database could still "
                     "rewrite them unseen.")
    else:
        lines.append("Every record is covered by a signed checkpoint.")
    if report.redacted:
        lines.append(f"Outside the pack's period: {report.redacted} record(s), each present as a stub (its place, "
                     "type, time and hash), so that the chains and checkpoints verify; their content is not in "
                     "the pack, and nothing here proves a stub's type or time.")
    if report.origin:
        lines.append(f"Signed notes checked as those of the log {report.origin!r}.")
    if report.problems:
        lines += ["", f"Problems ({report.problem_count}, the first of each chain):"]
        for n, p in enumerate(report.problems, 1):
            where = ", ".join(part for part in (p.instance_id is not None and chain_name(p.instance_id),
                                                p.seq and f"record {p.seq}",
                                                p.checkpoint and f"checkpoint {p.checkpoint}") if part)
            lines.append(f"  {n}. {where + ': ' if where else ''}{p.kind}: {p.message}")
        if report.problem_count > len(report.problems):
            lines.append(f"  … and {report.problem_count - len(report.problems)} more")
    return "\n".join(lines)


def summary(report):
    """One line for people: what was checked, against which key, and the verdict."""
    if report.ok:
        return (f"VERIFIED: {report.records} records of {report.instances} instances"
                f"{' and the access record' if report.access else ''}, {report.checkpoints} "
                f"checkpoints, signed by key {report.key_id}")
    first = report.problems[0] if report.problems else None
    return f"NOT VERIFIED: {report.problem_count} problem(s); first: {first.kind}: {first.message}" if first else \
        "NOT VERIFIED"


if __name__ == "__main__":
    sys.exit(main())
