"""/api/v1/tokens: a person's API tokens: issue one that expires, list them, revoke one."""
from datetime import timedelta

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import clock
from ..people import directory

blp = Blueprint("tokens", __name__, description="API tokens: expiring, revocable")


class TokenSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True, metadata={"description": "to the minute"})


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
    return {"items": directory.tokens(g.user)}


@blp.route("", methods=["POST"])
@blp.arguments(IssueSchema)
@blp.response(201, NewTokenSchema)
def issue(args):
    """A new token for you that expires in ``days`` (1 to 365)."""
    return directory.issue_token(g.user, g.user, clock.now() + timedelta(days=args["days"]))


@blp.route("/<int:token_id>/revoke", methods=["POST"])
@blp.response(200, TokenSchema)
def revoke(token_id):
    """Revoke one of your tokens (an admin: anyone's); it answers 401 from now on."""
    return directory.revoke_token(g.user, token_id)
