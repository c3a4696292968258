"""/api/v1/evidence: the signing key, checkpoints, and verification of all evidence."""
from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from .. import checkpoints, evidence
from ..auth import load_user, require
from ..models import Role

blp = Blueprint("evidence", __name__, description="Evidence integrity: checkpoints, verification, packs")
PUBLIC = {"evidence.public_key"}   # published: verifiers need no account


@blp.before_request
def _sign_in():
    if request.endpoint not in PUBLIC:
        load_user()


def _key_path():
    return current_app.config["A10FLOW_SIGNING_KEY"]


class PublicKeySchema(Schema):
    algorithm = fields.String()
    key_id = fields.String(metadata={"description": "SHA-256 of the raw public key; checkpoints name it"})
    pem = fields.String(metadata={"description": "the public key, PEM (SubjectPublicKeyInfo)"})


class CheckpointSchema(Schema):
    seq = fields.Integer()
    at = fields.String()
    hash = fields.String()
    prev_hash = fields.String(allow_none=True)
    signature = fields.String(metadata={"description": "Ed25519 over `record`, base64"})
    record = fields.String(metadata={"description": "the canonical JSON that was hashed and signed"})


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
    unprotected_records = fields.Integer(metadata={"description": "records newer than the last checkpoint"})
    problem_count = fields.Integer()
    first_problem = fields.Nested(ChainProblemSchema, allow_none=True)
    problems = fields.List(fields.Nested(ChainProblemSchema))


@blp.route("/public-key")
@blp.response(200, PublicKeySchema)
def public_key():
    """The key that signs checkpoints and packs. Public: no sign-in needed."""
    return {"algorithm": "Ed25519", "key_id": checkpoints.key_id(_key_path()),
            "pem": checkpoints.public_key_pem(_key_path()).decode("ascii")}


@blp.route("/checkpoints")
@blp.response(200, CheckpointListSchema)
@require(Role.OWNER, Role.AUDITOR)
def list_checkpoints():
    """Every checkpoint, oldest first."""
    return {"items": checkpoints.all_checkpoints()}


@blp.route("/checkpoints", methods=["POST"])
@blp.response(200, MadeSchema)
@require(Role.OWNER, Role.AUDITOR)
def make_checkpoint():
    """Sign a checkpoint now (the scheduler also makes one every A10FLOW_CHECKPOINT_MINUTES)."""
    made = checkpoints.make(_key_path())
    return {"created": made is not None, "checkpoint": made or checkpoints.latest()}


@blp.route("/verify")
@blp.response(200, ReportSchema)
@require(Role.OWNER, Role.AUDITOR)
def verify():
    """Recompute every chain and checkpoint; ``ok`` is false, with the first bad record named,
    when anything was edited, deleted, reordered, inserted, truncated or forged."""
    return evidence.verify(_key_path()).as_dict()

