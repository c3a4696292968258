"""Documents given on forms, downloaded from the task and instance pages; those expiring soon."""
from datetime import date

from flask import g, render_template, request

from ..errors import Invalid
from ..limits import whole
from ..people import access
from ..work import documents, expiring
from . import blueprint

bp = blueprint("web_documents")


@bp.route("/documents/<document_id>")
def download(document_id):
    return documents.served(access.document(document_id, g.user))


@bp.route("/documents/expiring")
@access.require(access.MEMBERS)
def expiring_page():
    within, after = _within(request.args.get("within")), _after(request.args.get("after"))
    rows = expiring.soon(g.user, within, after)
    later = {"within": within, "after": f"{rows[-1][0].expires_on}/{rows[-1][0].id}"} \
        if len(rows) == expiring.PAGE else None
    return render_template("web/documents_expiring.html", rows=rows, within=within, later=later,
                           today=expiring.today())


def _within(text):
    if text is None:
        return 90
    days = whole(text)
    if days is None or days > 3660:
        raise Invalid("within: a number of days, 0 to 3660", [{"field": "within", "message": "0 to 3660 days"}])
    return days


def _after(text):
    """The last row of the page before, as "<expiry>/<document id>"."""
    if not text:
        return None
    day, _, document_id = text.partition("/")
    try:
        return date.fromisoformat(day), document_id[:36]
    except ValueError:
        raise Invalid("after: the link to the next page is damaged", [{"field": "after", "message":
                                                                       "as <YYYY-MM-DD>/<document id>"}]) from None
