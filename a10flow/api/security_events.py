"""/api/v1/security-events: refused attempts (who, from where, what, when, why), for admins."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..people import access, security_events

blp = Blueprint("security-events", __name__, description="Refused attempts, for admins")


class EventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    user_name = fields.String(allow_none=True, metadata={"description": "who, when known"})
    address = fields.String(allow_none=True)
    method = fields.String()
    path = fields.String()
    status = fields.Integer()
    reason = fields.String()
    repeats = fields.Integer(metadata={"description": "more refusals from the same address within the minute, "
                                                      "counted here rather than kept one by one"})
    last_at = fields.DateTime(allow_none=True, metadata={"description": "the latest of those"})


class EventListSchema(Schema):
    items = fields.List(fields.Nested(EventSchema))


class EventQuerySchema(Schema):
    since = fields.AwareDateTime(metadata={"description": "only events at or after (ISO 8601 with zone)"})


@blp.route("")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, EventListSchema)
@access.require(access.ADMINS)
def list_events(args):
    """The newest refused attempts first (at most 500)."""
    return {"items": security_events.events(args.get("since"))}
