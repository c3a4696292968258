"""Links on the pages: a task's links (who has one, when it was opened, answered, when it runs
out), sending a new one, withdrawing one, and the outbox, which shows what was or would have been
e-mailed (with no mail server, the only way a link gets out); and the pages an outside party (a
supplier's or a customer's contact) reaches by link, with no sign-in."""
from datetime import timedelta

from flask import current_app, flash, g, redirect, render_template, request, url_for

from .. import step
from ..config import address
from ..errors import Gone, Invalid, NotFound, ServiceError
from ..models import Notification, db
from ..people import access
from ..processes import instances
from ..work import case, documents, forms, human_tasks, links
from . import blueprint, fields, typed_back, uploads

bp = blueprint("task_links")   # not "links": the API's blueprint has that name
# No CSRF check: there is no session to forge a request with; the token in the URL is the credential.
holder = blueprint("link_holder", check_csrf=False)
LINK_DAYS = 14
TITLES = {404: "This link is not valid", 410: "This link can no longer be used"}


@bp.route("/tasks/<task_id>/links", methods=["POST"])
@access.require(access.WORKERS)
def send_link(task_id):
    party = request.form.get("party", "").strip()
    try:
        link, token = step.issue_link(task_id, g.user, party, timedelta(days=LINK_DAYS), send=True)
    except Invalid as exc:
        flash(f"No link was sent: {exc.details[0]['message'] if exc.details else exc.message}.")
        return redirect(url_for("work.task", task_id=task_id))
    flash(f"A link {how_sent(link.party)}. To pass it on yourself, copy it now (it is shown only once): "
          f"{address(current_app.config, f'/x/{token}')}")
    return redirect(url_for("work.task", task_id=task_id))


@bp.route("/tasks/<task_id>/links/<int:link_id>/revoke", methods=["POST"])
@access.require(access.WORKERS)
def revoke_link(task_id, link_id):
    link = step.revoke_link(task_id, link_id, g.user)
    flash(f"The link for {link.party} no longer works.")
    return redirect(url_for("work.task", task_id=task_id))


@bp.route("/outbox")
@access.require(access.OWNERS)   # it holds links that work, until they are e-mailed
def outbox():
    items = db.session.scalars(db.select(Notification).order_by(Notification.id.desc()).limit(200)).all()
    held = {n.id: link for n in items if n.email and (link := links.in_message(n.body))}
    return render_template("web/outbox.html", items=items, held=held, mail=mailing())


def mailing():
    """Whether e-mail goes out (a mail server is set); without one, links wait on the Outbox page."""
    return bool(current_app.config["A10FLOW_SMTP"]["host"])


def how_sent(party):
    """How a link the service sent reaches ``party``, in words for the person who caused it."""
    if mailing():
        return f"was e-mailed to {party}"
    return (f"waits for {party} on the Outbox page, for a process owner to pass on "
            "(no mail server is set, so nothing is e-mailed)")


@holder.errorhandler(NotFound)
@holder.errorhandler(Gone)
def _dead_link(exc):
    # Whether anything was recorded depends on the link: an answered link must never read as lost.
    link = links.find(request.view_args.get("token", "")) if request.view_args else None
    # An answer sent as the link died (its task done or withdrawn meanwhile) is shown back, not lost.
    return render_template("web/link_problem.html", title=TITLES[exc.status], message=exc.message,
                           link=link, typed=typed_back()), exc.status


def _author(link):
    return f"link:{link.id}"


def _page(link, data, errors=(), status=200, saved=False, refused=None):
    task = link.task
    schema = forms.for_task(task)
    show = task.settings.get("show")
    seen = instances.task_data(task)[0]
    shown = case.summary(task.instance.version, seen, show, me=link.party) if show else []   # what it names, nothing else
    form = fields.build(schema, data, errors, context=seen) if schema else []
    token = request.view_args["token"]
    return render_template("web/external.html", link=link, task=task, errors=errors, case=shown, saved=saved,
                           document_url=lambda document_id: url_for("link_holder.document", token=token,
                                                                    document_id=document_id),
                           refused=refused, form=form, multipart=fields.takes_files(form),
                           problems=fields.labelled(form, errors)), status


@holder.route("/x/<token>", methods=["GET", "POST"])
def task(token):
    g.user, g.link_holder = None, True
    if request.method == "GET":
        link = links.usable(token)
        links.opened(link)
        return _page(link, human_tasks.draft_of(link.task, _author(link)) or {})
    chosen = uploads.chosen(request.files)
    # A file sent as the link died says so by its field: it was not kept.
    link = links.usable_to_give(token, chosen[0]) if chosen else links.usable(token)
    schema = forms.for_task(link.task) or {}
    data = fields.parse(schema, request.form)
    action = request.form.get("action", "submit")
    try:   # under the link's authority: given by its party, for its task alone
        data, refused = uploads.given(schema, data, request, lambda path, f, dates: documents.receive(
            link.task, path, f.filename, f.read(), link, dates))
    except ServiceError as exc:   # its task closed meanwhile
        db.session.rollback()
        return _page(link, data, status=exc.status, refused=exc.message)
    if refused:
        return _page(link, data, refused.details, refused.status)
    if action.startswith(("add:", "remove:")):
        return _page(link, fields.change_rows(fields.build(schema, data), data, action))
    if action == "save":   # a long questionnaire, answered over several sittings
        try:
            human_tasks.save_draft(link.task, _author(link), data)
        except Invalid as exc:
            return _page(link, data, exc.details, 422)
        return _page(link, data, saved=True)
    try:
        step.complete_task(link.task_id, None, data, link_token=token)
    except Invalid as exc:
        return _page(link, data, exc.details, 422)
    except (Gone, NotFound):
        raise   # the link died meanwhile: its page says so, with what was typed
    except ServiceError as exc:   # its sender may no longer have it done: the answer stays on the page
        db.session.rollback()
        return _page(link, data, status=exc.status, refused=exc.message)
    return render_template("web/external_done.html", task=link.task)


@holder.route("/x/<token>/documents/<document_id>")
def document(token, document_id):
    """A file given for the link's task, or one its page shows of the case, for its holder, while the
    link works."""
    g.user, g.link_holder = None, True
    link = links.usable(token)
    return documents.served(access.link_document(link, document_id, instances.shown_documents(link.task)))
