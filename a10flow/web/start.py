"""Starting work: the processes a person may start, each with its start form."""
from flask import flash, g, redirect, render_template, request, url_for

from .. import step
from ..deploy import definitions
from ..errors import Invalid
from ..models import DefinitionKind
from ..people import access
from ..work import documents, forms, human_tasks, links
from . import blueprint, fields, uploads
from . import links as task_links

bp = blueprint("start")


@bp.route("/start")
def processes():
    items = definitions.startable(g.user)
    # Nothing to start: say who may start what, and whom to ask, rather than show an empty page.
    others, ask = definitions.starters() if not items else ([], {})
    return render_template("web/start.html", items=items, others=others, ask=ask)


def _page(version, data, business_key, errors=(), status=200):
    schema = forms.for_start(version) or {}
    form = fields.build(schema, data, errors, choices=human_tasks.pickable())
    return render_template("web/start_form.html", version=version, business_key=business_key, errors=errors,
                           form=form, multipart=fields.takes_files(form)), status


@bp.route("/start/<key>", methods=["GET", "POST"])
def start(key):
    version = definitions.version_of(definitions.find(key, DefinitionKind.PROCESS))
    access.check_start(version, g.user)
    if request.method == "GET":
        return _page(version, {}, "")
    schema = forms.for_start(version) or {}
    data, business_key = fields.parse(schema, request.form), request.form.get("business_key", "").strip()
    action = request.form.get("action", "start")
    # Given now, before the instance exists: kept for this person until their start names them.
    data, refused = uploads.given(schema, data, request, lambda path, f, dates: documents.receive_for_start(
        version, path, f.filename, f.read(), g.user, dates))
    if refused:
        return _page(version, data, business_key, refused.details, refused.status)
    if action.startswith(("add:", "remove:")):
        return _page(version, fields.change_rows(fields.build(schema, data), data, action), business_key)
    try:
        instance = step.start_instance(version, g.user, data, business_key or None)
    except Invalid as exc:
        return _page(version, data, business_key, exc.details, 422)
    waiting = human_tasks.open_tasks(instance.id)
    # A task the process sent to an outside party is theirs first, even when staff may answer for them.
    sent = {link.task_id: link.party for link in links.of_instance(instance.id)}
    mine = [t for t in waiting if access.may_complete(t, g.user) and t.id not in sent]
    if mine:   # the starter's own first step, straight away
        flash(f"Started {version.name}. Your first task: {mine[0].name}.")
        return redirect(url_for("work.task", task_id=mine[0].id))
    said = [f"a link to “{t.name}” {task_links.how_sent(sent[t.id])}" if t.id in sent else t.name for t in waiting]
    ended = {"completed": "It ran to its end.", "failed": "One of its steps failed: see the incident below."}
    flash(f"Started {version.name}. " + (f"Next: {'; '.join(said)}." if waiting else
                                         ended.get(instance.status.value, f"It is {instance.status.value}.")))
    return redirect(url_for("processes.instance", instance_id=instance.id))
