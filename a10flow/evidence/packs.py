"""Evidence packs: what an auditor takes away, and the coverage of each control.

A pack is a ZIP holding, for the instances in scope, their whole evidence chains
(``records.jsonl``), every checkpoint with its signature, the public key, the exact
BPMN/DMN/form versions the records name, a human-readable ``report.html``,
``coverage.json``, ``verify.py`` (a10flow.evidence.verifier, standing alone) and ``FORMAT.md``
(EVIDENCE_FORMAT.md). The
``manifest.json`` lists the SHA-256 of every file and is signed (``manifest.sig``).
"""
import hashlib
import io
import itertools
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import render_template

from .. import clock, controls, definitions, evidence
from ..errors import Invalid
from ..models import DefinitionVersion, Evidence, EvidenceType, HumanTask, Instance, InstanceStatus, TaskStatus, db
from . import checkpoints, verifier
from .canonical import canonical


@dataclass
class Scope:
    """Which evidence: instances with a record in [start, end) for ``control`` (or all)."""
    control: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    instance_id: int | None = None

    def __post_init__(self):
        if self.control is not None:   # as the control property is read: "ISO 27001 A.5.19" is the canonical id
            try:
                named = controls.parse(self.control)
            except ValueError as exc:
                raise Invalid(f"not a control id: {exc}", [{"field": "control", "message": str(exc)}]) from None
            if len(named) != 1:
                raise Invalid("name one control", [{"field": "control", "message": f"names {len(named)} controls"}])
            self.control = named[0]
        # Records are compared as UTC ISO strings: an offset given by the caller is converted.
        self.start = self.start and self.start.astimezone(timezone.utc)
        self.end = self.end and self.end.astimezone(timezone.utc)

    def filename(self):
        """What a pack of this scope is called: its control and period, then when it was made, e.g.
        ``a10flow-evidence_A.10.4_2026-10-01_to_2026-11-01_made_20261201-1530.zip``."""
        parts = [self.control or "all-controls",
                 f"{self.start:%Y-%m-%d}" if self.start else "beginning", "to",
                 f"{self.end:%Y-%m-%d}" if self.end else "now"]
        if self.instance_id is not None:
            parts.append(f"instance-{self.instance_id}")
        return _entry("_".join(["a10flow-evidence", *parts, f"made_{clock.now():%Y%m%d-%H%M%S}"])) + ".zip"

    def as_dict(self):
        return {"control": self.control, "from": self.start and self.start.isoformat(),
                "to": self.end and self.end.isoformat(), "instance": self.instance_id}


def known_controls():
    """Every control id some deployed process version carries, grouped by framework (a10flow.controls.grouped)."""
    return controls.grouped(c for v in db.session.scalars(db.select(DefinitionVersion))
                            for c in definitions.controls_of(v))


def instances(scope):
    """The instances in scope, oldest first: alive in the period, having run a version that carries
    the control (a move to a version without it does not take an instance out). Chosen from the
    instances themselves, not their evidence, so one whose records were deleted is still in scope
    and its pack shows the loss."""
    stmt = db.select(Instance)
    if scope.instance_id is not None:
        stmt = stmt.where(Instance.id == scope.instance_id)
    if scope.start is not None:
        stmt = stmt.where(Instance.updated_at >= scope.start)
    if scope.end is not None:
        stmt = stmt.where(Instance.created_at < scope.end)
    found = db.session.scalars(stmt.order_by(Instance.id)).all()
    return [i for i in found if scope.control is None or scope.control in i.controls]


def _in_period(record, scope):
    return (scope.start is None or record["at"] >= scope.start.isoformat()) and \
        (scope.end is None or record["at"] < scope.end.isoformat())


def _tasks(instance_ids):
    rows = db.session.scalars(db.select(HumanTask).where(HumanTask.instance_id.in_(instance_ids))) \
        if instance_ids else []
    by_instance = {}
    for task in rows:
        by_instance.setdefault(task.instance_id, []).append(task)
    return by_instance


def _late(task, now):
    """Open past its due date, or done or withdrawn after it: cancelling late work does not make it on time."""
    if task.due_at is None:
        return False
    ended = {TaskStatus.OPEN: now, TaskStatus.COMPLETED: task.completed_at, TaskStatus.CANCELLED: task.cancelled_at}
    return (ended[task.status] or now) > task.due_at


def _controls_in_scope(instance, scope):
    return [c for c in instance.controls if scope.control is None or c == scope.control]


def coverage(scope):
    """Per control: instances in the period, completed, completed on time, overdue, escalated.

    Overdue: a task done after its due date, or open past it. Escalated: a task moved
    to others by the ``escalate`` operator (evidence ``task.reassigned``).
    """
    chosen = instances(scope)
    return _coverage(scope, chosen, _tasks([i.id for i in chosen]))


def _coverage(scope, chosen, tasks_of):
    now = clock.now()
    escalated = set(db.session.scalars(db.select(Evidence.instance_id).where(
        Evidence.type == "task.reassigned", Evidence.instance_id.in_([i.id for i in chosen])).distinct())) \
        if chosen else set()
    result = {}
    for instance in chosen:
        late = any(_late(t, now) for t in tasks_of.get(instance.id, []))
        done = instance.status == InstanceStatus.COMPLETED
        for control in _controls_in_scope(instance, scope):
            row = result.setdefault(control, {"control": control, "framework": controls.framework_of(control).name,
                                              "instances": 0, "completed": 0,
                                              "completed_on_time": 0, "overdue": 0, "escalated": 0})
            row["instances"] += 1
            row["completed"] += done
            row["completed_on_time"] += done and not late
            row["overdue"] += late
            row["escalated"] += instance.id in escalated
    return [result[c] for c in sorted(result, key=controls.order)]


def by_framework(rows):
    """Coverage rows (in coverage order) as ``[(framework, [rows…]), …]``."""
    return [(framework, list(group)) for framework, group in itertools.groupby(rows, key=lambda r: r["framework"])]


def export(scope, key_path):
    """The pack, as bytes. Chains are whole: a pack proves its records by itself."""
    signed = checkpoints.rows()   # before the records: every chain then has at least what they saw
    chosen = instances(scope)
    chains = {i.id: evidence.records(i.id) for i in chosen}
    files = {}
    files["records.jsonl"] = b"".join(
        canonical({"instance_id": r["instance_id"], "seq": r["seq"], "record": _unhashed(r), "hash": r["hash"]})
        + b"\n" for i in chosen for r in chains[i.id])
    covered = {}
    if signed and signed[-1]["note"]:   # the chains' heads, proven in the last checkpoint's tree
        proofs = checkpoints.proofs(signed, [i.id for i in chosen])
        covered = {p["instance_id"]: p["length"] for p in proofs["chains"]}
        files["checkpoint.txt"] = signed[-1]["note"].encode("utf-8")
        files["proofs.json"] = json.dumps(proofs, indent=1).encode()
    uncovered = sum(len(chains[i.id]) - covered.get(i.id, 0) for i in chosen)
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
        folder = ("definitions", version.definition.key, f"v{version.version}")
        files[_entry(*folder, version.filename)] = version.xml.encode("utf-8")
        for name, text in sorted((version.files or {}).items()):
            files[_entry(*folder, name)] = text.encode("utf-8")
    tasks_of = _tasks([i.id for i in chosen])   # the same instances and tasks for coverage and report
    rows = _coverage(scope, chosen, tasks_of)
    files["coverage.json"] = json.dumps(rows, indent=1).encode()
    files["report.html"] = _report(scope, chosen, chains, rows, tasks_of, checkpoints.key_id(key_path), uncovered) \
        .encode("utf-8")
    files["verify.py"] = _verifier()
    with open(os.path.join(os.path.dirname(verifier.__file__), "EVIDENCE_FORMAT.md"), "rb") as f:
        files["FORMAT.md"] = f.read()
    manifest = canonical({"made_at": clock.now().isoformat(), "scope": scope.as_dict(),
                          "instances": [i.id for i in chosen], "key_id": checkpoints.key_id(key_path),
                          "uncovered_records": uncovered,
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


def _entry(*parts):
    """A name inside the ZIP built from safe parts only: no part can climb out of its folder."""
    safe = ["".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in p).strip(".") or "_"
            for p in parts]
    return "/".join(safe)


def _unhashed(record):
    return {k: v for k, v in record.items() if k != "hash"}


def _report(scope, chosen, chains, covered, tasks_of, key_id, uncovered):
    now = clock.now()
    by_control = {}
    for instance in chosen:
        for control in _controls_in_scope(instance, scope):
            by_control.setdefault(control, []).append(instance)
    sections = []
    for row in covered:
        items = []
        for instance in by_control.get(row["control"], []):
            open_items = [{"name": t.name, "assignee": t.assignee, "due_at": t.due_at, "overdue": _late(t, now)}
                          for t in tasks_of.get(instance.id, []) if t.status == TaskStatus.OPEN]
            timeline = [{"at": r["at"], "who": r["actor"].get("name") or r["actor"].get("id"), "what": r["type"],
                         "element": r["element"].get("name") or r["element"].get("id") or "",
                         "data": _summary(r["data"])}
                        for r in chains[instance.id] if _in_period(r, scope)]
            items.append({"instance": instance, "timeline": timeline, "open_items": open_items})
        sections.append({"coverage": row, "framework": row["framework"], "instances": items})
    return render_template("evidence_report.html", scope=scope.as_dict(), made_at=now, sections=sections,
                           groups=by_framework(sections), uncovered=uncovered,
                           total=len(chosen), key_id=key_id, verifier_sha256=verifier_sha256())


def _summary(data, limit=300):
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "…"
