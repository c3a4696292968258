"""/api/v1/tasks: the inbox; claim, unclaim and complete human tasks."""
from datetime import timedelta

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import clock, step
from ..models import TaskStatus
from ..people import access
from ..work import human_tasks
from . import Id, links

blp = Blueprint("tasks", __name__, description="Human tasks")


class TaskSchema(Schema):
    id = fields.String()
    instance_id = fields.Integer()
    process = fields.Function(lambda t: {"key": t.instance.version.definition.key,
                                         "version": t.instance.version.version})
    element_id = fields.String()
    name = fields.String()
    documentation = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    message = fields.String(allow_none=True, metadata={
        "description": "set for a receive task: completing it delivers this BPMN message with the form's data"})
    status = fields.Function(lambda t: t.status.value)
    candidate_groups = fields.Function(lambda t: t.candidate_names("group"))
    candidate_users = fields.Function(lambda t: t.candidate_names("user"))
    assignee = fields.String(allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Function(lambda t: bool(t.due_at and t.status == TaskStatus.OPEN and t.due_at < clock.now()))
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    form = fields.Function(lambda t: {"name": t.form, "schema": (t.instance.version.forms or {}).get(t.form)}
                           if t.form else None)


class TaskListSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))


class TaskQuerySchema(Schema):
    scope = fields.String(load_default="all", validate=validate.OneOf(["mine", "claimable", "all"]))
    process = fields.String()
    status = fields.String(validate=validate.OneOf([s.value for s in TaskStatus]))
    overdue = fields.Boolean()
    instance = Id()


class CompleteSchema(Schema):
    data = fields.Dict(load_default=dict)


@blp.route("")
@blp.arguments(TaskQuerySchema, location="query")
@blp.response(200, TaskListSchema)
def list_tasks(args):
    """Tasks assigned to me (mine), offered to me or my groups (claimable), or all I may see."""
    return {"items": human_tasks.find(g.user, args["scope"], process=args.get("process"), status=args.get("status"),
                                instance=args.get("instance"), overdue=args.get("overdue"))}


@blp.route("/<task_id>")
@blp.response(200, TaskSchema)
def get_task(task_id):
    """One task with its form."""
    return access.task(task_id, g.user)


@blp.route("/<task_id>/claim", methods=["POST"])
@blp.response(200, TaskSchema)
@access.require(access.WORKERS)
def claim(task_id):
    """Claim a task offered to you or your groups."""
    return step.claim_task(task_id, g.user)


@blp.route("/<task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskSchema)
@access.require(access.WORKERS)
def unclaim(task_id):
    """Give a claimed task back."""
    return step.unclaim_task(task_id, g.user)


@blp.route("/<task_id>/complete", methods=["POST"])
@blp.arguments(CompleteSchema)
@blp.response(200, TaskSchema)
@access.require(access.WORKERS)
def complete(args, task_id):
    """Complete a task with its form data; the data is checked against the task's form."""
    return step.complete_task(task_id, g.user, args["data"])


class ReassignSchema(Schema):
    user = fields.String(validate=validate.Length(min=1, max=120), metadata={"description": "hand it to this person"})
    group = fields.String(validate=validate.Length(min=1, max=255), metadata={"description": "or to this group"})
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True)


@blp.route("/<task_id>/reassign", methods=["POST"])
@blp.arguments(ReassignSchema)
@blp.response(200, TaskSchema)
@blp.alt_response(409, description="Separation of duties keeps that person from the task")
@access.require(access.WORKERS)
def reassign(args, task_id):
    """Hand a task to a person or a group (owners; a group's lead for the tasks offered to it). The
    new holders are told; the move is evidence (task.reassigned)."""
    return step.reassign_task(task_id, g.user, args.get("user"), args.get("group"), args.get("reason"))


class LinkRequestSchema(Schema):
    party = fields.String(required=True, validate=validate.Length(min=1, max=254),
                          metadata={"description": "the e-mail address of who the link is for (the supplier's "
                                                   "contact, say)"})
    days = fields.Integer(load_default=14, validate=validate.Range(min=1, max=90))
    send = fields.Boolean(load_default=False, metadata={"description": "e-mail the link to the party as well"})


class LinkSchema(Schema):
    id = fields.Integer()
    party = fields.String()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class NewLinkSchema(LinkSchema):
    token = fields.String(metadata={"description": "shown only now; it is not stored"})
    path = fields.Function(lambda link: f"{links.blp.url_prefix}/{link.token}")


@blp.route("/<task_id>/links", methods=["POST"])
@blp.arguments(LinkRequestSchema)
@blp.response(201, NewLinkSchema)
@blp.alt_response(403, description="The task is not one for an outside party (no externalParty), or you may "
                                   "not do it yourself (claimed by someone else, separation of duties)")
@access.require(access.WORKERS)
def create_link(args, task_id):
    """A link that lets someone without an account do this task for you (expires in ``days``).
    Only for a task whose process names an outside party (``externalParty``), by someone who may
    do the task: what is done through the link is done on their behalf."""
    link, token = step.issue_link(task_id, g.user, args["party"], timedelta(days=args["days"]), args["send"])
    link.token = token
    return link


@blp.route("/<task_id>/links/<int:link_id>/revoke", methods=["POST"])
@blp.response(200, LinkSchema)
@access.require(access.WORKERS)
def revoke_link(task_id, link_id):
    """Withdraw a link; it answers 410 from now on."""
    return step.revoke_link(task_id, link_id, g.user)
