"""Verify a10flow evidence: per-instance hash chains, signed checkpoints, evidence packs.

This file stands alone (the Python standard library and ``cryptography``): every
evidence pack carries a copy, so an auditor can check a pack without a10flow::

    pip install cryptography && python verify.py pack.zip [--key published-key.pem]

What is checked (FORMAT.md, a10flow/EVIDENCE_FORMAT.md, gives the formats):

- each record's hash is the SHA-256 of its canonical JSON, and it names the hash of
  the record before it (``prev_hash``) and its own place (``instance_id``, ``seq``);
- each checkpoint is the canonical JSON of ``{seq, at, chains, prev_hash, key_id}``,
  hashed the same way, chained to the one before, and signed with Ed25519; its
  ``chains`` give, for every chain that grew, its length and head hash then;
- every chain still has at least the records a checkpoint saw, ending in that head.

The first problem of each chain is reported, named by instance and seq, with a kind:
edited, deleted, reordered, inserted, truncated, instance_deleted, checkpoint_forged,
checkpoint_missing, or for packs file_changed and wrong_key.
"""
import base64
import hashlib
import json
import sys
import zipfile
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MAX_PROBLEMS = 100   # a wrecked database should not make a report too big to read


def canonical(value):
    """The bytes a10flow hashes: JSON, UTF-8, keys sorted, no whitespace, no floats."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def digest(value):
    return hashlib.sha256(canonical(value)).hexdigest()


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
    checkpoints: int = 0
    unprotected: int = 0      # records newer than the last checkpoint: chained, not yet signed
    problems: list = None

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
        return {"ok": self.ok, "records": self.records, "instances": self.instances,
                "checkpoints": self.checkpoints, "unprotected_records": self.unprotected,
                "problem_count": self.problem_count,
                "first_problem": asdict(self.problems[0]) if self.problems else None,
                "problems": [asdict(p) for p in self.problems]}


def check_checkpoints(checkpoints, public_key_pem, report):
    """Check the checkpoint chain and signatures; return what they saw of each chain:
    ``{instance_id: [(length, head, checkpoint seq), ...]}``. Forged ones are left out."""
    key = load_pem_public_key(public_key_pem)
    key_id = hashlib.sha256(key.public_bytes_raw()).hexdigest()
    seen, prev_hash = {}, None
    for expected_seq, row in enumerate(checkpoints, start=1):
        report.checkpoints += 1
        record = json.loads(row["record"])
        if digest(record) != row["hash"]:
            report.add(Problem("checkpoint_forged", "its content does not match its hash", checkpoint=row["seq"]))
            continue
        try:
            key.verify(base64.b64decode(row["signature"]), canonical(record))
        except (InvalidSignature, ValueError):
            report.add(Problem("checkpoint_forged", "its signature is not valid for the published key",
                               checkpoint=row["seq"]))
            continue
        if record.get("key_id") != key_id:
            report.add(Problem("checkpoint_forged", "it names a different signing key", checkpoint=row["seq"]))
            continue
        if record["seq"] != expected_seq or record["prev_hash"] != prev_hash:
            report.add(Problem("checkpoint_missing", f"checkpoint {expected_seq} (or one before it) is missing",
                               checkpoint=record["seq"]))
        prev_hash = row["hash"]
        for chain in record["chains"]:
            seen.setdefault(chain["instance_id"], []).append((chain["length"], chain["head"],
                                                              f"checkpoint {record['seq']}"))
    return seen


def check_chain(instance_id, rows, saw=()):
    """The first problem of one instance's chain, or None.

    ``rows``: ``(seq, record_json, hash)`` as stored, in seq order. ``saw``: what
    checkpoints (or the instance row) recorded of it, as (length, head, source).
    """
    parsed, hashes = [], set()
    for seq, text, stored in rows:
        try:
            record = json.loads(text)
        except ValueError:
            return Problem("edited", "the record is not JSON any more", instance_id, seq)
        if digest(record) != stored:
            return Problem("edited", "the record was changed: it no longer matches its hash", instance_id, seq)
        if record.get("instance_id") != instance_id:
            return Problem("inserted", f"the record belongs to instance {record.get('instance_id')}", instance_id, seq)
        parsed.append((seq, record, stored))
        hashes.add(stored)
    prev, previous_seq = None, 0
    for seq, record, stored in parsed:
        own = record.get("seq")
        if record.get("prev_hash") == prev and own == seq == previous_seq + 1:
            prev, previous_seq = stored, seq
            continue
        if seq != previous_seq + 1 and own == seq:
            return Problem("deleted", f"record {previous_seq + 1} is missing", instance_id, previous_seq + 1)
        if own is not None and own > seq and record.get("prev_hash") not in hashes:
            return Problem("deleted", f"a record before this one was deleted and the rest renumbered "
                                      f"(it was record {own})", instance_id, seq)
        if own is not None and own < seq:
            return Problem("inserted", f"record {seq - 1} is not part of the chain: a record was inserted "
                                       f"(the next one was record {own})", instance_id, seq - 1)
        if own != seq:
            return Problem("reordered", f"record {own} is stored in place {seq}", instance_id, seq)
        if record.get("prev_hash") not in hashes:
            return Problem("edited", "the record before this one was changed and its hash rewritten",
                           instance_id, seq - 1)
        return Problem("reordered", "the record does not follow the one stored before it", instance_id, seq)
    by_seq = {seq: stored for seq, _, stored in parsed}
    for length, head, source in sorted(saw):
        if length > len(parsed):
            return Problem("truncated", f"{source} saw {length} records; {len(parsed)} remain",
                           instance_id, len(parsed) + 1)
        if by_seq.get(length) != head:
            return Problem("edited", f"the chain was rewritten: record {length} differs from what {source} saw",
                           instance_id, length)
    return None


def verify(chains, checkpoints, public_key_pem, instance_heads=None):
    """Check everything; returns a Report.

    ``chains``: ``(instance_id, rows)`` for each instance, rows as check_chain takes
    them (a stream: one chain is held at a time). ``checkpoints``: rows with seq,
    record, hash and signature, in seq order. ``instance_heads``: optionally the
    service's own ``{instance_id: (length, head)}``, checked like a checkpoint.
    """
    report = Report()
    seen = check_checkpoints(checkpoints, public_key_pem, report) if checkpoints else {}
    signed = {i: max(n for n, _, _ in saws) for i, saws in seen.items()}
    for instance_id, (length, head) in (instance_heads or {}).items():
        seen.setdefault(instance_id, []).append((length, head, "the instance row"))
    for instance_id, rows in chains:
        rows = list(rows)
        report.instances += 1
        report.records += len(rows)
        report.unprotected += max(0, len(rows) - signed.get(instance_id, 0))
        problem = check_chain(instance_id, rows, seen.pop(instance_id, []))
        if problem:
            report.add(problem)
    for instance_id, saws in sorted(seen.items()):
        length, _, source = max(saws)
        report.add(Problem("instance_deleted", f"every record of the instance is gone; {source} saw {length}",
                           instance_id, 1))
    return report


def verify_pack(path, trusted_key_pem=None):
    """Check an evidence pack (a ZIP made by ``a10flow evidence export``); returns a Report.

    ``trusted_key_pem``: the key the service publishes (GET /api/v1/evidence/public-key).
    Without it the pack's own key is used, and only its key id says whose it is.
    """
    report = Report()
    try:
        pack = zipfile.ZipFile(path)
        manifest_bytes, public_key = pack.read("manifest.json"), pack.read("public-key.pem")
        key = load_pem_public_key(public_key)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        report.add(Problem("file_changed", f"this is not an evidence pack, or a part of it is gone: {exc}"))
        return report
    with pack:
        names = set(pack.namelist())
        if trusted_key_pem is not None and \
                load_pem_public_key(trusted_key_pem).public_bytes_raw() != key.public_bytes_raw():
            report.add(Problem("wrong_key", "the pack was signed with a key other than the one you trust"))
            return report
        try:
            key.verify(base64.b64decode(pack.read("manifest.sig")), manifest_bytes)
        except (InvalidSignature, ValueError, KeyError):
            report.add(Problem("file_changed", "manifest.json does not match its signature (manifest.sig)"))
            return report
        manifest = json.loads(manifest_bytes)
        for name, expected in sorted(manifest["files"].items()):
            if name not in names:
                report.add(Problem("file_changed", f"{name} is missing from the pack"))
            elif hashlib.sha256(pack.read(name)).hexdigest() != expected:
                report.add(Problem("file_changed", f"{name} was changed: its SHA-256 is not the manifest's"))
        for name in sorted(names - set(manifest["files"]) - {"manifest.json", "manifest.sig"}):
            report.add(Problem("file_changed", f"{name} was added to the pack after it was made"))
        if not report.ok:
            return report
        checkpoints = json.loads(pack.read("checkpoints.json"))
        records = [json.loads(line) for line in pack.read("records.jsonl").decode("utf-8").splitlines() if line]
    chains = {}
    for row in records:
        chains.setdefault(row["instance_id"], []).append((row["seq"], canonical(row["record"]), row["hash"]))
    checked = verify(sorted(chains.items()), checkpoints, public_key)
    for problem in checked.problems:
        # Checkpoints name every instance; the pack holds the chains of those in its scope.
        if problem.kind != "instance_deleted" or problem.instance_id in manifest["instances"]:
            report.add(problem)
    report.records, report.instances = checked.records, checked.instances
    report.checkpoints, report.unprotected = checked.checkpoints, checked.unprotected
    return report


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (1, 3) or (len(argv) == 3 and argv[1] != "--key"):
        print("usage: python verify.py pack.zip [--key published-key.pem]", file=sys.stderr)
        return 2
    trusted = None
    if len(argv) == 3:
        with open(argv[2], "rb") as f:
            trusted = f.read()
    report = verify_pack(argv[0], trusted)
    print(json.dumps(report.as_dict(), indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
