"""Steps from outside time and people: due timers firing, BPMN messages arriving."""
from .. import clock
from ..engine import runner
from ..engine.happenings import Kind
from ..errors import NotFound
from ..evidence import personal
from ..models import HumanTask, Instance, MessageWait, TaskStatus, Timer, db
from ..people import access
from ..processes import incidents
from ..work import forms
from .conclusion import append_concealed, conclude, mark_done, recorded_as
from .frame import LIVE, TIMER_ACTOR, actor_of, load, locked


def due_timers(now=None, what=Timer.instance_id):
    """A select of ``what`` (instance ids) of the timers that may fire, those due at ``now`` (None:
    whenever due): their instance is live and not waiting for its owner after its timers failed
    (see incidents.stopped_step)."""
    stmt = (db.select(what).join(Instance, Instance.id == Timer.instance_id)
            .where(Instance.status.in_(LIVE), ~incidents.stopped_step(Instance.id)))
    return stmt if now is None else stmt.where(Timer.due_at < now)


def fire_timers(instance_id):
    """Fire the instance's due timers (the scheduler's step). Returns how many fired.

    Another process already stepping this instance wins; the timers stay for it.
    """
    with locked(instance_id, TIMER_ACTOR, skip_locked=True) as instance:
        now = clock.now()
        if instance is None or not db.session.scalar(due_timers(now).where(Timer.instance_id == instance_id).limit(1)):
            return 0  # fired meanwhile by another process, or nothing to do
        workflow = load(instance)
        happenings = runner.advance(workflow, now, incidents.parked(instance.id))
        conclude(instance, workflow, happenings)
    return sum(h.kind == Kind.TIMER_FIRED for h in happenings)


def deliver_message(instance_id, message, data, actor, task_id=None):
    """Deliver a BPMN message to one instance: to ``task_id`` if given, else to the task
    that waits for it. Returns the instance.

    :raises Forbidden: only owners send messages; NotFound: the instance waits for no such message
        (nothing changes).
    """
    access.demand(actor, access.OWNERS)
    with locked(instance_id, actor) as instance:
        waits = db.select(MessageWait).where(MessageWait.instance_id == instance_id,
                                             MessageWait.message == message)
        if task_id is not None:
            waits = waits.where(MessageWait.task_id == task_id)
        wait = db.session.scalars(waits.order_by(MessageWait.id)).first()
        if wait is None or instance.status not in LIVE:
            raise NotFound(f"instance {instance_id} is not waiting for the message {message!r}")
        workflow = load(instance)
        answered = db.session.get(HumanTask, wait.task_id)   # a receive task people could answer
        schema = _message_form(instance.version, workflow, wait, answered)
        forms.check(schema, data)
        happenings = runner.deliver(workflow, wait.task_id, message, data, clock.now(),
                                    incidents.parked(instance.id))
        received, rest = happenings[0], happenings[1:]
        if answered is not None and answered.status == TaskStatus.OPEN:
            mark_done(answered, actor_of(actor)["name"], clock.now())
        received.data["payload"], private = personal.split(schema, data, "/payload")
        kept = append_concealed(instance, personal.known(instance.id), recorded_as(received.kind), actor_of(actor),
                                (received.element_id, received.element_name), received.data)
        personal.store(instance.id, kept["seq"], "/data", private)
        conclude(instance, workflow, rest, by=actor)
    return instance


def _message_form(version, workflow, wait, answered):
    """What a message's data may hold: the form of the task people answer by it, else the form of
    the element catching it; with neither, anything, but only into its ``messageVariable``."""
    schema = forms.for_task(answered) if answered is not None else forms.for_message(version, wait.element_id)
    if schema is None and runner.message_variable(workflow, wait.task_id, wait.message):
        return forms.FREE
    return schema
