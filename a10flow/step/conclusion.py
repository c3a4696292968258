"""The end of every step: mirror what now waits (human tasks, timers, messages) into their tables,
carry out and record what happened, save the state. ``conclude`` reads as that sentence; what the
step does for each kind of happening is in one table."""
from datetime import timedelta

from .. import clock, evidence
from ..deploy import definitions
from ..engine import assignment, runner
from ..engine.happenings import Kind
from ..evidence import canonical, personal
from ..limits import MAX_INSTANCE_DATA
from ..models import (
    EvidenceType,
    HumanTask,
    InstanceStatus,
    MessageWait,
    RegisterEntry,
    TaskCandidate,
    TaskDraft,
    TaskStatus,
    Timer,
    User,
    db,
)
from ..processes import datastores, incidents
from ..work import forms, human_tasks, links, notifications
from .frame import ENGINE_ACTOR, TIMER_ACTOR, StepError


def recorded_as(kind):
    """The evidence record a kind of engine happening is kept as: the type of the same name."""
    return EvidenceType[kind.name]


def conclude(instance, workflow, happenings, status=None, by=None):
    """The end of every step: mirror what now waits, carry out and record what happened (service
    calls as they come, so that they see the tasks this step opened), save. ``by``: the person
    whose step it is (a User), who answers for the links it sends by itself."""
    _mirror(instance, workflow, by if isinstance(by, User) else None)
    known = personal.known(instance.id)   # personal values: hashed wherever copied
    for h in happenings:
        key = (h.kind, h.data.get("operator") if h.kind == Kind.SERVICE_RUN else None)
        if key in BEFORE_RECORD:
            BEFORE_RECORD[key](instance, workflow, h)
        actor = TIMER_ACTOR if h.kind == Kind.TIMER_FIRED else ENGINE_ACTOR
        # The engine reports values as the instance held them; a record holds them plain.
        append_concealed(instance, known, recorded_as(h.kind), actor, (h.element_id, h.element_name),
                         canonical.plain(h.data))
        if key in AFTER_RECORD:
            AFTER_RECORD[key](instance, workflow, h)
    _save(instance, workflow, status)


def _notify(instance, workflow, h):
    h.data["notified"] = notifications.queue(instance, h.element_id, h.data["params"], runner.data(workflow))


def _failed(instance, workflow, h):   # an element failed and is parked: its incident counts it
    h.data = incidents.failed(instance, h.element_id, h.element_name, h.data)


def _decided(instance, workflow, h):   # which deployed version of the table decided
    table = h.data["table"]
    if table.get("sha256"):
        table["version"] = definitions.decision_version(table["decision"], table["sha256"])


def _recorded(instance, workflow, h):
    _record_entry(instance, h.element_id, h.data["params"])


def _written(instance, workflow, h):
    datastores.written(instance, h.element_id, h.data["store"])


# What the step does for a happening besides keeping its record: before it, so the record says
# how it went; after it, for an escalation, whose own records of the tasks it moved follow it.
BEFORE_RECORD = {
    (Kind.SERVICE_RUN, "notify"): _notify,
    (Kind.SERVICE_RUN, "record"): _recorded,
    (Kind.INSTANCE_FAILED, None): _failed,
    (Kind.DECISION_EVALUATED, None): _decided,
    (Kind.DATA_STORE_WRITTEN, None): _written,
}


def append_concealed(instance, known, type_, actor, element, data):
    """Append a record in which the instance's personal values (``known``) stay hashed, wherever
    they were copied."""
    data, found = personal.conceal_known(known, data)
    kept = evidence.append(instance, type_, actor, element, data)
    personal.store(instance.id, kept["seq"], "/data", found)
    return kept


def _record_entry(instance, element_id, params):
    """Make ``params`` the register's current entry for its key; the previous one is kept, superseded.
    With ``merge``, the data is a patch onto the current entry, and a patch that changes nothing
    makes no new entry."""
    now = clock.now()
    data = canonical.plain(params["data"])
    if params.get("merge"):
        current = db.session.scalar(db.select(RegisterEntry.data).where(
            RegisterEntry.register == params["register"], RegisterEntry.key == params["key"],
            RegisterEntry.superseded_at.is_(None)))
        data = merge_patch(current or {}, data)
        if data == current:
            return
    db.session.execute(db.update(RegisterEntry).where(
        RegisterEntry.register == params["register"], RegisterEntry.key == params["key"],
        RegisterEntry.superseded_at.is_(None)).values(superseded_at=now))
    db.session.add(RegisterEntry(register=params["register"], key=params["key"], data=data,
                                 instance_id=instance.id, element_id=element_id, recorded_at=now))


def merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _escalate(instance, workflow, happening):
    """Move every open task of the element (one per instance of a multi-instance task)."""
    params = happening.data["params"]
    moving = human_tasks.open_tasks(instance.id, params["task"])
    if not moving:
        raise StepError(happening.element_id, happening.element_name,
                        f"escalate: no open task {params['task']!r} in this instance")
    for task in moving:
        before = {"groups": task.candidate_names("group"), "users": task.candidate_names("user"),
                  "assignee": task.assignee}
        task.candidates = [TaskCandidate(kind="group", name=n) for n in params["groups"]] + \
                          [TaskCandidate(kind="user", name=n) for n in params["users"]]
        task.assignee = params["assignee"]
        notifications.queue_offer(instance, task, told="Handed to you")
        evidence.append(instance, EvidenceType.TASK_REASSIGNED, ENGINE_ACTOR, (task.element_id, task.name), {
            "task_id": task.id, "by": happening.element_id, "reason": params["reason"], "from": before,
            "to": {"groups": params["groups"], "users": params["users"], "assignee": params["assignee"]}})


AFTER_RECORD = {(Kind.SERVICE_RUN, "escalate"): _escalate}


def _mirror(instance, workflow, by):
    """Make the task and timer tables show exactly what the engine now waits for."""
    now = clock.now()
    open_rows = {t.id: t for t in human_tasks.open_tasks(instance.id)}
    settings_of = instance.version.tasks or {}
    waiting = runner.open_tasks(workflow, {e for e, s in settings_of.items() if s.get("message")})
    for task in waiting:
        if task.id in open_rows:
            continue
        settings = settings_of.get(task.element_id, {})
        offer = assignment.assign(workflow, task, settings, now)
        name = task.name or task.element_id
        row = HumanTask(id=task.id, instance_id=instance.id, element_id=task.element_id,
                        name=f"{name}: {offer.subject}"[:255] if offer.subject else name, lane=task.lane,
                        form=settings.get("form"),
                        documentation=settings.get("documentation"), message=settings.get("message"),
                        status=TaskStatus.OPEN, outside_party=bool(offer.external_party),
                        assignee=offer.assignee, due_at=offer.due_at, created_at=now)
        row.candidates = [TaskCandidate(kind="group", name=n) for n in offer.groups] + \
                         [TaskCandidate(kind="user", name=n) for n in offer.users]
        db.session.add(row)
        db.session.flush()
        notifications.queue_offer(instance, row, skip=by)
        if offer.external_party:   # sent by the process, for the person whose step opened the task
            link, token = links.issue(instance, row, _address(offer.external_party, row), ENGINE_ACTOR,
                                      timedelta(days=offer.link_days), creator=by, by_process=True,
                                      contact=_user(offer.contact))
            notifications.queue_link(instance, row, link, token)
    still_open = {t.id for t in waiting}
    for task_id, row in open_rows.items():
        if task_id not in still_open:
            row.status, row.cancelled_at = TaskStatus.CANCELLED, now
            _ended([task_id])
    db.session.execute(db.delete(Timer).where(Timer.instance_id == instance.id))
    for timer in runner.waiting_timers(workflow):
        db.session.add(Timer(instance_id=instance.id, task_id=timer.task_id, element_id=timer.element_id,
                             name=timer.name, due_at=timer.due_at, cycle=timer.cycle))
    db.session.execute(db.delete(MessageWait).where(MessageWait.instance_id == instance.id))
    for wait in runner.waiting_messages(workflow):
        db.session.add(MessageWait(instance_id=instance.id, task_id=wait.task_id, element_id=wait.element_id,
                                   message=wait.message))


def _ended(task_ids):
    """What hangs on tasks that ended (done or withdrawn) ends with them: nobody needs what they
    saved on them any more, and their notifications stop asking to be read."""
    if task_ids:
        db.session.execute(db.delete(TaskDraft).where(TaskDraft.task_id.in_(task_ids)))
        notifications.settle(task_ids)


def _address(value, task):
    """The e-mail address a task's ``externalParty`` gave. :raises StepError: it gave none."""
    try:
        return forms.email_address(value)
    except ValueError:
        raise StepError(task.element_id, task.name, f"externalParty gave {value[:80]!r}, which is not an "
                        "e-mail address") from None


def _user(name):
    """The account a task's ``contact`` names; None if it names nobody who has one (the link then
    gives the person whose step opened the task)."""
    return db.session.scalar(db.select(User).where(User.name == name)) if name else None


def withdraw(instance, status):
    """End an instance without its engine (whose stored state does not load): nothing waits any
    more, its open tasks are cancelled, and the state is kept as it was, for whoever looks into it."""
    now = clock.now()
    waiting = [t.id for t in human_tasks.open_tasks(instance.id)]
    _ended(waiting)
    if waiting:
        db.session.execute(db.update(HumanTask).where(HumanTask.id.in_(waiting))
                           .values(status=TaskStatus.CANCELLED, cancelled_at=now))
    for table in (Timer, MessageWait):
        db.session.execute(db.delete(table).where(table.instance_id == instance.id))
    instance.status, instance.ended_at, instance.updated_at = status, now, now
    incidents.settle(instance, lambda task_id: False, ended=True)


def _save(instance, workflow, status=None):
    now = clock.now()
    instance.state = runner.dump(workflow)
    instance.data = canonical.plain(runner.data(workflow))
    if (size := len(canonical.canonical(instance.data))) > MAX_INSTANCE_DATA:
        raise StepError(None, None, f"the instance's data would be {size} bytes; at most {MAX_INSTANCE_DATA}: "
                                    "a script or a loop is piling it up")
    instance.updated_at = now
    if status is None and runner.completed(workflow):
        status = InstanceStatus.COMPLETED
    if status is not None:
        instance.status, instance.ended_at = status, now
    incidents.settle(instance, lambda task_id: runner.waits_at(workflow, task_id), ended=status is not None)


def mark_done(task, name, now):
    """The task done by ``name``, and what hangs on it ended with it."""
    task.status, task.completed_at, task.completed_by = TaskStatus.COMPLETED, now, name
    task.assignee = task.assignee or name
    _ended([task.id])
