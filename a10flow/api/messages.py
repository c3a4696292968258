"""/api/v1/messages: deliver a BPMN message to the instances that wait for it."""
from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .. import step
from ..errors import NotFound
from ..models import Instance, MessageWait, db
from ..people import access
from . import Id

blp = Blueprint("messages", __name__, description="BPMN messages from outside")


class MessageSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    instance = Id(metadata={"description": "deliver to this instance"})
    business_key = fields.String(metadata={"description": "or to the instances with this business key"})
    task = fields.String(metadata={"description": "the waiting task it is meant for, when several wait"})
    data = fields.Dict(load_default=dict)

    @validates_schema
    def _one_target(self, values, **_):
        if ("instance" in values) == ("business_key" in values):
            raise ValidationError("give exactly one of instance and business_key", "instance")


class DeliveredSchema(Schema):
    delivered = fields.List(fields.Integer(), metadata={"description": "instance ids that received it"})


@blp.route("", methods=["POST"])
@blp.arguments(MessageSchema)
@blp.response(200, DeliveredSchema)
@blp.alt_response(404, description="No instance waits for this message")
@access.require(access.OWNERS)
def send(args):
    """Deliver a message; each instance that waits for it receives it once."""
    waiting = db.select(MessageWait.instance_id).where(MessageWait.message == args["name"])
    if "instance" in args:
        waiting = waiting.where(MessageWait.instance_id == args["instance"])
    else:
        waiting = waiting.join(Instance, Instance.id == MessageWait.instance_id).where(
            Instance.business_key == args["business_key"])
    if args.get("task"):
        waiting = waiting.where(MessageWait.task_id == args["task"])
    ids = sorted(set(db.session.scalars(waiting)))
    if not ids:
        raise NotFound(f"no instance waits for the message {args['name']!r} there")
    for instance_id in ids:
        step.deliver_message(instance_id, args["name"], args["data"], g.user, args.get("task"))
    return {"delivered": ids}
