"""Reaching outside parties from the pages: a task's links (who has one, when it was opened,
answered, when it runs out), sending a new one, withdrawing one; and the outbox, which shows
what was or would have been e-mailed (with no mail server, the only way a link gets out)."""
from datetime import timedelta

from flask import current_app, flash, g, redirect, render_template, request, url_for

from .. import step
from ..errors import Invalid
from ..models import Notification, Role, db
from ..people.auth import require
from ..work import human_tasks, links
from . import blueprint, signed_in

bp = blueprint("outreach")
LINK_DAYS = 14


@bp.route("/tasks/<task_id>/links", methods=["POST"])
@signed_in
@require(Role.STAFF, Role.OWNER)
def send_link(task_id):
    human_tasks.visible(task_id, g.user)
    party = request.form.get("party", "").strip()
    try:
        link, token = step.issue_link(task_id, g.user, party, timedelta(days=LINK_DAYS), send=True)
    except Invalid as exc:
        flash(f"No link was sent: {exc.details[0]['message'] if exc.details else exc.message}.")
        return redirect(url_for("work.task", task_id=task_id))
    url = f"{current_app.config['A10FLOW_BASE_URL'].rstrip('/')}/x/{token}"
    flash(f"A link {how_sent(link.party)}. To pass it on yourself, copy it now (it is shown only once): {url}")
    return redirect(url_for("work.task", task_id=task_id))


@bp.route("/tasks/<task_id>/links/<int:link_id>/revoke", methods=["POST"])
@signed_in
@require(Role.STAFF, Role.OWNER)
def revoke_link(task_id, link_id):
    human_tasks.visible(task_id, g.user)
    link = step.revoke_link(task_id, link_id, g.user)
    flash(f"The link for {link.party} no longer works.")
    return redirect(url_for("work.task", task_id=task_id))


@bp.route("/outbox")
@signed_in
@require(Role.OWNER)   # it holds links that work, until they are e-mailed
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
