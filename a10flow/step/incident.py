"""The owner's steps on incidents: run the failed element again, or close it by hand."""
from .. import clock
from ..engine import runner
from ..engine.happenings import Kind
from ..errors import Conflict, Invalid
from ..evidence import personal
from ..models import EvidenceType, IncidentStatus, InstanceStatus, db
from ..people import access
from ..processes import incidents
from ..work import forms
from .conclusion import append_concealed, conclude
from .frame import actor_of, load, lock, locked, step_failed, transaction


def retry_instance(instance_id, user):
    """Retry every incident of a failed instance (see retry_incident). Returns the instance.

    :raises Forbidden: only owners retry; NotFound; Conflict: it has not failed; StepFailed: an
        element failed again.
    """
    access.demand(user, access.OWNERS)
    with transaction():
        instance = lock(instance_id, user=user)
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

    :raises Forbidden: only owners retry; Conflict: already resolved, or nothing is there to run
        again (a person's or a message's step that failed is done again by them); Invalid: ``data``
        for a step that was rolled back; StepFailed: it failed again (the incident counts it).
    """
    if not scheduled:
        access.demand(actor, access.OWNERS)
    with locked(incidents.get(incident_id).instance_id, actor) as instance:
        incident = _unresolved(incident_id)
        if scheduled and not incidents.is_due(incident, clock.now()):
            return incident   # another process retried it meanwhile
        workflow = load(instance)
        _check_data(workflow, incident, data)
        append_concealed(instance, personal.known(instance.id), EvidenceType.INCIDENT_RETRIED, actor_of(actor),
                          (incident.element_id, incident.element_name),
                          {"incident": incident.id, "attempt": incident.attempts + 1, "data": data})
        parked = incidents.parked(instance.id)
        if runner.waits_at(workflow, incident.task_id):
            happenings = runner.retry(workflow, incident.task_id, clock.now(), parked, data)
        else:
            happenings = _run_on(workflow, incident, parked)
        if not any(h.kind == Kind.INSTANCE_FAILED and h.data["task_id"] == incident.task_id
                   for h in happenings):
            incidents.resolve(incident, actor_of(actor)["name"], f"went through on attempt {incident.attempts + 1}")
        conclude(instance, workflow, happenings, by=actor)
    if incident.status != IncidentStatus.RESOLVED:
        raise step_failed(runner.EngineError(incident.element_id, incident.element_name, incident.error))
    return incident


def _run_on(workflow, incident, parked):
    """Retry a step that was rolled back: its timers fire again, from the stored state."""
    happenings = runner.advance(workflow, clock.now(), parked) if incident.by_timer else []
    if not any(h.kind == Kind.TIMER_FIRED for h in happenings):
        raise Conflict("nothing waits to run again: the step that failed here was a person's or a message's, and "
                       "is done again by them; resolve this incident once its cause is fixed",
                       [{"element": incident.element_id, "message": "nothing to run again"}])
    return happenings


def resolve_incident(incident_id, user, comment, data=None):
    """Close an incident by hand: the failed script, service or business rule task counts as
    done, ``data`` standing for what it would have given, and the instance runs on. An incident
    whose step was rolled back is just closed. Returns the incident.

    :raises Forbidden: only owners resolve; Conflict: already resolved, or a gateway or event (which
        must decide: retry it).
    """
    access.demand(user, access.OWNERS)
    instance_id = incidents.get(incident_id).instance_id
    with locked(instance_id, user) as instance:
        incident = _unresolved(incident_id)
        workflow = load(instance)
        happenings, by_hand = [], runner.waits_at(workflow, incident.task_id)
        _check_data(workflow, incident, data)
        if by_hand:
            if why := runner.cannot_skip(workflow, incident.task_id):
                raise Conflict(why, [{"element": incident.element_id, "message": why}])
            happenings = runner.skip(workflow, incident.task_id, clock.now(), incidents.parked(instance.id),
                                     data)
        incidents.resolve(incident, user.name, comment)
        append_concealed(instance, personal.known(instance.id), EvidenceType.INCIDENT_RESOLVED, actor_of(user),
                          (incident.element_id, incident.element_name),
                          {"incident": incident.id, "comment": comment, "completed_by_hand": by_hand,
                           "attempts": incident.attempts, "data": data})
        conclude(instance, workflow, happenings, by=user)
    return incident


def _check_data(workflow, incident, data):
    """An owner's data for a failed element may give only the variables the element's own code
    reads or sets (its script, conditions, decision inputs and outputs…), as plain, bounded JSON.

    :raises Invalid: naming each other field.
    """
    if not data:
        return
    if not runner.waits_at(workflow, incident.task_id):
        raise Invalid("this incident's step was rolled back: there is no element to give data to",
                      [{"field": "data", "message": "only for an element that stopped at a failure"}])
    forms.check(forms.FREE, data)
    used = runner.names_used(workflow, incident.task_id)
    if unknown := sorted(set(data) - used):
        raise Invalid(f"{incident.element_name or incident.element_id} uses no such variable",
                      [{"field": name, "message": "not a variable this element reads or sets "
                                                             f"(it uses: {', '.join(sorted(used)) or 'none'})"}
                       for name in unknown])


def _unresolved(incident_id):
    incident = incidents.get(incident_id)
    db.session.refresh(incident)   # read it again now that the instance is locked
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict(f"incident {incident_id} is already resolved")
    return incident
