"""/api/v1/tokens: a person's API tokens: issue one that expires, list them, revoke one."""
from datetime import timedelta

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import clock
from ..database import write
from ..errors import NotFound
from ..models import ApiToken, Role, db
from ..people import auth
from ..people.auth import load_user

blp = Blueprint("tokens", __name__, description="API tokens: expiring, revocable")
blp.before_request(load_user)


class TokenSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "shown this once; only its hash is kept"})


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenSchema))


class IssueSchema(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))


@blp.route("")
@blp.response(200, TokenListSchema)
def list_tokens():
    """Your tokens, newest first."""
    return {"items": db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == g.user.id)
                                        .order_by(ApiToken.id.desc())).all()}


@blp.route("", methods=["POST"])
@blp.arguments(IssueSchema)
@blp.response(201, NewTokenSchema)
def issue(args):
    """A new token for you that expires in ``days`` (1 to 365)."""
    with write():
        token = auth.issue_token(g.user, clock.now() + timedelta(days=args["days"]))
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == auth.hash_token(token)))
    row.token = token
    return row


@blp.route("/<int:token_id>/revoke", methods=["POST"])
@blp.response(200, TokenSchema)
def revoke(token_id):
    """Revoke one of your tokens (an admin: anyone's); it answers 401 from now on."""
    row = db.session.get(ApiToken, token_id)
    if row is None or (row.user_id != g.user.id and g.user.role != Role.ADMIN):
        raise NotFound(f"token {token_id} not found")
    with write():
        row.revoked_at = row.revoked_at or clock.now()
    return row
