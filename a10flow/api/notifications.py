"""/api/v1/notifications: what the service told me; mark it read."""
from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from .. import clock
from ..database import write
from ..errors import NotFound
from ..models import Notification, db
from ..people.auth import load_user

blp = Blueprint("notifications", __name__, description="My notifications")
blp.before_request(load_user)  # every API route needs a token


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


def _mine():
    return db.select(Notification).where(Notification.user_id == g.user.id)


@blp.route("")
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationListSchema)
def list_notifications(args):
    """My notifications, newest first, with the count of unread ones."""
    stmt = _mine()
    if args.get("unread") is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if args["unread"] else Notification.read_at.is_not(None))
    unread = db.session.scalar(db.select(db.func.count()).select_from(
        _mine().where(Notification.read_at.is_(None)).subquery()))
    return {"items": db.session.scalars(stmt.order_by(Notification.id.desc())).all(), "unread": unread}


@blp.route("/<int:notification_id>/read", methods=["POST"])
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one of my notifications read (again is fine)."""
    row = db.session.scalar(_mine().where(Notification.id == notification_id))
    if row is None:
        raise NotFound(f"notification {notification_id} not found")
    with write():
        row.read_at = row.read_at or clock.now()
    return row
