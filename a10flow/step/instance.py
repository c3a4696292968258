"""The owner's steps on a whole instance: cancel it, move it to a newer version."""
from .. import clock, evidence
from ..deploy import definitions
from ..engine import runner
from ..errors import Conflict, Invalid
from ..evidence import controls
from ..models import EvidenceType, InstanceStatus
from ..people import access
from ..processes import incidents
from ..work import human_tasks
from .conclusion import conclude, withdraw
from .frame import AT_ELEMENT, LIVE, actor_of, load, lock, specs_of, transaction


def cancel_instance(instance_id, user, reason):
    """Cancel a running or failed instance, for ``reason``; its open tasks are withdrawn. An
    instance whose stored state no longer loads can be cancelled too: that is how an owner stops it.

    :raises Forbidden: only owners cancel; NotFound; Invalid: no reason given (the evidence must say
        why work stopped); Conflict: it has ended already.
    """
    access.demand(user, access.OWNERS)
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("say why the instance is cancelled: the reason is kept as evidence",
                      [{"field": "reason", "message": "this field is required"}])
    reason = reason.strip()
    with transaction():
        instance = lock(instance_id, user=user)
        if instance.status not in LIVE:
            raise Conflict(f"instance {instance_id} is already {instance.status.value}")
        record = {"reason": reason}
        try:
            workflow = load(instance)
        except runner.EngineError as exc:
            workflow, record["state_unreadable"] = None, exc.message
        evidence.append(instance, EvidenceType.INSTANCE_CANCELLED, actor_of(user), data=record)
        if workflow is None:
            withdraw(instance, InstanceStatus.CANCELLED)
        else:
            runner.cancel(workflow)
            conclude(instance, workflow, [], InstanceStatus.CANCELLED)
    return instance


def migrate_instance(instance_id, user, number=None):
    """Move a running (or failed) instance to version ``number`` of its process (None: the latest):
    what it has done and waits at stays, what lies ahead comes from the new version. Returns the
    instance.

    :raises Forbidden: only owners move instances; NotFound: no such instance or version; Conflict:
        it has ended, the version is not newer, or does not fit (the elements named).
    """
    access.demand(user, access.OWNERS)
    with transaction():   # not locked: what fails on the move refuses it, and is no incident
        instance = lock(instance_id, user=user)
        before, target = instance.version, definitions.version_of(instance.version.definition, number)
        if instance.status not in LIVE:
            raise Conflict(f"instance {instance_id} is {instance.status.value}: only a running instance moves")
        if target.version <= before.version:
            raise Conflict(f"instance {instance_id} runs version {before.version} of {before.definition.key}: "
                           f"it can only move to a newer version of that process")
        try:
            workflow = runner.migrate(specs_of(before), specs_of(target), instance.state)
        except runner.MigrationRefused as exc:
            raise Conflict(f"instance {instance_id} cannot move to version {target.version}: {exc}",
                           [{"element": e, "message": m} for e, m in exc.problems]) from None
        instance.version = target
        instance.controls = sorted(set(instance.controls) | set(definitions.controls_of(target)), key=controls.order)
        evidence.append(instance, EvidenceType.INSTANCE_MIGRATED, actor_of(user), data={
            "from": {"version": before.version, "content_hash": before.content_hash},
            "to": {"version": target.version, "content_hash": target.content_hash}})
        for task in human_tasks.open_tasks(instance_id):
            new = task.settings   # the new version's form and instructions; same people
            task.form, task.documentation = new.get("form"), new.get("documentation")
        try:
            happenings = runner.advance(workflow, clock.now(), incidents.parked(instance.id))
            incidents.timers_went_through(instance, user.name)   # if they had failed before the move
            conclude(instance, workflow, happenings, by=user)
        except AT_ELEMENT as exc:
            why = f"the new version fails at once at {exc.element_name or exc.element_id}: {exc.message}"
            raise Conflict(f"instance {instance_id} cannot move to version {target.version}: {why}",
                           [{"element": exc.element_id, "message": why}]) from None
    return instance
