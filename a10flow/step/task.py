"""People's steps on human tasks: complete (in person or through a link), claim, give back."""
from .. import clock, evidence, forms, incidents, links, personal, tasks
from ..engine import runner
from ..errors import Conflict, Forbidden
from ..models import EvidenceType
from .transaction import (actor_of, conclude, keep_duties_apart, lock, locked, mark_done, open_task, specs_of,
                          task_instance, transaction)


def complete_task(task_id, user, data, link_token=None):
    """Complete a human task with submitted form ``data``; returns the task.

    ``user`` is the person completing it, or None when ``link_token`` (an external
    link for this task) authorizes the completion instead.

    :raises NotFound, Forbidden, Conflict, Gone (link), Invalid (form errors), StepFailed:
    """
    instance_id = task_instance(task_id)
    if link_token is not None:   # the link's party is who acts
        link = links.usable(link_token)
        user = {"id": f"link:{link.id}", "name": f"external party (link {link.id})"}
    with locked(instance_id, user) as instance:
        party = None
        if link_token is not None:
            link = links.usable(link_token)   # again, now the instance is locked
            link.used_at = clock.now()
            party = link.party   # personal: kept beside the record, like an x-pii field
        task = open_task(task_id)
        if link_token is None and not tasks.may_complete(task, user):
            raise Forbidden("this task is claimed by someone else or not offered to you")
        if link_token is None:
            keep_duties_apart(instance, task, user)
        schema = forms.for_task(task)
        forms.check(schema, data)   # only what the form declares: a task without one takes no data
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
        mark_done(task, actor_of(user)["name"], now)
        kept = evidence.append(instance, EvidenceType.MESSAGE_RECEIVED if task.message
                               else EvidenceType.TASK_COMPLETED, actor_of(user), (task.element_id, task.name),
                               record)
        personal.store(instance.id, kept["seq"], "/data", private)
        conclude(instance, workflow, happenings)
    return task


def claim_task(task_id, user):
    """Take an open task: it becomes the user's alone."""
    with transaction():
        instance = lock(task_instance(task_id))
        task = open_task(task_id)
        if task.assignee == user.name:
            return task
        if task.assignee:
            raise Conflict(f"task {task_id} is already claimed by {task.assignee}")
        if not tasks.may_claim(task, user):
            raise Forbidden("this task is not offered to you or your groups")
        keep_duties_apart(instance, task, user)
        task.assignee = user.name
        evidence.append(instance, EvidenceType.TASK_CLAIMED, actor_of(user), (task.element_id, task.name),
                        {"task_id": task.id})
    return task


def unclaim_task(task_id, user):
    """Give a claimed task back to its candidates."""
    with transaction():
        instance = lock(task_instance(task_id))
        task = open_task(task_id)
        if task.assignee is None:
            raise Conflict(f"task {task_id} is not claimed")
        if not tasks.may_unclaim(task, user):
            raise Forbidden("only the assignee (or an admin or owner) can unclaim this task")
        previous, task.assignee = task.assignee, None
        evidence.append(instance, EvidenceType.TASK_UNCLAIMED, actor_of(user), (task.element_id, task.name),
                        {"task_id": task.id, "previous_assignee": previous})
    return task
