"""/api/v1/notifications: what the service told me; mark it read."""
from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..models import db
from ..work import notifications

blp = Blueprint("notifications", __name__, description="My notifications")


class NotificationSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer(allow_none=True)
    element_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True, metadata={"description": "the task it is about, when there is one"})
    subject = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    email = fields.Function(lambda n: n.email_status.value)


class NotificationListSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer()


class NotificationQuerySchema(Schema):
    unread = fields.Boolean()


@blp.route("")
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationListSchema)
def list_notifications(args):
    """My notifications, newest first, with the count of unread ones."""
    return {"items": db.session.scalars(notifications.of(g.user, args.get("unread"))).all(),
            "unread": notifications.unread(g.user)}


@blp.route("/<int:notification_id>/read", methods=["POST"])
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one of my notifications read (again is fine)."""
    return notifications.mark_read(g.user, notification_id)
