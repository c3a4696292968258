"""Evidence packs: what an auditor takes away.

A pack is a ZIP holding, for the instances in scope (and the access record, for all controls or
one of access.CONTROLS), their evidence chains (``records.jsonl``:
whole for a pack of instances or of all evidence; for a pack of a period, the records inside it
whole and the rest as stubs, enough for the chains to verify and nothing of their content), the
last checkpoint's signed note with an inclusion proof of each chain's
head (every checkpoint too in a pack of all evidence), the public key, the exact BPMN/DMN/form
versions the instances ran, the documents the records name (``documents/<sha256>`` and
``documents.json``: a10flow.evidence.pack_documents), a human-readable ``report.html``, ``coverage.json``, the Statement
of Applicability extract, ``verify.py`` (a10flow.evidence.verifier, standing alone) and
``FORMAT.md`` (EVIDENCE_FORMAT.md). The ``manifest.json`` lists the SHA-256 of every file and
is signed (``manifest.sig``).
"""
import hashlib
import io
import json
import os
import zipfile

from flask import current_app

from .. import clock, evidence
from ..database import end_read
from ..deploy import definitions
from ..models import EvidenceType
from . import access, applicability, checkpoints, pack_documents, report, verifier
from .canonical import canonical
from .scope import controls_in_scope, coverage_of, in_period, instances, tasks_by_instance


def filename(scope):
    """What a pack of ``scope`` is called: its control and period, then when it was made, e.g.
    ``a10flow-evidence_A.10.4_2026-10-01_to_2026-11-01_made_20261201-1530.zip``."""
    parts = [scope.control or "all-controls",
             f"{scope.start:%Y-%m-%d}" if scope.start else "beginning", "to",
             f"{scope.end:%Y-%m-%d}" if scope.end else "now"]
    if scope.instance_id is not None:
        parts.append(f"instance-{scope.instance_id}")
    return _entry("_".join(["a10flow-evidence", *parts, f"made_{clock.now():%Y%m%d-%H%M%S}"])) + ".zip"


def export(scope, key_path, within=None, document_max_bytes=None):
    """The pack, as bytes. A pack proves its records by itself: each chain is there from its first
    record to its head. In a pack for a period (and not for one instance), a record outside the
    period is a stub, whoever exports it. ``within``: the controls an engagement lets its reader
    see (None: all); the Statement of Applicability says nothing of the others. The documents its
    whole records name are in it up to ``document_max_bytes`` each (None: A10FLOW_PACK_DOCUMENT_MAX_BYTES);
    a larger one is listed with its SHA-256 and download address."""
    most = current_app.config["A10FLOW_PACK_DOCUMENT_MAX_BYTES"] if document_max_bytes is None \
        else document_max_bytes
    signed = checkpoints.rows()   # before the records: every chain then has at least what they saw
    chosen = instances(scope)
    chains = {i.id: evidence.records(i.id) for i in chosen}
    if access.in_scope(scope):
        chains[access.ACCESS] = evidence.records(access.ACCESS)
    files, redacted = {}, 0
    lines, held_whole = [], []
    for r in (r for chain in sorted(chains) for r in chains[chain]):
        whole = not is_period(scope) or in_period(r, scope)
        redacted += not whole
        held_whole += [r] if whole else []
        lines.append(canonical({"instance_id": r["instance_id"], "seq": r["seq"],
                                "record": _unhashed(r) if whole else stub(r), "hash": r["hash"]}) + b"\n")
    files["records.jsonl"] = b"".join(lines)
    carried, listing = pack_documents.gather(held_whole, most)   # only what whole records name: a stub names nothing
    files.update(carried)
    files["documents.json"] = json.dumps(listing, indent=1).encode()
    covered = {}
    if signed and signed[-1]["note"]:   # the chains' heads, proven in the last checkpoint's tree
        proofs = checkpoints.proofs(signed, sorted(chains))
        covered = {p["instance_id"]: p["length"] for p in proofs["chains"]}
        files["checkpoint.txt"] = signed[-1]["note"].encode("utf-8")
        files["proofs.json"] = json.dumps(proofs, indent=1).encode()
    uncovered = sum(len(chain) - covered.get(i, 0) for i, chain in chains.items())
    if not any(scope.as_dict().values()):   # all evidence: every checkpoint too, which names every chain
        files["checkpoints.json"] = json.dumps(signed, indent=1).encode()
    files["public-key.pem"] = checkpoints.public_key_pem(key_path)
    versions = {i.version.id: i.version for i in chosen}
    for instance in chosen:   # and the versions a migrated instance ran before
        for r in chains[instance.id]:
            if r["type"] == EvidenceType.INSTANCE_MIGRATED:
                earlier = definitions.version_of(instance.version.definition, r["data"]["from"]["version"])
                versions[earlier.id] = earlier
    for version in versions.values():
        files[f"{_folder(version)}/{_entry(version.filename)}"] = version.xml.encode("utf-8")
        for name, text in sorted((version.files or {}).items()):
            files[f"{_folder(version)}/{_entry(name)}"] = text.encode("utf-8")
    tasks_of = tasks_by_instance([i.id for i in chosen])   # the same instances and tasks for coverage and report
    rows = coverage_of(scope, chosen, tasks_of)
    files["coverage.json"] = json.dumps(rows, indent=1).encode()
    by_control = {}
    for instance in chosen:
        for control in controls_in_scope(instance, scope):
            by_control.setdefault(control, []).append(instance)
    soa = applicability.extract(scope, {c: [i.id for i in found] for c, found in by_control.items()}, set(versions),
                                _folder, within)
    files["statement-of-applicability.json"] = json.dumps(soa, indent=1).encode()
    key_id = checkpoints.key_id(key_path)
    held = access.held(scope.start, scope.end) if access.ACCESS in chains else None
    html = report.render(scope, by_control, chains, rows, tasks_of, key_id, uncovered, soa, chosen, verifier_sha256(),
                         redacted, held, listing)
    files["report.html"] = html.encode("utf-8")
    ids = [i.id for i in chosen]
    end_read()   # on SQLite the reads hold the write lock, and the PDF takes its time
    files["report.pdf"] = report.pdf(html)
    files["verify.py"] = _verifier()
    with open(os.path.join(os.path.dirname(verifier.__file__), "EVIDENCE_FORMAT.md"), "rb") as f:
        files["FORMAT.md"] = f.read()
    manifest = canonical({"made_at": clock.now().isoformat(), "scope": scope.as_dict(),
                          "instances": ids, "access_record": access.ACCESS in chains, "key_id": key_id, "origin": checkpoints.origin(),
                          "uncovered_records": uncovered, "redacted_records": redacted, "document_max_bytes": most,
                          "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())}})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as pack:
        for name, data in sorted(files.items()):
            pack.writestr(name, data)
        pack.writestr("manifest.json", manifest)
        pack.writestr("manifest.sig", checkpoints.sign(key_path, manifest))
    return out.getvalue()


def _verifier():
    with open(verifier.__file__, "rb") as f:
        return f.read()


def verifier_sha256():
    """The SHA-256 of the verify.py packs carry, published so an auditor can check a pack's copy."""
    return hashlib.sha256(_verifier()).hexdigest()


def _folder(version):
    """Where a process version's files are in the pack."""
    return _entry("definitions", version.definition.key, f"v{version.version}")


def _entry(*parts):
    """A name inside the ZIP built from safe parts only: no part can climb out of its folder."""
    safe = ["".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in p).strip(".") or "_"
            for p in parts]
    return "/".join(safe)


def _unhashed(record):
    return {k: v for k, v in record.items() if k != "hash"}


def is_period(scope):
    """Whether a pack of ``scope`` is one of a period (not of one instance, nor of everything)."""
    return scope.instance_id is None and (scope.start is not None or scope.end is not None)


def stub(record):
    """What a pack for a period keeps of a record outside it: its place, kind and time, and its link
    to the record before; its hash stays beside it (see verifier.is_stub)."""
    return {"redacted": "outside the pack's period", "instance_id": record["instance_id"], "seq": record["seq"],
            "type": record["type"], "at": record["at"], "prev_hash": record["prev_hash"]}
