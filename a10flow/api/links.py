"""/api/v1/external/{token}: the one task an outside party's link opens. No account needed."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from .. import step
from ..models import db
from ..work import forms, links

blp = Blueprint("links", __name__, url_prefix="/api/v1/external",   # the address links have always had
                description="Tasks done through an external link (no sign-in)")


class ExternalTaskSchema(Schema):
    """What the holder of a link sees: the task, its instructions and form; nothing else."""
    name = fields.String(attribute="task.name")
    instructions = fields.String(attribute="task.documentation", allow_none=True)
    party = fields.String()
    expires_at = fields.DateTime()
    form = fields.Function(lambda link: forms.for_task(link.task))
    status = fields.Function(lambda link: link.task.status.value)


class SubmitSchema(Schema):
    data = fields.Dict(load_default=dict)


@blp.route("/<token>")
@blp.response(200, ExternalTaskSchema)
@blp.alt_response(404, description="No such link")
@blp.alt_response(410, description="The link expired, was withdrawn, or its task is done")
def open_link(token):
    """The task this link is for."""
    link = links.usable(token)
    links.opened(link)
    return link


@blp.route("/<token>", methods=["POST"])
@blp.arguments(SubmitSchema)
@blp.response(200, ExternalTaskSchema)
@blp.alt_response(422, description="The form has errors; one detail per field")
def submit(args, token):
    """Complete the task with the form's data; the link cannot be used again."""
    link = links.usable(token)
    step.complete_task(link.task_id, None, args["data"], link_token=token)
    db.session.refresh(link)
    return link
