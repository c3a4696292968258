"""The step: everything that moves an instance, each in ONE database transaction.

A step locks the instance row, loads the workflow, applies one action, runs
the engine until it waits, mirrors what now waits (human tasks, timers) into
their tables, appends the evidence, saves the state and commits. If anything
fails, nothing of it is kept. Routes, CLI and scheduler call these functions.
"""
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app

from sqlalchemy.orm import joinedload

from . import canonical, clock, evidence, forms, incidents, links, notify, personal, tasks
from .engine import runner
from .errors import Conflict, Forbidden, Invalid, NotFound, StepFailed
from .models import (DefinitionVersion, EvidenceType, HumanTask, IncidentStatus, Instance, InstanceStatus,
                     MessageWait, RegisterEntry, StartTimer, TaskCandidate, TaskStatus, Timer, db)
from .engine.state import specs_for


START_RETRY = timedelta(hours=1)   # a timer start whose process fails is tried again this much later
LIVE = (InstanceStatus.RUNNING, InstanceStatus.FAILED)   # a failed instance moves on, but for its incidents
ENGINE_ACTOR = {"id": "system:engine", "name": "a10flow engine"}
TIMER_ACTOR = {"id": "system:timer", "name": "a10flow scheduler"}


def actor_of(user):
    """The evidence actor for a person, or a system actor passed through as it is."""
    if isinstance(user, dict):
        return user
    return {"id": user.id, "name": user.name}


@contextmanager
def _transaction():
    # A request may have read (auth) before the step: start the step's own
    # transaction so the row lock is its first statement.
    db.session.commit()
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def _step(instance_id, actor, skip_locked=False):
    """One step on an instance: its own transaction, the instance row locked (see _lock). A
    failure that no element can hold rolls all of it back and is kept as an incident.

    :raises StepFailed: naming the element at fault.
    """
    try:
        with _transaction():
            yield _lock(instance_id, skip_locked)
    except runner.EngineError as exc:
        _record_failure(instance_id, exc, actor)
        raise _failed(exc) from exc


def _lock(instance_id, skip_locked=False):
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


def start_instance(version, user, data=None, business_key=None):
    """Start an instance of ``version``; returns it with its first tasks open."""
    if not isinstance(data or {}, dict):
        raise Invalid("data must be a JSON object", [{"field": "data", "message": "must be an object"}])
    try:
        with _transaction():
            return _start(version, user, data or {}, business_key)
    except runner.EngineError as exc:
        raise _failed(exc) from exc


def _start(version, actor, data, business_key=None, timer=None):
    """Create and run a new instance, inside the caller's transaction."""
    now = clock.now()
    workflow, happenings = runner.start(specs_of(version), data, now, timer and timer["element_id"])
    instance = Instance(version=version, business_key=business_key, status=InstanceStatus.RUNNING,
                        state={}, data={}, started_by=None if isinstance(actor, dict) else actor.id,
                        created_at=now, updated_at=now)
    db.session.add(instance)
    db.session.flush()
    evidence.append(instance, EvidenceType.INSTANCE_STARTED, actor_of(actor),
                    data={"business_key": business_key, "data": data})
    if timer is not None:
        evidence.append(instance, EvidenceType.TIMER_FIRED, TIMER_ACTOR, (timer["element_id"], timer["name"]),
                        {k: timer[k] for k in ("due_at", "fired_at", "lateness_seconds", "missed_periods")})
    _conclude(instance, workflow, happenings)
    return instance


def fire_start_timer(start_timer_id):
    """Start the instance a due timer start event calls for, and schedule its next run.

    Returns the new instance, or None when another process got there first.
    """
    with _transaction():
        row = db.session.scalar(db.select(StartTimer).where(StartTimer.id == start_timer_id)
                                .with_for_update(skip_locked=True))
        now = clock.now()
        if row is None or row.due_at >= now:
            return None
        fired_due, missed, following = row.due_at, 0, None
        if row.period:
            fired_due, missed, following = runner.catch_up(row.due_at, row.period, now)
            if row.remaining > 0:   # a bounded cycle cannot skip past its last repetition
                missed = min(missed, row.remaining - 1)
        timer = {"element_id": row.element_id, "name": row.name, "due_at": fired_due.isoformat(),
                 "fired_at": now.isoformat(), "lateness_seconds": int((now - fired_due).total_seconds()),
                 "missed_periods": missed}
        try:
            with db.session.begin_nested():   # a failed start leaves the schedule row to update
                instance = _start(row.version, TIMER_ACTOR, {}, timer=timer)
        except runner.EngineError as exc:
            row.last_error = f"{exc.element_id}: {exc.message}"
            row.due_at = now + START_RETRY
            return None
        row.last_error = None
        if row.remaining > 0:
            row.remaining -= missed + 1
        if row.period and row.remaining != 0:
            row.due_at = following
        else:
            db.session.delete(row)
    return instance


def complete_task(task_id, user, data, link_token=None):
    """Complete a human task with submitted form ``data``; returns the task.

    ``user`` is the person completing it, or None when ``link_token`` (an external
    link for this task) authorizes the completion instead.

    :raises NotFound, Forbidden, Conflict, Gone (link), Invalid (form errors), StepFailed:
    """
    instance_id = _task_instance(task_id)
    if link_token is not None:   # the link's party is who acts
        link = links.usable(link_token)
        user = {"id": f"link:{link.id}", "name": f"external party (link {link.id})"}
    with _step(instance_id, user) as instance:
        party = None
        if link_token is not None:
            link = links.usable(link_token)   # again, now the instance is locked
            link.used_at = clock.now()
            party = link.party   # personal: kept beside the record, like an x-pii field
        task = _open_task(task_id)
        if link_token is None and not tasks.may_complete(task, user):
            raise Forbidden("this task is claimed by someone else or not offered to you")
        if link_token is None:
            _keep_duties_apart(instance, task, user)
        schema = forms.for_task(task)
        if schema is not None:
            errors = forms.field_errors(schema, data)
            if errors:
                raise Invalid("the form has errors", errors)
        workflow, parked = runner.load(specs_of(instance.version), instance.state), incidents.parked(instance.id)
        now = clock.now()
        submitted, private = personal.split(schema, data, "/submitted")   # x-pii values stay out of the record
        record = {"task_id": task.id, "submitted": submitted,
                  "form": {"name": task.form, "sha256": forms.fingerprint(schema)} if schema else None}
        if party:
            record["party"] = personal.conceal("/party", party, private)
        if task.message:   # a receive task: the form's data is the message it waits for
            happenings = runner.deliver(workflow, task_id, task.message, data, now, parked)[1:]
            record["message"] = task.message
        else:
            happenings = runner.complete(workflow, task_id, data, now, parked)
        _done(task, actor_of(user)["name"], now)
        kept = evidence.append(instance, EvidenceType.MESSAGE_RECEIVED if task.message
                               else EvidenceType.TASK_COMPLETED, actor_of(user), (task.element_id, task.name),
                               record)
        personal.store(instance.id, kept["seq"], "/data", private)
        _conclude(instance, workflow, happenings)
    return task


def claim_task(task_id, user):
    """Take an open task: it becomes the user's alone."""
    with _transaction():
        instance = _lock(_task_instance(task_id))
        task = _open_task(task_id)
        if task.assignee == user.name:
            return task
        if task.assignee:
            raise Conflict(f"task {task_id} is already claimed by {task.assignee}")
        if not tasks.may_claim(task, user):
            raise Forbidden("this task is not offered to you or your groups")
        _keep_duties_apart(instance, task, user)
        task.assignee = user.name
        evidence.append(instance, EvidenceType.TASK_CLAIMED, actor_of(user), (task.element_id, task.name),
                        {"task_id": task.id})
    return task


def unclaim_task(task_id, user):
    """Give a claimed task back to its candidates."""
    with _transaction():
        instance = _lock(_task_instance(task_id))
        task = _open_task(task_id)
        if task.assignee is None:
            raise Conflict(f"task {task_id} is not claimed")
        if not tasks.may_unclaim(task, user):
            raise Forbidden("only the assignee (or an admin or owner) can unclaim this task")
        previous, task.assignee = task.assignee, None
        evidence.append(instance, EvidenceType.TASK_UNCLAIMED, actor_of(user), (task.element_id, task.name),
                        {"task_id": task.id, "previous_assignee": previous})
    return task


def cancel_instance(instance_id, user, reason=None):
    with _transaction():
        instance = _lock(instance_id)
        if instance.status not in LIVE:
            raise Conflict(f"instance {instance_id} is already {instance.status.value}")
        workflow = runner.load(specs_of(instance.version), instance.state)
        runner.cancel(workflow)
        evidence.append(instance, EvidenceType.INSTANCE_CANCELLED, actor_of(user), data={"reason": reason})
        _conclude(instance, workflow, [], InstanceStatus.CANCELLED)
    return instance


def retry_instance(instance_id, user):
    """Retry every incident of a failed instance (see retry_incident). Returns the instance.

    :raises Conflict: it has not failed; StepFailed: an element failed again.
    """
    with _transaction():
        instance = _lock(instance_id)
        if instance.status != InstanceStatus.FAILED:
            raise Conflict(f"instance {instance_id} is {instance.status.value}, not failed")
        waiting = [i.id for i in incidents.of_instance(instance_id) if i.status in incidents.UNRESOLVED]
    for incident_id in waiting:
        retry_incident(incident_id, user)
    return instance


def retry_incident(incident_id, actor, data=None, scheduled=False):
    """Run the failed element again (with ``data`` merged into its data first), or, when its
    step was rolled back, run the instance on from its stored state (a timer that failed to
    fire fires again). Returns the incident, resolved when that went through. ``scheduled``:
    the scheduler's retry of a service task, which does nothing unless it is still due.

    :raises Conflict: already resolved, or nothing is there to run again (a person's or a
        message's step that failed is done again by them); Invalid: ``data`` for a step that
        was rolled back; StepFailed: it failed again (the incident counts it).
    """
    with _step(incidents.get(incident_id).instance_id, actor) as instance:
        incident = _unresolved(incident_id)
        if scheduled and not incidents.is_due(incident, clock.now()):
            return incident   # another process retried it meanwhile
        workflow = runner.load(specs_of(instance.version), instance.state)
        _append_concealed(instance, personal.known(instance.id), EvidenceType.INCIDENT_RETRIED, actor_of(actor),
                          (incident.element_id, incident.element_name),
                          {"incident": incident.id, "attempt": incident.attempts + 1, "data": data})
        parked = incidents.parked(instance.id)
        if runner.waits_at(workflow, incident.task_id):
            happenings = runner.retry(workflow, incident.task_id, clock.now(), parked, data)
        else:
            happenings = _run_on(workflow, incident, parked, data)
        if not any(h.type == EvidenceType.INSTANCE_FAILED and h.data["task_id"] == incident.task_id
                   for h in happenings):
            incidents.resolve(incident, actor_of(actor)["name"], f"went through on attempt {incident.attempts + 1}")
        _conclude(instance, workflow, happenings)
    if incident.status != IncidentStatus.RESOLVED:
        raise _failed(runner.EngineError(incident.element_id, incident.element_name, incident.error))
    return incident


def _run_on(workflow, incident, parked, data):
    """Retry a step that was rolled back: its timers fire again, from the stored state."""
    if data:
        raise Invalid("this incident's step was rolled back: there is no element to give data to",
                      [{"field": "data", "message": "only for an element that stopped at a failure"}])
    happenings = runner.advance(workflow, clock.now(), parked) if incident.by_timer else []
    if not any(h.type == EvidenceType.TIMER_FIRED for h in happenings):
        raise Conflict("nothing waits to run again: the step that failed here was a person's or a message's, and "
                       "is done again by them; resolve this incident once its cause is fixed",
                       [{"element": incident.element_id, "message": "nothing to run again"}])
    return happenings


def resolve_incident(incident_id, user, comment, data=None):
    """Close an incident by hand: the failed script, service or business rule task counts as
    done, ``data`` standing for what it would have given, and the instance runs on. An incident
    whose step was rolled back is just closed. Returns the incident.

    :raises Conflict: already resolved, or a gateway or event (which must decide: retry it).
    """
    instance_id = incidents.get(incident_id).instance_id
    with _step(instance_id, user) as instance:
        incident = _unresolved(incident_id)
        workflow = runner.load(specs_of(instance.version), instance.state)
        happenings, by_hand = [], runner.waits_at(workflow, incident.task_id)
        if by_hand:
            if why := runner.cannot_skip(workflow, incident.task_id):
                raise Conflict(why, [{"element": incident.element_id, "message": why}])
            happenings = runner.skip(workflow, incident.task_id, clock.now(), incidents.parked(instance.id),
                                     data)
        incidents.resolve(incident, user.name, comment)
        _append_concealed(instance, personal.known(instance.id), EvidenceType.INCIDENT_RESOLVED, actor_of(user),
                          (incident.element_id, incident.element_name),
                          {"incident": incident.id, "comment": comment, "completed_by_hand": by_hand,
                           "data": data if by_hand else None})
        _conclude(instance, workflow, happenings)
    return incident


def _unresolved(incident_id):
    incident = incidents.get(incident_id)
    db.session.refresh(incident)   # read it again now that the instance is locked
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict(f"incident {incident_id} is already resolved")
    return incident


def migrate_instance(instance_id, user, target):
    """Move a running (or failed) instance to ``target``, a newer version of its process: what it
    has done and waits at stays, what lies ahead comes from the new version. Returns the instance.

    :raises Conflict: it has ended, ``target`` is not newer, or does not fit (the elements named).
    """
    with _transaction():   # not _step: what fails on the move refuses it, and is no incident
        instance = _lock(instance_id)
        before = instance.version
        if instance.status not in LIVE:
            raise Conflict(f"instance {instance_id} is {instance.status.value}: only a running instance moves")
        if target.definition_id != before.definition_id or target.version <= before.version:
            raise Conflict(f"instance {instance_id} runs version {before.version} of {before.definition.key}: "
                           f"it can only move to a newer version of that process")
        try:
            workflow = runner.migrate(specs_of(before), specs_of(target), instance.state)
        except runner.MigrationRefused as exc:
            raise Conflict(f"instance {instance_id} cannot move to version {target.version}: {exc}",
                           [{"element": e, "message": m} for e, m in exc.problems]) from None
        instance.version = target
        evidence.append(instance, EvidenceType.INSTANCE_MIGRATED, actor_of(user), data={
            "from": {"version": before.version, "content_hash": before.content_hash},
            "to": {"version": target.version, "content_hash": target.content_hash}})
        settings = target.tasks or {}
        for task in db.session.scalars(db.select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                                  HumanTask.status == TaskStatus.OPEN)):
            new = settings.get(task.element_id, {})   # the new version's form and instructions; same people
            task.form, task.documentation = new.get("form"), new.get("documentation")
        try:
            happenings = runner.advance(workflow, clock.now(), incidents.parked(instance.id))
            incidents.timers_went_through(instance, user.name)   # if they had failed before the move
            _conclude(instance, workflow, happenings)
        except runner.EngineError as exc:
            why = f"the new version fails at once at {exc.element_name or exc.element_id}: {exc.message}"
            raise Conflict(f"instance {instance_id} cannot move to version {target.version}: {why}",
                           [{"element": exc.element_id, "message": why}]) from None
    return instance


def due_timers(now):
    """Instance ids of the timers due at ``now`` that may fire: their instance is live and not
    waiting for its owner after its timers failed (see incidents.stopped_step)."""
    return (db.select(Timer.instance_id).join(Instance, Instance.id == Timer.instance_id)
            .where(Instance.status.in_(LIVE), ~incidents.stopped_step(Instance.id), Timer.due_at < now))


def fire_timers(instance_id):
    """Fire the instance's due timers (the scheduler's step). Returns how many fired.

    Another process already stepping this instance wins; the timers stay for it.
    """
    with _step(instance_id, TIMER_ACTOR, skip_locked=True) as instance:
        now = clock.now()
        if instance is None or not db.session.scalar(due_timers(now).where(Timer.instance_id == instance_id).limit(1)):
            return 0  # fired meanwhile by another process, or nothing to do
        workflow = runner.load(specs_of(instance.version), instance.state)
        happenings = runner.advance(workflow, now, incidents.parked(instance.id))
        _conclude(instance, workflow, happenings)
    return sum(h.type == EvidenceType.TIMER_FIRED for h in happenings)


def deliver_message(instance_id, message, data, actor, task_id=None):
    """Deliver a BPMN message to one instance: to ``task_id`` if given, else to the task
    that waits for it. Returns the instance.

    :raises NotFound: the instance waits for no such message (nothing changes).
    """
    with _step(instance_id, actor) as instance:
        waits = db.select(MessageWait).where(MessageWait.instance_id == instance_id,
                                             MessageWait.message == message)
        if task_id is not None:
            waits = waits.where(MessageWait.task_id == task_id)
        wait = db.session.scalars(waits.order_by(MessageWait.id)).first()
        if wait is None or instance.status not in LIVE:
            raise NotFound(f"instance {instance_id} is not waiting for the message {message!r}")
        workflow = runner.load(specs_of(instance.version), instance.state)
        happenings = runner.deliver(workflow, wait.task_id, message, data, clock.now(),
                                    incidents.parked(instance.id))
        received, rest = happenings[0], happenings[1:]
        answered = db.session.get(HumanTask, wait.task_id)   # a receive task people could answer
        if answered is not None and answered.status == TaskStatus.OPEN:
            _done(answered, actor_of(actor)["name"], clock.now())
        _append_concealed(instance, personal.known(instance.id), received.type, actor_of(actor),
                          (received.element_id, received.element_name), received.data)
        _conclude(instance, workflow, rest)
    return instance


def _done(task, name, now):
    task.status, task.completed_at, task.completed_by = TaskStatus.COMPLETED, now, name
    task.assignee, task.draft = task.assignee or name, None


def _keep_duties_apart(instance, task, user):
    """:raises Forbidden: the user did a task this one must be kept apart from."""
    earlier = tasks.separation_conflict(task, (instance.version.tasks or {}).get(task.element_id, {}), user)
    if earlier is not None:
        raise Forbidden(f"separation of duties: you completed {earlier.name!r} in this instance, so someone "
                        f"else must do {task.name!r}", [{"element": task.element_id, "message": "separation of duties"}])


def _task_instance(task_id):
    instance_id = db.session.scalar(db.select(HumanTask.instance_id).where(HumanTask.id == task_id))
    if instance_id is None:
        raise NotFound(f"task {task_id} not found")
    return instance_id


def _open_task(task_id):
    task = db.session.get(HumanTask, task_id)
    db.session.refresh(task)  # read it again now that the instance is locked
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is already {task.status.value}")
    return task


def _conclude(instance, workflow, happenings, status=None):
    """The end of every step: mirror what now waits, record what happened (carrying out
    service calls as they come, so they see the tasks this step opened), save."""
    _mirror(instance, workflow)
    data, known = None, personal.known(instance.id)   # personal values: hashed wherever copied
    for h in happenings:
        actor = TIMER_ACTOR if h.type == EvidenceType.TIMER_FIRED else ENGINE_ACTOR
        if h.type == EvidenceType.SERVICE_RUN and h.data["operator"] == "notify":
            data = data if data is not None else runner.data(workflow)
            h.data["notified"] = notify.queue(instance, h.element_id, h.data["params"], data)
        if h.type == EvidenceType.INSTANCE_FAILED:   # an element failed and is parked: its incident counts it
            h.data = incidents.failed(instance, h.element_id, h.element_name, h.data)
        if h.type == EvidenceType.SERVICE_RUN and h.data["operator"] == "record":
            _record_entry(instance, h.element_id, h.data["params"])
        _append_concealed(instance, known, h.type, actor, (h.element_id, h.element_name), h.data)
        if h.type == EvidenceType.SERVICE_RUN and h.data["operator"] == "escalate":
            _escalate(instance, h, h.data["params"])
    _save(instance, workflow, status)


def _append_concealed(instance, known, type_, actor, element, data):
    """Append a record in which the instance's personal values (``known``) stay hashed, wherever
    they were copied."""
    data, found = personal.conceal_known(known, data)
    kept = evidence.append(instance, type_, actor, element, data)
    personal.store(instance.id, kept["seq"], "/data", found)


def _record_entry(instance, element_id, params):
    """Make ``params`` the register's current entry for its key; the previous one is kept, superseded."""
    now = clock.now()
    db.session.execute(db.update(RegisterEntry).where(
        RegisterEntry.register == params["register"], RegisterEntry.key == params["key"],
        RegisterEntry.superseded_at.is_(None)).values(superseded_at=now))
    db.session.add(RegisterEntry(register=params["register"], key=params["key"], data=canonical.plain(params["data"]),
                                 instance_id=instance.id, element_id=element_id, recorded_at=now))


def _escalate(instance, happening, params):
    """Move every open task of the element (one per instance of a multi-instance task)."""
    moving = notify.open_tasks(instance.id, params["task"])
    if not moving:
        raise runner.EngineError(happening.element_id, happening.element_name,
                                 f"escalate: no open task {params['task']!r} in this instance")
    for task in moving:
        before = {"groups": task.candidate_names("group"), "users": task.candidate_names("user"),
                  "assignee": task.assignee}
        task.candidates = [TaskCandidate(kind="group", name=n) for n in params["groups"]] + \
                          [TaskCandidate(kind="user", name=n) for n in params["users"]]
        task.assignee = params["assignee"]
        evidence.append(instance, EvidenceType.TASK_REASSIGNED, ENGINE_ACTOR, (task.element_id, task.name), {
            "task_id": task.id, "by": happening.element_id, "reason": params["reason"], "from": before,
            "to": {"groups": params["groups"], "users": params["users"], "assignee": params["assignee"]}})


def _mirror(instance, workflow):
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
        offer = runner.assign(workflow, task, settings, now)
        row = HumanTask(id=task.id, instance_id=instance.id, element_id=task.element_id,
                        name=task.name or task.element_id, lane=task.lane, form=settings.get("form"),
                        documentation=settings.get("documentation"), message=settings.get("message"),
                        status=TaskStatus.OPEN,
                        assignee=offer.assignee, due_at=offer.due_at, created_at=now)
        row.candidates = [TaskCandidate(kind="group", name=n) for n in offer.groups] + \
                         [TaskCandidate(kind="user", name=n) for n in offer.users]
        db.session.add(row)
        if offer.external_party:
            link, token = links.issue(row, offer.external_party, lifetime=timedelta(days=offer.link_days))
            notify.queue_link(instance, row, link, token, current_app.config["A10FLOW_BASE_URL"])
    still_open = {t.id for t in waiting}
    for task_id, row in open_rows.items():
        if task_id not in still_open:
            row.status = TaskStatus.CANCELLED
    db.session.execute(db.delete(Timer).where(Timer.instance_id == instance.id))
    for timer in runner.waiting_timers(workflow):
        db.session.add(Timer(instance_id=instance.id, task_id=timer.task_id, element_id=timer.element_id,
                             name=timer.name, due_at=timer.due_at, cycle=timer.cycle))
    db.session.execute(db.delete(MessageWait).where(MessageWait.instance_id == instance.id))
    for wait in runner.waiting_messages(workflow):
        db.session.add(MessageWait(instance_id=instance.id, task_id=wait.task_id, element_id=wait.element_id,
                                   message=wait.message))


def _save(instance, workflow, status=None):
    now = clock.now()
    instance.state = runner.dump(workflow)
    instance.data = canonical.plain(runner.data(workflow))
    instance.updated_at = now
    if status is None and runner.completed(workflow):
        status = InstanceStatus.COMPLETED
    if status is not None:
        instance.status, instance.ended_at = status, now
    incidents.settle(instance, lambda task_id: runner.waits_at(workflow, task_id), ended=status is not None)


def _failed(exc):
    where = exc.element_name or exc.element_id or "the process"
    return StepFailed(f"the process failed at {where}: {exc.message}",
                      [{"element": exc.element_id, "message": exc.message}])


def _record_failure(instance_id, exc, user):
    """Keep a failure whose step was rolled back as an incident (in its own transaction)."""
    with _transaction():
        instance = _lock(instance_id)
        failure = {"task_id": None, "error": exc.message, "by_timer": user is TIMER_ACTOR}
        evidence.append(instance, EvidenceType.INSTANCE_FAILED, actor_of(user), (exc.element_id, exc.element_name),
                        incidents.failed(instance, exc.element_id, exc.element_name, failure))
        incidents.settle(instance, lambda task_id: True)   # the stored state did not change
