"""/api/v1/incidents: elements of instances that failed; retry them or resolve them by hand."""
from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import step
from ..models import IncidentStatus
from ..people import access
from ..processes import incidents
from . import Id

blp = Blueprint("incidents", __name__, description="Failed elements of instances, retried or resolved")


class IncidentSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    element_id = fields.String(allow_none=True)
    element_name = fields.String(allow_none=True)
    error = fields.String()
    status = fields.Enum(IncidentStatus, by_value=True, metadata={
        "description": "retrying (the scheduler tries the service task again at next_attempt_at), "
                       "open (needs a person: retry or resolve), resolved"})
    attempts = fields.Integer()
    first_failed_at = fields.DateTime()
    last_failed_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    step_rolled_back = fields.Function(lambda i: i.task_id is None, metadata={"type": "boolean",
        "description": "true when the failed step kept nothing (retry runs the instance on from where it was)"})
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)


class IncidentListSchema(Schema):
    items = fields.List(fields.Nested(IncidentSchema))


class IncidentQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in IncidentStatus]),
                           metadata={"description": "default: open and retrying"})
    instance = Id()
    process = fields.String()


class RetrySchema(Schema):
    data = fields.Dict(load_default=None, metadata={"description": "merged into the element's data first"})


class ResolveSchema(Schema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                            metadata={"description": "why it may be closed, for the evidence"})
    data = fields.Dict(load_default=None, metadata={"description": "what the element would have given"})


@blp.route("")
@blp.arguments(IncidentQuerySchema, location="query")
@blp.response(200, IncidentListSchema)
@access.require(access.READERS)
def list_incidents(args):
    """Incidents, the latest failure first (at most 500); by default those not yet resolved."""
    return {"items": incidents.find(args.get("status"), args.get("instance"), args.get("process"))}


@blp.route("/<int:incident_id>")
@blp.response(200, IncidentSchema)
@access.require(access.READERS)
def get_incident(incident_id):
    """One incident."""
    return incidents.get(incident_id)


@blp.route("/<int:incident_id>/retry", methods=["POST"])
@blp.arguments(RetrySchema)
@blp.response(200, IncidentSchema)
@blp.alt_response(409, description="Already resolved")
@blp.alt_response(422, description="It failed again; the incident counts the attempt")
@access.require(access.OWNERS)
def retry(args, incident_id):
    """Run the failed element again, once its cause is fixed (e.g. the instance was migrated to a
    corrected version, or ``data`` supplies what was missing)."""
    return step.retry_incident(incident_id, g.user, args["data"])


@blp.route("/<int:incident_id>/resolve", methods=["POST"])
@blp.arguments(ResolveSchema)
@blp.response(200, IncidentSchema)
@blp.alt_response(409, description="Already resolved, or a gateway or event, which must be retried")
@access.require(access.OWNERS)
def resolve(args, incident_id):
    """Close the incident by hand: a failed script, service or business rule task counts as done
    (``data`` standing for what it would have given) and the instance runs on."""
    return step.resolve_incident(incident_id, g.user, args["comment"], args["data"])
