"""/api/v1/timers: the timers instances wait for, soonest first."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import false

from ..models import StartTimer, Timer, db
from ..people import access
from . import Id

blp = Blueprint("timers", __name__, description="Waiting timers")


class WaitingTimerSchema(Schema):
    instance_id = fields.Integer()
    element_id = fields.String()
    name = fields.String(allow_none=True)
    due_at = fields.DateTime()
    cycle = fields.Boolean()


class StartTimerSchema(Schema):
    """A timer start event: it starts a new instance of ``process`` when due."""
    process = fields.Function(lambda t: t.version.definition.key)
    version = fields.Function(lambda t: t.version.version)
    element_id = fields.String()
    name = fields.String(allow_none=True)
    due_at = fields.DateTime()
    period = fields.String(allow_none=True)
    remaining = fields.Integer()
    last_error = fields.String(allow_none=True)


class TimerListSchema(Schema):
    items = fields.List(fields.Nested(WaitingTimerSchema))
    starts = fields.List(fields.Nested(StartTimerSchema))


class TimerQuerySchema(Schema):
    instance = Id()
    due_before = fields.AwareDateTime(default_timezone=None)


@blp.route("")
@blp.arguments(TimerQuerySchema, location="query")
@blp.response(200, TimerListSchema)
@access.require(access.READERS)
def list_timers(args):
    """Waiting timers of instances (items) and timer start events (starts), soonest first.

    Filter by instance (items only) and due_before (ISO 8601 with zone).
    """
    stmt = db.select(Timer).order_by(Timer.due_at, Timer.id)
    starts = db.select(StartTimer).order_by(StartTimer.due_at, StartTimer.id)
    if args.get("instance"):
        stmt = stmt.where(Timer.instance_id == args["instance"])
        starts = starts.where(false())
    if args.get("due_before"):
        stmt = stmt.where(Timer.due_at < args["due_before"])
        starts = starts.where(StartTimer.due_at < args["due_before"])
    return {"items": db.session.scalars(stmt).all(), "starts": db.session.scalars(starts).all()}
