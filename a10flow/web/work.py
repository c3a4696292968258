"""Staff pages: the inbox, a task with its form, notifications."""
from flask import flash, g, redirect, render_template, request, url_for

from .. import clock, step
from ..errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, TooLarge
from ..models import Definition, DefinitionKind, HumanTask, TaskStatus, db
from ..people import access, security_events
from ..processes import instances
from ..work import case, documents, forms, human_tasks, links
from ..work import notifications as notes
from . import blueprint, error_page, fields, uploads, when

bp = blueprint("work")


@bp.route("/")
def home():
    return redirect(url_for("work.inbox"))


@bp.route("/inbox")
def inbox():
    show = request.args.get("show", "open")
    process = request.args.get("process") or None
    key = request.args.get("key", "").strip() or None
    scope = show if show in ("mine", "claimable") else "all"
    items = human_tasks.find(g.user, scope, process=process, status="open", business_key=key)
    counts = {name: len(human_tasks.find(g.user, name, status="open")) for name in ("mine", "claimable")}
    counts["overdue"] = len(human_tasks.find(g.user, "all", status="open", overdue=True))
    processes = db.session.scalars(db.select(Definition).where(Definition.kind == DefinitionKind.PROCESS)
                                   .order_by(Definition.name)).all()
    return render_template("web/inbox.html", items=items, counts=counts, show=show, process=process, key=key,
                           processes=processes, now=clock.now(), takes={t.id for t in items if access.may_take(t, g.user)})


def _page(task, data, errors=(), status=200, seen=None, refused=None, kept=False):
    schema = forms.for_task(task)
    seen, own = instances.task_data(task) if seen is None else seen
    form = fields.build(schema, data, errors, context=seen, choices=human_tasks.pickable()) if schema else []
    loose = [e for e in errors if not any(e.get("field") == f for f in _paths(form))]
    done, handed_out = case.decisions(task.instance), links.of_task(task.id)
    # A task for one of our own people (its outside party evaluated to nobody) is not one to send out.
    outside = (bool(task.settings.get("external_party")) and not task.assignee) or bool(handed_out)
    return render_template("web/task.html", task=task, form=form, errors=errors, loose_errors=loose,
                           multipart=fields.takes_files(form),
                           links=handed_out if outside else None, now_party=handed_out[0].party if handed_out else "",
                           may_hand_out=task.status == TaskStatus.OPEN and not access.why_not_hand_out(task, g.user),
                           case=case.summary(task.instance.version, seen, task.settings.get("show"), own, me=g.user.name),
                           done=done,
                           submitted=next((d for d in done if d.task_id == task.id), None),
                           documents=documents.named(case.started(task.instance) + done),
                           may_act=access.may_complete(task, g.user), apart=access.kept_apart(task, g.user),
                           hand_on=_hand_on(task),
                           may_claim=access.may_take(task, g.user), refused=refused, kept=kept,
                           typed=_typed(schema, data) if refused and task.status != TaskStatus.OPEN else None,
                           now=clock.now()), status


def _typed(schema, data):
    """What someone typed into a task that closed meanwhile, under the form's labels, to show it."""
    props = (schema or {}).get("properties") or {}
    return [case.item(k, data[k], props.get(k)) for k in case.ordered(data, props)
            if data[k] not in (None, "", [], {}, False)]


def _hand_on(task):
    """Who the signed-in person may hand the task to (people and groups), or None if they may not."""
    return human_tasks.pickable() if task.status == TaskStatus.OPEN and access.may_reassign(task, g.user) else None


def _to_fill(task, seen):
    """What the form starts with: a redraft (the task done before in this instance, sent back to it)
    of a form that says ``"x-keep-on-redraft": true`` keeps the work, the fields filled as the data
    has them now; anything else starts empty, for a decision is made afresh each time."""
    schema = forms.for_task(task)
    if not schema or schema.get("x-keep-on-redraft") is not True:
        return {}
    again = db.session.scalar(db.select(HumanTask.id).where(
        HumanTask.instance_id == task.instance_id, HumanTask.element_id == task.element_id,
        HumanTask.status == TaskStatus.COMPLETED).limit(1))
    if again is None:
        return {}
    return {k: seen[k] for k in schema.get("properties") or {} if k in seen}


def _paths(form):
    for f in form:
        yield f.at or f.path   # where its errors are named
        for child in f.children:
            yield from _paths(child if isinstance(child, list) else [child])


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
def task(task_id):
    mine = f"user:{g.user.id}"   # drafts are per person
    if request.method == "GET":
        task = access.task(task_id, g.user)
        seen, draft = instances.task_data(task), human_tasks.draft_of(task, mine)
        # A draft of theirs on a task someone else holds now: shown, with who has it and why.
        why = human_tasks.why_not(task, g.user) if draft and task.status == TaskStatus.OPEN else None
        return _page(task, draft or _to_fill(task, seen[0]), seen=seen, refused=why, kept=why is not None)
    try:
        task = access.task(task_id, g.user)
    except NotFound:   # handed out of their sight meanwhile: still, what they typed is not lost
        return _unsent()
    action = request.form.get("action", "complete")
    schema = forms.for_task(task) or {}
    data = fields.parse(schema, request.form)
    if action.startswith(("add:", "remove:")) and not uploads.chosen(request.files):
        return _page(task, fields.change_rows(fields.build(schema, data), data, action))
    # Every step this page asks for keeps what was typed: refused, the page comes back with it.
    try:
        if task.status != TaskStatus.OPEN:
            raise Conflict(f"this task is already {task.status.value}")
        if action in ("claim", "unclaim"):
            (step.claim_task if action == "claim" else step.unclaim_task)(task.id, g.user)
            human_tasks.save_draft(task, mine, data)   # what they typed before stays theirs
            flash("The task is yours now." if action == "claim" else
                  "The task is back with everyone it is offered to; what you typed is kept as your draft.")
            return redirect(url_for("work.task", task_id=task.id) if action == "claim" else url_for("work.inbox"))
        # Files chosen are given whatever the button: a row added after choosing one does not lose it.
        data, refused = uploads.given(schema, data, request, lambda path, f, dates: documents.receive(
            task, path, f.filename, f.read(), g.user, dates))
        if refused:
            return _page(task, data, refused.details, refused.status)
        if action.startswith(("add:", "remove:")):
            return _page(task, fields.change_rows(fields.build(schema, data), data, action))
        if action == "save":
            access.check_may_complete(task, g.user)
            human_tasks.save_draft(task, mine, data)
            flash("Draft saved. Nobody else sees it, and it is gone once the task is done.")
            return redirect(url_for("work.task", task_id=task.id))
        step.complete_task(task.id, g.user, data)
    except (Invalid, TooLarge) as exc:
        return _page(task, data, exc.details, exc.status)
    except ServiceError as exc:
        return _refused(task, mine, data, exc)
    flash(f"Done: {task.name}.")
    return redirect(url_for("work.inbox"))


def _refused(task, author, data, exc):
    """The task page again after a refused step: what was typed, why it was refused (who has the
    task, since when) and what can be done; while the task waits, what was typed is kept as the
    person's draft too, so it is back whenever the task is theirs again."""
    db.session.rollback()
    db.session.refresh(task)
    offered = access.may_claim(task, g.user)   # lost a race for the task, rather than tried what is not theirs
    why = human_tasks.why_not(task, g.user) if offered else None
    if why is None:   # not a matter of who has the task: say what the step said
        if exc.status in (401, 403):
            security_events.record(exc.status, exc.message)
        why = human_tasks.Refusal(exc.message[:1].upper() + exc.message[1:], open=offered and task.status == TaskStatus.OPEN)
    kept = False
    if why.open:
        try:
            human_tasks.save_draft(task, author, data)
            kept = True
        except Invalid:   # too large to keep: still shown below
            pass
    return _page(task, data, status=exc.status, refused=why, kept=kept)


def _unsent():
    """A task the person may no longer see (handed on out of their sight): nothing about it is shown,
    but what they posted is (the error page shows it back), so it is not lost."""
    return error_page(404, "Not submitted", "This task is no longer one you can see: it was handed on to someone "
                      "else, or it does not exist. Nothing was submitted. Ask the lead of its group or a process "
                      "owner who has it now")


@bp.route("/tasks/<task_id>/reassign", methods=["POST"])
@access.require(access.WORKERS)
def reassign(task_id):
    to = request.form.get("to", "")
    kind, _, name = to.partition(":")
    try:
        task = step.reassign_task(task_id, g.user, name if kind == "user" else None, name if kind == "group" else None,
                                  request.form.get("reason", "").strip()[:2000] or None)
    except (Invalid, Conflict) as exc:
        flash(f"It was not handed on: {exc.message}.")
        return redirect(url_for("work.task", task_id=task_id))
    flash(f"{task.name} is with {task.assignee or ', '.join(task.candidate_names('group'))} now.")
    return redirect(url_for("work.inbox"))


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@access.require(access.WORKERS)   # as the API: people who work on tasks; auditors only read
def claim(task_id):
    try:
        step.claim_task(task_id, g.user)
    except (Conflict, Forbidden):
        why = human_tasks.why_not(access.task(task_id, g.user), g.user)
        if why is None:
            raise
        flash(f"It is not yours: {why.what[:1].lower()}{why.what[1:]}{' at ' + when(why.since) if why.since else ''}.")
        return redirect(url_for("work.task", task_id=task_id))
    flash("The task is yours now.")
    return redirect(url_for("work.task", task_id=task_id))


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@access.require(access.WORKERS)   # as the API: people who work on tasks; auditors only read
def unclaim(task_id):
    step.unclaim_task(task_id, g.user)
    flash("The task is back with everyone it is offered to.")
    return redirect(url_for("work.inbox"))


@bp.route("/notifications")
def notifications():
    items = db.session.scalars(notes.of(g.user).limit(200)).all()
    ids = {n.task_id for n in items if n.task_id}
    ended = {t.id: t for t in db.session.scalars(db.select(HumanTask).where(
        HumanTask.id.in_(ids), HumanTask.status != TaskStatus.OPEN))} if ids else {}
    return render_template("web/notifications.html", items=items, ended=ended)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
def read(notification_id):
    notes.mark_read(g.user, notification_id)
    return redirect(url_for("work.notifications"))


@bp.route("/notifications/read", methods=["POST"])
def read_all():
    notes.mark_read(g.user)
    return redirect(url_for("work.notifications"))

