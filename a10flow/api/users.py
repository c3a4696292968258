"""/api/v1/users: the people the service knows, managed by admins and read by owners, and who held
which role when (auditors too). Every change goes through a10flow.people.directory, and so into
the access record."""
from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..evidence import access as access_record
from ..evidence.scope import Scope
from ..models import Role
from ..people import access, directory
from .tokens import NewTokenSchema

blp = Blueprint("users", __name__, description="People: their roles, groups, sign-in and tokens; the access record")
_TEXT = validate.Length(max=10_000)   # what is too long for a name is said by the directory, naming the field


class UserSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True)
    role = fields.Function(lambda u: u.role.value)
    groups = fields.List(fields.String())
    created_at = fields.DateTime()
    disabled_at = fields.DateTime(allow_none=True, metadata={"description": "set: cannot sign in or use tokens"})


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))


class UserQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=120), metadata={"description": "part of the name or e-mail"})
    after = fields.String(validate=validate.Length(max=120),
                          metadata={"description": "a name: the page of people after it"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ChangeSchema(Schema):
    name = fields.String(validate=_TEXT)
    email = fields.String(allow_none=True, validate=_TEXT)
    role = fields.String(validate=_TEXT, metadata={"description": " | ".join(r.value for r in Role)})
    groups = fields.List(fields.String(validate=_TEXT), validate=validate.Length(max=1000))


class NewUserSchema(ChangeSchema):
    name = fields.String(required=True, validate=_TEXT)
    password = fields.String(load_only=True, allow_none=True, validate=_TEXT,
                             metadata={"description": "none: a service account, which uses API tokens only"})


class PasswordSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=_TEXT)


class ExpirySchema(Schema):
    expires_at = fields.AwareDateTime(required=True, metadata={"description": "within a year from now"})


class HeldSchema(Schema):
    name = fields.String()
    role = fields.String()
    groups = fields.List(fields.String())
    active = fields.Boolean()
    since = fields.DateTime(allow_none=True, metadata={"description": "null: from before the access record began"})
    until = fields.DateTime(allow_none=True, metadata={"description": "null: still"})


class HeldListSchema(Schema):
    items = fields.List(fields.Nested(HeldSchema))


class PeriodSchema(Schema):
    start = fields.AwareDateTime(data_key="from")
    end = fields.AwareDateTime(data_key="to", metadata={"description": "not included"})


@blp.route("")
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserListSchema)
@access.require(access.OWNERS)
def list_users(args):
    """Everyone, by name, a page at a time (the next page: ``after`` the last name)."""
    return {"items": directory.people(args.get("q"), args.get("after"), args["limit"])}


@blp.route("", methods=["POST"])
@blp.arguments(NewUserSchema)
@blp.response(201, UserSchema)
@access.require(access.ADMINS)
def add(args):
    """Add a person."""
    return directory.create_user(g.user, args["name"], args.get("role", Role.STAFF.value), args.get("groups", []),
                                 args.get("email"), args.get("password"))


@blp.route("/<int:user_id>")
@blp.response(200, UserSchema)
@access.require(access.OWNERS)
def get_user(user_id):
    return directory.find(user_id)


@blp.route("/<int:user_id>", methods=["PATCH"])
@blp.arguments(ChangeSchema)
@blp.response(200, UserSchema)
@access.require(access.ADMINS)
def change(args, user_id):
    """Change a person's name, e-mail, role or groups: what is given, and only what differs."""
    return directory.change_user(g.user, directory.find(user_id), **args)


@blp.route("/<int:user_id>/disable", methods=["POST"])
@blp.response(200, UserSchema)
@access.require(access.ADMINS)
def disable(user_id):
    """Sign them out everywhere, revoke their tokens, hand their tasks back to their groups."""
    return directory.disable_user(g.user, directory.find(user_id))


@blp.route("/<int:user_id>/enable", methods=["POST"])
@blp.response(200, UserSchema)
@access.require(access.ADMINS)
def enable(user_id):
    return directory.enable_user(g.user, directory.find(user_id))


@blp.route("/<int:user_id>/password", methods=["POST"])
@blp.arguments(PasswordSchema)
@blp.response(200, UserSchema)
@access.require(access.ADMINS)
def password(args, user_id):
    """Set their password; every browser they signed in with is signed out."""
    person = directory.find(user_id)
    directory.set_password(g.user, person, args["password"])
    return person


@blp.route("/<int:user_id>/tokens", methods=["POST"])
@blp.arguments(ExpirySchema)
@blp.response(201, NewTokenSchema)
@access.require(access.ADMINS)
def issue(args, user_id):
    """An API token for them (a service account, say), shown this once."""
    return directory.issue_token(g.user, directory.find(user_id), args["expires_at"])


@blp.route("/roles-held")
@blp.arguments(PeriodSchema, location="query")
@blp.response(200, HeldListSchema)
@access.require(access.READERS)
def roles_held(args):
    """Who held which role and groups when, from the access record: the stretches overlapping the period."""
    scope = Scope(start=args.get("start"), end=args.get("end"))   # a period ends after it starts
    return {"items": access_record.held(scope.start, scope.end)}
