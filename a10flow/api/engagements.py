"""/api/v1/engagements: owners and admins grant external auditors read-only access to controls
over a period (a10flow.evidence.engagements), list them with their access logs, and revoke them. The
auditors themselves read on the engagement pages, not through the API."""
from flask import current_app, g, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..config import address
from ..evidence import engagements
from ..people import access

blp = Blueprint("engagements", __name__, description="Auditor engagements: scoped, expiring, revocable, logged")


class AccessSchema(Schema):
    at = fields.DateTime()
    who = fields.String(metadata={"description": "the auditor's account, or \"link\""})
    action = fields.String()
    address = fields.String(allow_none=True)


class EngagementSchema(Schema):
    id = fields.Integer()
    auditor = fields.String()
    account = fields.Function(lambda e: e.user.name if e.user else None)
    controls = fields.List(fields.String())
    period_start = fields.DateTime(data_key="from")
    period_end = fields.DateTime(data_key="to")
    expires_at = fields.DateTime()
    state = fields.Function(access.engagement_state)
    created_by = fields.Function(lambda e: e.granter.name)
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    accesses = fields.List(fields.Nested(AccessSchema))


class NewEngagementSchema(EngagementSchema):
    link = fields.String(allow_none=True, metadata={"description": "by link: its address, shown this once"})


class EngagementListSchema(Schema):
    items = fields.List(fields.Nested(EngagementSchema))


class GrantSchema(Schema):
    auditor = fields.String(required=True, validate=validate.Length(max=255))
    controls = fields.List(fields.String(validate=validate.Length(max=200)), required=True,
                           validate=validate.Length(max=100))
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to", metadata={"description": "not included"})
    expires = fields.Date(required=True, metadata={"description": "the day the access ends"})
    account = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120),
                            metadata={"description": "an external_auditor account; none: by link"})


@blp.route("")
@blp.response(200, EngagementListSchema)
@access.require(access.OWNERS)
def list_engagements():
    """Every engagement, newest first, each with its access log."""
    return {"items": engagements.every()}


@blp.route("", methods=["POST"])
@blp.arguments(GrantSchema)
@blp.response(201, NewEngagementSchema)
@access.require(access.OWNERS)
def grant(args):
    """Grant an engagement; by link, the answer holds the link's address, shown this once."""
    engagement, token = engagements.grant(g.user, args["auditor"], args["controls"], args["start"], args["end"],
                                          args["expires"], args["account"])
    engagement.link = token and address(current_app.config, url_for("auditors.by_link", token=token))
    return engagement


@blp.route("/<int:engagement_id>")
@blp.response(200, EngagementSchema)
@access.require(access.OWNERS)
def get_engagement(engagement_id):
    """One engagement, with everything its auditor opened or downloaded."""
    return engagements.get(engagement_id)


@blp.route("/<int:engagement_id>/revoke", methods=["POST"])
@blp.response(200, EngagementSchema)
@access.require(access.OWNERS)
def revoke(engagement_id):
    """End the engagement now: its link and its account's access open nothing from now on."""
    engagement = engagements.get(engagement_id)
    engagements.revoke(engagement, g.user)
    return engagement
