"""The pages an external party (a supplier's or a customer's contact) reaches by link: no sign-in."""
from flask import g, render_template, request

from .. import step
from ..errors import Gone, Invalid, NotFound, ServiceError
from ..models import db
from ..processes import instances
from ..work import case, forms, human_tasks, links
from . import blueprint, fields, typed_back

# No CSRF check: there is no session to forge a request with; the token in the URL is the credential.
bp = blueprint("links", check_csrf=False)
TITLES = {404: "This link is not valid", 410: "This link can no longer be used"}


@bp.errorhandler(NotFound)
@bp.errorhandler(Gone)
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
    show = ((task.instance.version.tasks or {}).get(task.element_id) or {}).get("show")
    seen = instances.task_data(task)[0]
    shown = case.summary(task.instance.version, seen, show, me=link.party) if show else []   # what it names, nothing else
    return render_template("web/external.html", link=link, task=task, errors=errors, case=shown, saved=saved,
                           refused=refused,
                           form=fields.build(schema, data, errors, context=seen) if schema else []), status


@bp.route("/x/<token>", methods=["GET", "POST"])
def task(token):
    g.user, g.link_holder = None, True
    link = links.usable(token)
    if request.method == "GET":
        links.opened(link)
        return _page(link, human_tasks.draft_of(link.task, _author(link)) or {})
    schema = forms.for_task(link.task) or {}
    data = fields.parse(schema, request.form)
    action = request.form.get("action", "submit")
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

