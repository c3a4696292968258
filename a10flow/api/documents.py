"""/api/v1: documents given for a task form's or a start form's file fields, and downloading them."""
from flask import g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..deploy import definitions
from ..errors import Invalid, TooLarge
from ..models import DefinitionKind
from ..people import access
from ..work import documents, forms
from . import Id

blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="Documents given on forms")
FRAMING = 16 * 1024   # bytes of multipart framing allowed beside the file itself


class DocumentSchema(Schema):
    document = fields.String(metadata={"description": "its id: name it in the form's data for the field"})
    name = fields.String(metadata={"description": "the file's name as given: a label only"})
    media_type = fields.String(metadata={"description": "as the file's content shows it"})
    size = fields.Integer()
    sha256 = fields.String()
    effective = fields.String(metadata={"description": "YYYY-MM-DD: when the document takes effect, if its field asks"})
    expires = fields.String(metadata={"description": "YYYY-MM-DD: when the document expires, if its field asks: "
                                                   "reminders go before it does"})
    version = fields.Integer(metadata={"description": "once a completed step names it: the n-th document "
                                                      "kept for this field of the case"})


class FieldSchema(Schema):
    field = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "the form's file field the file is for, by its path in the form's data: `dpa`, or "
                       "`certifications/0/certificate` for a column of a table's row (rows numbered from 0)"})
    effective = fields.String(validate=validate.Length(max=40), metadata={
        "description": "YYYY-MM-DD: when the document takes effect, where the field's x-dates asks for it"})
    expires = fields.String(validate=validate.Length(max=40), metadata={
        "description": "YYYY-MM-DD: when the document expires, where the field's x-dates asks for it"})


class StartFieldSchema(FieldSchema):
    process = fields.String(required=True, metadata={"description": "the process to be started, by key"})
    version = Id(metadata={"description": "the version to be started; default: the latest"})


UPLOAD_DOC = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


@blp.route("/tasks/<task_id>/documents", methods=["POST"])
@blp.doc(**UPLOAD_DOC)
@blp.arguments(FieldSchema, location="query")
@blp.response(201, DocumentSchema)
@blp.alt_response(409, description="The task is done")
@blp.alt_response(413, description="Larger than the field takes (refused on Content-Length, unread, where sent)")
@blp.alt_response(422, description="The file is refused (its real type, its name, an archive bomb, a polyglot)")
@access.require(access.WORKERS)
def upload(args, task_id):
    """Give a file for a file field of a task's form: it is checked and kept, and its description
    returned; then complete the task with ``{"<field>": "<its document id>"}`` (a list for an array;
    in a table, in the row's object: ``{"certifications": [{"certificate": "<id>"}]}``)."""
    task, field = access.task(task_id, g.user), args["field"]
    given = sent_file(forms.for_task(task), field)
    return documents.describe(documents.receive(task, field, given.filename, given.read(), g.user, given_dates(args)))


@blp.route("/instances/documents", methods=["POST"])
@blp.doc(**UPLOAD_DOC)
@blp.arguments(StartFieldSchema, location="query")
@blp.response(201, DocumentSchema)
@blp.alt_response(413, description="Larger than the field takes (refused on Content-Length, unread, where sent)")
@blp.alt_response(422, description="The file is refused (its real type, its name, an archive bomb, a polyglot)")
@access.require(access.WORKERS)
def upload_for_start(args):
    """Give a file for a file field of a process's start form, before starting it: it is kept for you
    alone, and its description returned; then start the instance (``POST /api/v1/instances``) with
    ``{"data": {"<field>": "<its document id>"}}``. A file no start names is never part of any case."""
    version = definitions.version_of(definitions.find(args["process"], DefinitionKind.PROCESS), args.get("version"))
    access.check_start(version, g.user)
    given = sent_file(forms.for_start(version), args["field"])
    return documents.describe(documents.receive_for_start(version, args["field"], given.filename, given.read(), g.user,
                                                          given_dates(args)))


def given_dates(args):
    """The dates a file is given with (``effective``, ``expires``), as the query has them."""
    return {word: args[word] for word in ("effective", "expires") if word in args}


def sent_file(schema, field):
    """The file a request sends for ``field`` of the form ``schema``: refused by its Content-Length alone,
    unread, when that is over the field's limit.

    :raises TooLarge: over the limit; Invalid: no part named "file"."""
    most = documents.limit(schema, field)
    if most is not None and (request.content_length or 0) > most + FRAMING:
        raise TooLarge(f"{field}: this field takes at most {most:,} bytes", [{"field": field,
                                                                              "message": f"at most {most:,} bytes"}])
    given = request.files.get("file")
    if given is None:
        raise Invalid("send the file as a multipart/form-data part named 'file'",
                      [{"field": "file", "message": "a file is required"}])
    return given


@blp.route("/documents/<document_id>")
@blp.response(200, description="The document's bytes, as a download",
              content_type="application/octet-stream")
def download(document_id):
    """A document given in an instance you may see, as a download."""
    return documents.served(access.document(document_id, g.user))
