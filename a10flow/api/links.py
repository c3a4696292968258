"""/api/v1/external/{token}: the one task an outside party's link opens, and the files given for its
form. No account needed."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from .. import step
from ..models import db
from ..people import access
from ..processes import instances
from ..work import documents, forms, links
from .documents import UPLOAD_DOC, DocumentSchema, FieldSchema, given_dates, sent_file

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


@blp.route("/<token>/documents", methods=["POST"])
@blp.doc(**UPLOAD_DOC)
@blp.arguments(FieldSchema, location="query")
@blp.response(201, DocumentSchema)
@blp.alt_response(404, description="No such link")
@blp.alt_response(410, description="The link expired, was withdrawn, or its task is done: nothing was kept")
@blp.alt_response(413, description="Larger than the field takes (refused on Content-Length, unread, where sent)")
@blp.alt_response(422, description="The file is refused (its real type, its name, an archive bomb, a polyglot)")
def upload(args, token):
    """Give a file for a file field of the link's task: it is checked and kept as given by the link's
    party, and its description returned; then send the form with ``{"<field>": "<its document id>"}``."""
    field = args["field"]
    link = links.usable_to_give(token, field)
    given = sent_file(forms.for_task(link.task), field)
    return documents.describe(documents.receive(link.task, field, given.filename, given.read(), link,
                                                given_dates(args)))


@blp.route("/<token>/documents/<document_id>")
@blp.response(200, description="The document's bytes, as a download", content_type="application/octet-stream")
@blp.alt_response(404, description="No such link, or no such document given for the link's task or shown on its page")
@blp.alt_response(410, description="The link expired, was withdrawn, or its task is done")
def download(token, document_id):
    """A document given for the link's task, or one its page shows of the case, as a download, while the
    link works."""
    link = links.usable(token)
    return documents.served(access.link_document(link, document_id, instances.shown_documents(link.task)))
