"""The frame every step runs in: its own transaction, the instance row locked, and the
conclusion that mirrors what now waits, records what happened and saves the state."""
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import joinedload

from .. import clock, evidence
from ..database import end_read, write
from ..deploy import definitions
from ..engine import assignment, runner, stores
from ..engine.happenings import Kind
from ..engine.state import specs_for
from ..errors import Conflict, Forbidden, NotFound, StepFailed
from ..evidence import canonical, personal
from ..limits import MAX_INSTANCE_DATA
from ..models import (
    DefinitionVersion,
    EvidenceType,
    HumanTask,
    Instance,
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

LIVE = (InstanceStatus.RUNNING, InstanceStatus.FAILED)   # a failed instance moves on, but for its incidents

# What stops a step at an element, naming it and saying why: the engine failing there, or the
# evidence refusing a record of it too large to keep.
AT_ELEMENT = (runner.EngineError, evidence.RecordTooLarge)


ENGINE_ACTOR = {"id": "system:engine", "name": "a10flow engine"}


TIMER_ACTOR = {"id": "system:timer", "name": "a10flow scheduler"}

# The evidence record each kind of engine happening is kept as.
RECORDED_AS = {
    Kind.GATEWAY_PATH_TAKEN: EvidenceType.GATEWAY_PATH_TAKEN,
    Kind.DECISION_EVALUATED: EvidenceType.DECISION_EVALUATED,
    Kind.SCRIPT_RUN: EvidenceType.SCRIPT_RUN,
    Kind.SERVICE_RUN: EvidenceType.SERVICE_RUN,
    Kind.TIMER_FIRED: EvidenceType.TIMER_FIRED,
    Kind.MESSAGE_RECEIVED: EvidenceType.MESSAGE_RECEIVED,
    Kind.DATA_STORE_READ: EvidenceType.DATA_STORE_READ,
    Kind.DATA_STORE_WRITTEN: EvidenceType.DATA_STORE_WRITTEN,
    Kind.INSTANCE_COMPLETED: EvidenceType.INSTANCE_COMPLETED,
    Kind.INSTANCE_FAILED: EvidenceType.INSTANCE_FAILED,
}


def actor_of(user):
    """The evidence actor for a person, or a system actor passed through as it is."""
    if isinstance(user, dict):
        return user
    return {"id": user.id, "name": user.name}


@contextmanager
def transaction():
    """The step's own transaction, in which the engine's data stores are read and written too.
    A request may have read (auth) before the step: that read ends first, so that the row lock
    is the first statement of the step's transaction."""
    end_read()
    with write(), stores.kept_by(datastores.Backend()):
        yield


@contextmanager
def locked(instance_id, actor, skip_locked=False):
    """One step on an instance: its own transaction, the instance row locked (see lock). A
    failure that no element can hold rolls all of it back and is kept as an incident.

    :raises StepFailed: naming the element at fault.
    """
    try:
        with transaction():
            yield lock(instance_id, skip_locked)
    except AT_ELEMENT as exc:
        _record_failure(instance_id, exc, actor)
        raise step_failed(exc) from exc


def lock(instance_id, skip_locked=False):
    """The instance row, locked until the step commits.

    With ``skip_locked`` an instance another process is stepping gives None
    instead of a wait (PostgreSQL; SQLite runs one writer at a time anyway).
    """
    instance = db.session.execute(
        db.select(Instance).where(Instance.id == instance_id).with_for_update(of=Instance, skip_locked=skip_locked)
        .options(joinedload(Instance.version).joinedload(DefinitionVersion.definition))
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if instance is None and not skip_locked:
        raise NotFound(f"instance {instance_id} not found")
    return instance


def specs_of(version):
    """The engine's specs of a deployed version, cached.
    Keyed by content, not row id: ids are reused when a database is recreated."""
    return specs_for((version.definition.key, version.content_hash), lambda: version.spec)


def conclude(instance, workflow, happenings, status=None, by=None):
    """The end of every step: mirror what now waits, record what happened (carrying out
    service calls as they come, so they see the tasks this step opened), save. ``by``: the
    person whose step it is (a User), who answers for the links it sends by itself."""
    _mirror(instance, workflow, by if isinstance(by, User) else None)
    data, known = None, personal.known(instance.id)   # personal values: hashed wherever copied
    for h in happenings:
        actor = TIMER_ACTOR if h.kind == Kind.TIMER_FIRED else ENGINE_ACTOR
        if h.kind == Kind.SERVICE_RUN and h.data["operator"] == "notify":
            data = data if data is not None else runner.data(workflow)
            h.data["notified"] = notifications.queue(instance, h.element_id, h.data["params"], data)
        if h.kind == Kind.INSTANCE_FAILED:   # an element failed and is parked: its incident counts it
            h.data = incidents.failed(instance, h.element_id, h.element_name, h.data)
        if h.kind == Kind.DECISION_EVALUATED and h.data["table"].get("sha256"):
            table = h.data["table"]
            table["version"] = definitions.decision_version(table["decision"], table["sha256"])
        if h.kind == Kind.SERVICE_RUN and h.data["operator"] == "record":
            _record_entry(instance, h.element_id, h.data["params"])
        if h.kind == Kind.DATA_STORE_WRITTEN:
            datastores.written(instance, h.element_id, h.data["store"])
        # The engine reports values as the instance held them; a record holds them plain.
        append_concealed(instance, known, RECORDED_AS[h.kind], actor, (h.element_id, h.element_name),
                         canonical.plain(h.data))
        if h.kind == Kind.SERVICE_RUN and h.data["operator"] == "escalate":
            _escalate(instance, h, h.data["params"])
    _save(instance, workflow, status)


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


def _escalate(instance, happening, params):
    """Move every open task of the element (one per instance of a multi-instance task)."""
    moving = notifications.open_tasks(instance.id, params["task"])
    if not moving:
        raise runner.EngineError(happening.element_id, happening.element_name,
                                 f"escalate: no open task {params['task']!r} in this instance")
    for task in moving:
        before = {"groups": task.candidate_names("group"), "users": task.candidate_names("user"),
                  "assignee": task.assignee}
        task.candidates = [TaskCandidate(kind="group", name=n) for n in params["groups"]] + \
                          [TaskCandidate(kind="user", name=n) for n in params["users"]]
        task.assignee = params["assignee"]
        notifications.queue_offer(instance, task, current_app.config, told="Handed to you")
        evidence.append(instance, EvidenceType.TASK_REASSIGNED, ENGINE_ACTOR, (task.element_id, task.name), {
            "task_id": task.id, "by": happening.element_id, "reason": params["reason"], "from": before,
            "to": {"groups": params["groups"], "users": params["users"], "assignee": params["assignee"]}})


def _mirror(instance, workflow, by):
    """Make the task and timer tables show exactly what the engine now waits for."""
    now = clock.now()
    open_rows = {t.id: t for t in db.session.scalars(
        db.select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN))}
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
        notifications.queue_offer(instance, row, current_app.config, skip=by)
        if offer.external_party:   # sent by the process, for the person whose step opened the task
            link, token = links.issue(instance, row, _address(offer.external_party, row), ENGINE_ACTOR,
                                      timedelta(days=offer.link_days), creator=by, by_process=True,
                                      contact=_user(offer.contact))
            notifications.queue_link(instance, row, link, token, current_app.config)
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
    """The e-mail address a task's ``externalParty`` gave. :raises EngineError: it gave none."""
    try:
        return forms.email_address(value)
    except ValueError:
        raise runner.EngineError(task.element_id, task.name, f"externalParty gave {value[:80]!r}, which is not an "
                                 "e-mail address") from None


def _user(name):
    """The account a task's ``contact`` names; None if it names nobody who has one (the link then
    gives the person whose step opened the task)."""
    return db.session.scalar(db.select(User).where(User.name == name)) if name else None


def withdraw(instance, status):
    """End an instance without its engine (whose stored state does not load): nothing waits any
    more, its open tasks are cancelled, and the state is kept as it was, for whoever looks into it."""
    now = clock.now()
    waiting = db.session.scalars(db.select(HumanTask.id).where(HumanTask.instance_id == instance.id,
                                                               HumanTask.status == TaskStatus.OPEN)).all()
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
        raise runner.EngineError(None, None, f"the instance's data would be {size} bytes; at most {MAX_INSTANCE_DATA}: "
                                             "a script or a loop is piling it up")
    instance.updated_at = now
    if status is None and runner.completed(workflow):
        status = InstanceStatus.COMPLETED
    if status is not None:
        instance.status, instance.ended_at = status, now
    incidents.settle(instance, lambda task_id: runner.waits_at(workflow, task_id), ended=status is not None)


def step_failed(exc):
    where = exc.element_name or exc.element_id or "the process"
    return StepFailed(f"the process failed at {where}: {exc.message}",
                      [{"element": exc.element_id, "message": exc.message}])


def _record_failure(instance_id, exc, user):
    """Keep a failure whose step was rolled back as an incident (in its own transaction)."""
    with transaction():
        instance = lock(instance_id)
        failure = {"task_id": None, "error": exc.message, "by_timer": user is TIMER_ACTOR}
        counted = incidents.failed(instance, exc.element_id, exc.element_name, failure)
        if counted["attempt"] == 1:   # the same step failing again is counted on its incident, not
            # recorded again: whoever can send it again and again must not be able to fill the chain
            evidence.append(instance, EvidenceType.INSTANCE_FAILED, actor_of(user),
                            (exc.element_id, exc.element_name), counted)
        incidents.settle(instance, lambda task_id: True)   # the stored state did not change


def mark_done(task, name, now):
    task.status, task.completed_at, task.completed_by = TaskStatus.COMPLETED, now, name
    task.assignee = task.assignee or name
    _ended([task.id])


def keep_duties_apart(instance, task, user):
    """:raises Forbidden: the user did a task this one must be kept apart from."""
    earlier = human_tasks.separation_conflict(task, (instance.version.tasks or {}).get(task.element_id, {}), user)
    if earlier is not None:
        raise Forbidden(f"separation of duties: you completed {earlier.name!r} in this instance, so someone "
                        f"else must do {task.name!r}", [{"element": task.element_id, "message": "separation of duties"}])


def task_instance(task_id):
    instance_id = db.session.scalar(db.select(HumanTask.instance_id).where(HumanTask.id == task_id))
    if instance_id is None:
        raise NotFound(f"task {task_id} not found")
    return instance_id


def open_task(task_id):
    task = db.session.get(HumanTask, task_id)
    db.session.refresh(task)  # read it again now that the instance is locked
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is already {task.status.value}")
    return task
