"""Documents given on forms, downloaded from the task and instance pages."""
from flask import g

from ..people import access
from ..work import documents
from . import blueprint

bp = blueprint("web_documents")


@bp.route("/documents/<document_id>")
def download(document_id):
    return documents.served(access.document(document_id, g.user))
