"""Incidents: the elements of instances that failed, and what was done about them.

A failing engine task (script, condition, service call, timer expression) is parked by
the engine; its incident counts the attempts. A service task with a retry cycle in its
BPMN is tried again by the scheduler after each delay; after the last one, or for any
other element at once, the incident is open and the instance failed until a person
retries it (after fixing the cause, e.g. by migrating to a corrected version) or
resolves it. The moves themselves are steps (a10flow.step); this module keeps the rows.
"""
from .. import clock
from ..database import end_read, found
from ..engine import runner
from ..models import Definition, DefinitionVersion, Incident, IncidentStatus, Instance, InstanceStatus, db

UNRESOLVED = (IncidentStatus.OPEN, IncidentStatus.RETRYING)


def failed(instance, element_id, element_name, failure):
    """Count a failure (``failure``: task_id, error, retry_delays) on its incident, opening one
    if the element has none unresolved. Returns the data its evidence record holds."""
    now = clock.now()
    incident = db.session.scalar(db.select(Incident).where(
        Incident.instance_id == instance.id, Incident.status.in_(UNRESOLVED),
        Incident.task_id == failure["task_id"] if failure["task_id"] else
        (Incident.task_id.is_(None) & (Incident.element_id == element_id))))
    if incident is None:
        incident = Incident(instance_id=instance.id, task_id=failure["task_id"], element_id=element_id,
                            element_name=element_name, attempts=0, first_failed_at=now,
                            by_timer=failure.get("by_timer", False),
                            retry_delays=failure.get("retry_delays") or [])
        db.session.add(incident)
    incident.attempts += 1
    incident.error, incident.last_failed_at = failure["error"][:10_000], now
    delays = incident.retry_delays
    if incident.attempts <= len(delays):
        incident.status = IncidentStatus.RETRYING
        incident.next_attempt_at = runner.after(delays[incident.attempts - 1], now)
    else:
        incident.status, incident.next_attempt_at = IncidentStatus.OPEN, None
    db.session.flush()
    return {"incident": incident.id, "error": incident.error, "attempt": incident.attempts,
            "next_attempt_at": incident.next_attempt_at.isoformat() if incident.next_attempt_at else None}


def resolve(incident, by, resolution):
    incident.status, incident.next_attempt_at = IncidentStatus.RESOLVED, None
    incident.resolved_at, incident.resolved_by, incident.resolution = clock.now(), by, resolution


def settle(instance, waits_at, ended=False):
    """Make the instance's status say whether an incident needs a person. Incidents at a task
    the instance no longer waits at (``waits_at(task_id)`` is false: a boundary event or a
    cancel took it away), and all of an instance that ended, are resolved."""
    unresolved = db.session.scalars(db.select(Incident).where(
        Incident.instance_id == instance.id, Incident.status.in_(UNRESOLVED)).order_by(Incident.id)).all()
    if ended:
        for incident in unresolved:
            resolve(incident, None, f"the instance was {instance.status.value}")
        instance.error = None
        return
    for incident in [i for i in unresolved if i.task_id and not waits_at(i.task_id)]:
        resolve(incident, None, "the process moved on without this element")
        unresolved.remove(incident)
    stuck = [i for i in unresolved if i.status == IncidentStatus.OPEN]
    instance.status = InstanceStatus.FAILED if stuck else InstanceStatus.RUNNING
    last = stuck[-1] if stuck else None
    instance.error = {"incident": last.id, "element": last.element_id, "message": last.error,
                      "at": last.last_failed_at.isoformat()} if last else None


def parked(instance_id):
    """Ids of the engine tasks of the instance that wait, failed, for a person or a retry."""
    return set(db.session.scalars(db.select(Incident.task_id).where(
        Incident.instance_id == instance_id, Incident.status.in_(UNRESOLVED), Incident.task_id.is_not(None))))


def stopped_step(instance_id):
    """A clause: the instance has an unresolved incident whose rolled-back step was its timers
    firing. They wait for a person (firing them again would only fail again and again)."""
    return db.exists().where(Incident.instance_id == instance_id, Incident.by_timer,
                             Incident.status.in_(UNRESOLVED))


def timers_went_through(instance, by):
    """The instance's timers fired without failing (after a move to a fixed version, say): the
    incidents of their earlier, rolled-back firing are over."""
    for incident in db.session.scalars(db.select(Incident).where(
            Incident.instance_id == instance.id, Incident.by_timer, Incident.status.in_(UNRESOLVED))):
        resolve(incident, by, "its timers fired without failing")


def of_instance(instance_id):
    return db.session.scalars(db.select(Incident).where(Incident.instance_id == instance_id)
                              .order_by(Incident.id)).all()


def find(status=None, instance_id=None, process=None, limit=500):
    """Incidents, newest failure first; by default the ones not yet resolved."""
    stmt = db.select(Incident)
    stmt = stmt.where(Incident.status == IncidentStatus(status)) if status else \
        stmt.where(Incident.status.in_(UNRESOLVED))
    if instance_id:
        stmt = stmt.where(Incident.instance_id == instance_id)
    if process:
        stmt = stmt.join(Instance).join(DefinitionVersion).join(Definition).where(Definition.key == process)
    return db.session.scalars(stmt.order_by(Incident.last_failed_at.desc(), Incident.id.desc()).limit(limit)).all()


def get(incident_id):
    """:raises NotFound:"""
    return found(db.session.get(Incident, incident_id), f"incident {incident_id}")


def is_due(incident, now):
    return incident.status == IncidentStatus.RETRYING and incident.next_attempt_at <= now


def due(now, limit):
    """Ids of incidents whose service task is to be tried again now, longest waiting first."""
    ids = db.session.scalars(db.select(Incident.id).where(
        Incident.status == IncidentStatus.RETRYING, Incident.next_attempt_at <= now)
        .order_by(Incident.next_attempt_at).limit(limit)).all()
    end_read()   # each retry is its own transaction
    return ids


def next_due():
    return db.session.scalar(db.select(db.func.min(Incident.next_attempt_at)).where(
        Incident.status == IncidentStatus.RETRYING))
