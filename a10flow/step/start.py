"""Starting instances: by a person, or by a timer start event falling due."""
from datetime import timedelta

from .. import clock, evidence
from ..deploy import definitions
from ..engine import runner
from ..errors import Invalid
from ..evidence import personal
from ..limits import MAX_BUSINESS_KEY
from ..models import EvidenceType, Instance, InstanceStatus, StartTimer, db
from ..people import access
from ..work import documents, forms
from .conclusion import conclude
from .frame import AT_ELEMENT, TIMER_ACTOR, actor_of, specs_of, step_failed, transaction

START_RETRY = timedelta(hours=1)   # a timer start whose process fails is tried again this much later


def start_instance(version, user, data=None, business_key=None):
    """Start an instance of ``version`` with ``data`` as its start form has it; returns it with its
    first tasks open.

    :raises Invalid: the business key is too long, or the data is not what the start form declares
        (a process without one takes none), or it names a file not given for it by ``user``;
        Forbidden: ``user`` may not start it (see access.check_start).
    """
    if business_key is not None and len(business_key) > MAX_BUSINESS_KEY:
        raise Invalid("the business key is too long", [{"field": "business_key",
                                                        "message": f"at most {MAX_BUSINESS_KEY} characters"}])
    access.check_start(version, user, definitions.version_of(version.definition))
    data, schema = {} if data is None else data, forms.for_start(version)
    forms.check(schema, data)
    try:
        with transaction():
            # Files given for the start form before there was an instance: named now, they are its.
            data, given = documents.attach(schema, data, documents.of_start(version, user)) if schema else (data, [])
            instance = _start(version, user, data, business_key)
            for document in given:
                document.instance_id = instance.id
            return instance
    except AT_ELEMENT as exc:
        raise step_failed(exc) from exc


def _start(version, actor, data, business_key=None, timer=None):
    """Create and run a new instance, inside the caller's transaction."""
    now = clock.now()
    workflow, happenings = runner.start(specs_of(version), data, now, timer and timer["element_id"])
    instance = Instance(version=version, business_key=business_key, status=InstanceStatus.RUNNING,
                        state={}, data={}, started_by=None if isinstance(actor, dict) else actor.id,
                        controls=definitions.controls_of(version), created_at=now, updated_at=now)
    db.session.add(instance)
    db.session.flush()
    entered, private = personal.split(forms.for_start(version), data, "/data")   # x-pii stays out
    kept = evidence.append(instance, EvidenceType.INSTANCE_STARTED, actor_of(actor),
                           data={"business_key": business_key, "data": entered})
    personal.store(instance.id, kept["seq"], "/data", private)
    if timer is not None:
        evidence.append(instance, EvidenceType.TIMER_FIRED, TIMER_ACTOR, (timer["element_id"], timer["name"]),
                        {k: timer[k] for k in ("due_at", "fired_at", "lateness_seconds", "missed_periods")})
    conclude(instance, workflow, happenings, by=actor)
    return instance


def fire_start_timer(start_timer_id):
    """Start the instance a due timer start event calls for, and schedule its next run.

    Returns the new instance, or None when another process got there first.
    """
    with transaction():
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
        except AT_ELEMENT as exc:
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
