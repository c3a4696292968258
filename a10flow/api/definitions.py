"""/api/v1/definitions: deploy BPMN, DMN and forms; list versions; read the deployed XML."""
from flask import Response, current_app, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..deploy import definitions
from ..errors import Invalid
from ..models import Definition, DefinitionKind, db
from ..people import access
from ..work import forms

blp = Blueprint("definitions", __name__, description="Process and decision definitions")


class DeployedSchema(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()


class ProblemSchema(Schema):
    file = fields.String(allow_none=True)
    element = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    message = fields.String()


class DeployResultSchema(Schema):
    processes = fields.List(fields.Nested(DeployedSchema))
    decisions = fields.List(fields.Nested(DeployedSchema))
    warnings = fields.List(fields.Nested(ProblemSchema))


class VersionSchema(Schema):
    version = fields.Integer()
    name = fields.String()
    filename = fields.String()
    bpmn_sha256 = fields.String(attribute="xml_sha256")
    created_at = fields.DateTime()
    forms = fields.Function(lambda v: sorted(v.forms or {}))


class DefinitionSummarySchema(Schema):
    key = fields.String()
    kind = fields.Function(lambda d: d.kind.value)
    name = fields.String()
    latest_version = fields.Function(lambda d: d.versions[-1].version if d.versions else None)


def _start_form(definition):
    latest = definition.versions[-1] if definition.versions else None
    start = latest.start if latest else {}
    return {"element": start.get("element"), "name": start.get("form"), "schema": forms.for_start(latest),
            "startable_by": {"groups": start.get("groups") or [], "users": start.get("users") or []}} \
        if start else None


class DefinitionSchema(DefinitionSummarySchema):
    description = fields.Function(lambda d: d.versions[-1].description if d.versions else None,
                                  metadata={"type": "string", "nullable": True})
    may_start = fields.Function(lambda d: bool(d.versions) and access.may_start(d.versions[-1], g.user),
                                metadata={"type": "boolean", "description": "whether you may start it"})
    versions = fields.List(fields.Nested(VersionSchema))
    start_form = fields.Function(_start_form, metadata={"type": "object", "nullable": True, "description":
        "the latest version's start event, its form (what POST /api/v1/instances takes as data; schema null: "
        "no data) and who may start it (nobody named: anyone who works on tasks)"})


class DefinitionListSchema(Schema):
    items = fields.List(fields.Nested(DefinitionSummarySchema))


class DefinitionQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf([k.value for k in DefinitionKind]))


UPLOAD_DOC = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                            "description": ".bpmn, .dmn and form .json files, deployed together"}}}}}}}


@blp.route("", methods=["POST"])
@blp.doc(**UPLOAD_DOC)
@blp.response(201, DeployResultSchema)
@blp.alt_response(422, description="The upload cannot be deployed; details name file, element and problem")
@access.require(access.OWNERS)
def deploy():
    """Deploy one or more files; unchanged content creates no new version."""
    uploads = request.files.getlist("file")
    if not uploads:
        raise Invalid("send the files as multipart/form-data parts named 'file'",
                      [{"field": "file", "message": "at least one file is required"}])
    files = [(u.filename, u.read()) for u in uploads]
    return definitions.deploy(files, g.user, current_app.config["A10FLOW_FORMS_DIR"])


@blp.route("", methods=["GET"])
@blp.arguments(DefinitionQuerySchema, location="query")
@blp.response(200, DefinitionListSchema)
@access.require(access.MEMBERS)
def list_definitions(args):
    """Every definition with its latest version."""
    stmt = db.select(Definition).order_by(Definition.key)
    if args.get("kind"):
        stmt = stmt.where(Definition.kind == DefinitionKind(args["kind"]))
    return {"items": db.session.scalars(stmt).all()}


@blp.route("/<key>")
@blp.response(200, DefinitionSchema)
@access.require(access.MEMBERS)
def get_definition(key):
    """A definition and all its versions."""
    return definitions.find(key)


@blp.route("/<key>/versions/<int:number>/bpmn")
@blp.response(200, {"type": "string"}, content_type="application/xml")
@access.require(access.READERS)
def get_xml(key, number):
    """The exact XML that was deployed as this version (BPMN, or DMN for a decision)."""
    version = definitions.version_of(definitions.find(key), number)
    return Response(version.xml, mimetype="application/xml")
