"""/api/v1/security-events: refused attempts (who, from where, what, when, why), for admins and owners."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..limits import MAX_ROW_ID

from ..people import access, security_events

blp = Blueprint("security-events", __name__, description="Refused attempts, for admins and owners")


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
    until = fields.AwareDateTime(metadata={"description": "only events before (ISO 8601 with zone)"})
    who = fields.String(validate=validate.Length(max=120), metadata={"description": "part of the name or address"})
    what = fields.String(validate=validate.Length(max=500),
                         metadata={"description": "part of the path or reason, or the status"})
    before = fields.Integer(validate=validate.Range(min=1, max=MAX_ROW_ID),
                            metadata={"description": "an event's id: the page of older events after it"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


@blp.route("")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, EventListSchema)
@access.require(access.OWNERS)
def list_events(args):
    """The newest refused attempts first, a page at a time (``limit``, at most 500; the next page:
    ``before`` the last one's id)."""
    return {"items": security_events.events(**args)}
