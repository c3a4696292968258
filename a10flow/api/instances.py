"""/api/v1/instances: start, list, read and cancel process instances; read their evidence."""
from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import evidence, step
from ..deploy import definitions
from ..evidence import personal
from ..limits import MAX_BUSINESS_KEY
from ..models import DefinitionKind, InstanceStatus, MessageWait, Timer, db
from ..people import access
from ..processes import incidents, instances
from ..work import human_tasks
from . import Id
from .incidents import IncidentSchema
from .tasks import TaskSchema
from .timers import WaitingTimerSchema

blp = Blueprint("instances", __name__, description="Process instances and their evidence")


class InstanceSummarySchema(Schema):
    id = fields.Integer()
    process = fields.Function(lambda i: {"key": i.version.definition.key, "version": i.version.version,
                                         "name": i.version.name})
    business_key = fields.String(allow_none=True)
    status = fields.Function(lambda i: i.status.value)
    error = fields.Dict(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class InstanceSchema(InstanceSummarySchema):
    data = fields.Dict()
    open_tasks = fields.Method("_open_tasks")
    timers = fields.Method("_timers")
    messages = fields.Method("_messages", metadata={"description": "the BPMN messages it waits for"})
    incidents = fields.Method("_incidents", metadata={
        "type": "array", "items": {"$ref": "#/components/schemas/Incident"},
        "description": "its failed elements, resolved ones too"})

    def _incidents(self, instance):
        return _INCIDENTS.dump(incidents.of_instance(instance.id))

    def _open_tasks(self, instance):
        return _TASKS.dump(human_tasks.open_tasks(instance.id))

    def _messages(self, instance):
        rows = db.session.scalars(db.select(MessageWait).where(MessageWait.instance_id == instance.id)
                                  .order_by(MessageWait.id))
        return [{"message": w.message, "element_id": w.element_id, "task_id": w.task_id} for w in rows]

    def _timers(self, instance):
        rows = db.session.scalars(db.select(Timer).where(Timer.instance_id == instance.id)
                                  .order_by(Timer.due_at))
        return _TIMERS.dump(rows)


_TASKS, _TIMERS, _INCIDENTS = TaskSchema(many=True), WaitingTimerSchema(many=True), IncidentSchema(many=True)


class InstanceListSchema(Schema):
    items = fields.List(fields.Nested(InstanceSummarySchema))


class StartSchema(Schema):
    process = fields.String(required=True)
    version = Id()
    business_key = fields.String(allow_none=True, metadata={"maxLength": MAX_BUSINESS_KEY})   # checked by the step
    data = fields.Dict(load_default=dict)


class InstanceQuerySchema(Schema):
    process = fields.String()
    status = fields.String(validate=validate.OneOf([s.value for s in InstanceStatus]))
    business_key = fields.String()


class CancelSchema(Schema):
    # Required, but checked by the step (422 naming it), after who may cancel: a refused caller learns nothing.
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True,
                           metadata={"description": "why it is cancelled (required): kept as evidence"})


class MigrateSchema(Schema):
    version = Id(metadata={"description": "the version to move to; default: the latest"})


class EvidenceSchema(Schema):
    items = fields.List(fields.Dict())


@blp.route("", methods=["POST"])
@blp.arguments(StartSchema)
@blp.response(201, InstanceSchema)
@access.require(access.WORKERS)
def start(args):
    """Start an instance of the latest (or the given) version; its open tasks come back at once."""
    definition = definitions.find(args["process"], DefinitionKind.PROCESS)
    version = definitions.version_of(definition, args.get("version"))
    return step.start_instance(version, g.user, args["data"], args.get("business_key"))


@blp.route("", methods=["GET"])
@blp.arguments(InstanceQuerySchema, location="query")
@blp.response(200, InstanceListSchema)
def list_instances(args):
    """Instances, newest first, filtered by process, status and business key."""
    return {"items": instances.find(g.user, args.get("process"), args.get("status"), args.get("business_key"))}


@blp.route("/<int:instance_id>")
@blp.response(200, InstanceSchema)
def get_instance(instance_id):
    """An instance: status, data, open tasks and waiting timers."""
    return access.instance(instance_id, g.user)


@blp.route("/<int:instance_id>/cancel", methods=["POST"])
@blp.arguments(CancelSchema)
@blp.response(200, InstanceSchema)
@access.require(access.OWNERS)
def cancel(args, instance_id):
    """Cancel a running instance; its open tasks are withdrawn."""
    return step.cancel_instance(instance_id, g.user, args.get("reason"))


@blp.route("/<int:instance_id>/evidence")
@blp.response(200, EvidenceSchema)
@access.require(access.READERS)
def get_evidence(instance_id):
    """The instance's evidence chain, oldest first, each record with prev_hash and hash.

    ``personal`` (outside the hashed record) holds the values of personal form fields,
    by JSON Pointer; the record itself holds only their salted hashes."""
    return {"items": personal.attach(evidence.records(access.instance(instance_id, g.user).id))}


@blp.route("/<int:instance_id>/retry", methods=["POST"])
@blp.response(200, InstanceSchema)
@blp.alt_response(409, description="The instance has not failed")
@blp.alt_response(422, description="It failed again, at the element named; it stays failed")
@access.require(access.OWNERS)
def retry(instance_id):
    """Run a failed instance on from where it stopped (once its cause is gone)."""
    return step.retry_instance(instance_id, g.user)


@blp.route("/<int:instance_id>/migrate", methods=["POST"])
@blp.arguments(MigrateSchema)
@blp.response(200, InstanceSchema)
@blp.alt_response(409, description="It has ended, the version is not newer, or the change does not allow "
                                   "the move: the details name each element in the way")
@access.require(access.OWNERS)
def migrate(args, instance_id):
    """Move a running instance to a newer version of its process (e.g. one that corrects the
    script its incident is about); then retry the incident."""
    return step.migrate_instance(instance_id, g.user, args.get("version"))
