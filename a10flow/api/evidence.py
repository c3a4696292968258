"""/api/v1/evidence: the signing key, checkpoints, and verification of all evidence."""
import io
from datetime import timezone

from flask import current_app, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import evidence
from ..evidence import checkpoints, packs, scope
from ..people import access
from . import Id

blp = Blueprint("evidence", __name__, description="Evidence integrity: checkpoints, verification, packs")


def _key_path():
    return current_app.config["A10FLOW_SIGNING_KEY"]


class PublicKeySchema(Schema):
    algorithm = fields.String()
    key_id = fields.String(metadata={"description": "SHA-256 of the raw public key; checkpoints name it"})
    origin = fields.String(metadata={"description": "the log's name: the first line of every checkpoint note"})
    note_verifier_key = fields.String(metadata={
        "description": "the key as signed-note verifiers take it: name+key ID (hex)+base64(0x01 || key)"})
    pem = fields.String(metadata={"description": "the public key, PEM (SubjectPublicKeyInfo)"})
    verifier_sha256 = fields.String(metadata={"description": "SHA-256 of the verify.py every pack carries: "
                                                             "compare it before running a pack's copy"})


class CheckpointSchema(Schema):
    seq = fields.Integer()
    at = fields.String()
    hash = fields.String()
    prev_hash = fields.String(allow_none=True)
    signature = fields.String(metadata={"description": "Ed25519 over `record`, base64"})
    record = fields.String(metadata={"description": "the canonical JSON that was hashed and signed"})
    note = fields.String(allow_none=True, metadata={
        "description": "the tree size and root hash as a C2SP tlog-checkpoint signed note (c2sp.org/tlog-checkpoint)"})


class CheckpointListSchema(Schema):
    items = fields.List(fields.Nested(CheckpointSchema))


class MadeSchema(Schema):
    created = fields.Boolean(metadata={"description": "false when no chain grew since the last checkpoint"})
    checkpoint = fields.Nested(CheckpointSchema, allow_none=True)


class ChainProblemSchema(Schema):
    kind = fields.String()
    message = fields.String()
    instance_id = fields.Integer(allow_none=True)
    seq = fields.Integer(allow_none=True)
    checkpoint = fields.Integer(allow_none=True)


class ReportSchema(Schema):
    ok = fields.Boolean()
    records = fields.Integer()
    instances = fields.Integer()
    checkpoints = fields.Integer()
    unprotected_records = fields.Integer(metadata={"description": "records no signed checkpoint covers yet"})
    problem_count = fields.Integer()
    key_id = fields.String(metadata={"description": "the key the checkpoints were checked against"})
    first_problem = fields.Nested(ChainProblemSchema, allow_none=True)
    problems = fields.List(fields.Nested(ChainProblemSchema))


@blp.route("/public-key")
@blp.response(200, PublicKeySchema)
def public_key():
    """The key that signs checkpoints and packs. Public: no sign-in needed."""
    return {"algorithm": "Ed25519", "key_id": checkpoints.key_id(_key_path()),
            "pem": checkpoints.public_key_pem(_key_path()).decode("ascii"), "verifier_sha256": packs.verifier_sha256(),
            "origin": checkpoints.origin(), "note_verifier_key": checkpoints.verifier_key(_key_path())}


@blp.route("/checkpoints")
@blp.response(200, CheckpointListSchema)
@access.require(access.READERS)
def list_checkpoints():
    """Every checkpoint, oldest first."""
    return {"items": checkpoints.all_checkpoints()}


@blp.route("/checkpoints", methods=["POST"])
@blp.response(200, MadeSchema)
@access.require(access.OWNERS)
def make_checkpoint():
    """Sign a checkpoint now (the scheduler also makes one every A10FLOW_CHECKPOINT_MINUTES)."""
    made = checkpoints.make(_key_path())
    return {"created": made is not None, "checkpoint": made or checkpoints.latest()}


@blp.route("/verify")
@blp.response(200, ReportSchema)
@access.require(access.READERS)
def verify():
    """Recompute every chain and checkpoint; ``ok`` is false, with the first bad record named,
    when anything was edited, deleted, reordered, inserted, truncated or forged."""
    return evidence.verify(_key_path()).as_dict()



class ScopeSchema(Schema):
    control = fields.String(metadata={"description": "a control id, e.g. A.10.3"})
    from_ = fields.AwareDateTime(data_key="from", default_timezone=timezone.utc,
                                 metadata={"description": "records at or after (UTC unless an offset is given)"})
    to = fields.AwareDateTime(default_timezone=timezone.utc, metadata={"description": "records before"})
    instance = Id()   # the period is checked as the Scope is made: a10flow.evidence.scope.unordered


def _scope(args):
    return scope.Scope(args.get("control"), args.get("from_"), args.get("to"), args.get("instance"))


class CoverageRowSchema(Schema):
    control = fields.String(metadata={"description": "a canonical control id: A.10.3, ISO/IEC 27001 A.5.19, …"})
    framework = fields.String(metadata={"description": "ISO/IEC 42001 Annex A, ISO/IEC 27001 Annex A or EU AI Act"})
    instances = fields.Integer()
    completed = fields.Integer()
    completed_on_time = fields.Integer()
    overdue = fields.Integer(metadata={"description": "a task done late, or open past its due date"})
    escalated = fields.Integer(metadata={"description": "a task moved on by the escalate operator"})


class CoverageSchema(Schema):
    items = fields.List(fields.Nested(CoverageRowSchema))


@blp.route("/coverage")
@blp.arguments(ScopeSchema, location="query")
@blp.response(200, CoverageSchema)
@access.require(access.READERS)
def coverage(args):
    """Per control: instances with evidence in the period, completed, on time, overdue, escalated."""
    return {"items": scope.coverage(_scope(args))}


class ExportSchema(ScopeSchema):
    document_max_bytes = fields.Integer(validate=validate.Range(min=0), metadata={
        "description": "the largest document the pack carries (default A10FLOW_PACK_DOCUMENT_MAX_BYTES); a larger "
                       "one is listed with its SHA-256 and download address"})


@blp.route("/export")
@blp.arguments(ExportSchema, location="query")
@blp.response(200, description="The evidence pack (ZIP)", content_type="application/zip")
@access.require(access.READERS)
def export(args):
    """An evidence pack of the instances in scope: records, checkpoints, public key, process
    versions, report.html, coverage.json, verify.py and a signed manifest."""
    chosen = _scope(args)
    data = packs.export(chosen, _key_path(), document_max_bytes=args.get("document_max_bytes"))
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=packs.filename(chosen))
