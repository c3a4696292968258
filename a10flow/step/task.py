"""People's steps on human tasks: complete (in person or through a link), claim, give back, hand on."""
from .. import clock, evidence
from ..database import found
from ..engine import runner
from ..errors import Conflict, Forbidden, Invalid
from ..evidence import personal
from ..models import EvidenceType, HumanTask, TaskCandidate, TaskStatus, User, db
from ..people import access
from ..processes import incidents
from ..work import documents, forms, human_tasks, links, notifications
from .conclusion import conclude, mark_done
from .frame import actor_of, load, lock, locked, transaction


def complete_task(task_id, user, data, link_token=None):
    """Complete a human task with submitted form ``data``; returns the task.

    ``user`` is the person completing it, or None when ``link_token`` (an external
    link for this task) authorizes the completion instead: the link's party then acts on
    behalf of whoever sent the link, who must still be allowed to do the task.

    :raises NotFound, Forbidden, Conflict, Gone (link), Invalid (form errors), StepFailed:
    """
    instance_id = task_instance(task_id, None if link_token is not None else user)
    if link_token is not None:   # the link's party is who acts
        link = links.usable(link_token)
        user = links.holder(link)
    with locked(instance_id, user) as instance:
        task = open_task(task_id)
        sender, party = None, None
        if link_token is not None:
            link = links.usable(link_token)   # again, now the instance is locked
            link.used_at = clock.now()
            party, sender = link.party, _sender(task, link)
        else:
            access.check_may_complete(task, user)
            access.check_apart(task, user)
        schema = forms.for_task(task)
        workflow, parked = load(instance), incidents.parked(instance.id)
        # Only what the form declares: a task without one takes no data.
        data = forms.stamp(schema, data, actor_of(user)["name"])   # a link: "external party (link N)", no address
        forms.check(schema, data, runner.task_data(workflow, task_id)[0])
        # ids of files given before, as what they are
        data = documents.attach(schema, data, documents.of_task(task), task.instance_id)[0]
        now = clock.now()
        submitted, private = personal.split(schema, data, "/submitted")   # x-pii values stay out of the record
        record = {"task_id": task.id, "submitted": submitted,
                  "form": {"name": task.form, "sha256": forms.fingerprint(schema)} if schema else None}
        if schema is None:   # what the person confirmed they did: the step's own instructions
            record["instructions"] = task.documentation
        if party:
            record["party"] = personal.conceal("/party", party, private)
            record["on_behalf_of"] = actor_of(sender) if sender else PROCESS_SENDER
            record["sent_by_process"] = link.sent_by_process
        elif task.outside_party:   # a person records the outside party's answer, received some other way
            sent = links.of_task(task.id)
            record["recorded_for_party"] = True
            record["party"] = personal.conceal("/party", sent[0].party, private) if sent else None
        if task.message:   # a receive task: the form's data is the message it waits for
            happenings = runner.deliver(workflow, task_id, task.message, data, now, parked)[1:]
            record["message"] = task.message
        else:
            happenings = runner.complete(workflow, task_id, data, now, parked)
        mark_done(task, actor_of(user)["name"], now)
        task.completed_for = sender.name if sender else None
        kept = evidence.append(instance, EvidenceType.MESSAGE_RECEIVED if task.message
                               else EvidenceType.TASK_COMPLETED, actor_of(user), (task.element_id, task.name),
                               record)
        personal.store(instance.id, kept["seq"], "/data", private)
        conclude(instance, workflow, happenings, by=sender if link_token is not None else user)
    return task


PROCESS_SENDER = {"id": "system:process", "name": "the process, on a timer"}   # nobody's step sent the link


def _sender(task, link):
    """The person a link speaks for: who handed the task out, or, for a link the process sent by
    itself, whose step opened the task (None: a timer's). A person's link needs its sender still
    allowed to do the task (claims hold); either kind, a sender kept apart from it.

    :raises Forbidden: the task was claimed by someone else since, or the sender has done a task
        this one must be kept apart from."""
    if link.created_by is None:
        return None
    sender = db.session.get(User, link.created_by)
    if (not link.sent_by_process and not access.may_complete(task, sender)) or \
            access.kept_apart(task, sender) is not None:
        raise Forbidden("the person who sent you this link may no longer have this task done: ask them for a "
                        "new link", [{"element": task.element_id, "message": "the link's sender may not do it"}])
    return sender


def claim_task(task_id, user):
    """Take an open task: it becomes the user's alone."""
    with transaction():
        instance = lock(task_instance(task_id, user))
        task = open_task(task_id)
        if task.assignee == user.name:
            return task
        if task.assignee:
            raise Conflict(f"task {task_id} is already claimed by {task.assignee}")
        access.check_may_complete(task, user)   # unclaimed: whether they may claim it
        access.check_apart(task, user)
        task.assignee = user.name
        evidence.append(instance, EvidenceType.TASK_CLAIMED, actor_of(user), (task.element_id, task.name),
                        {"task_id": task.id})
    return task


def unclaim_task(task_id, user, reason=None):
    """Give a claimed task back to its candidates (``reason``: why, when not the assignee's choice)."""
    with transaction():
        instance = lock(task_instance(task_id, user))
        task = open_task(task_id)
        if task.assignee is None:
            raise Conflict(f"task {task_id} is not claimed")
        if not access.may_unclaim(task, user):
            raise Forbidden("only the assignee (or an admin or owner) can unclaim this task")
        previous, task.assignee = task.assignee, None
        evidence.append(instance, EvidenceType.TASK_UNCLAIMED, actor_of(user), (task.element_id, task.name),
                        {"task_id": task.id, "previous_assignee": previous} | ({"reason": reason} if reason else {}))
    return task


def reassign_task(task_id, user, to_user=None, to_group=None, reason=None):
    """Hand an open task to a person (``to_user``, a name) or a group (``to_group``): an owner's or
    the group's lead's step. The new holders are told. Returns the task.

    :raises NotFound: a task ``user`` may not see; Forbidden: see access.may_reassign; Invalid: no
        such person or group, or neither or both given; Conflict: separation of duties keeps that
        person from it.
    """
    with transaction():
        instance = lock(task_instance(task_id, user))
        task = open_task(task_id)
        if not access.may_reassign(task, user):
            raise Forbidden("only an owner, or a lead of the group it is offered to, hands a task on")
        target = _target(to_user, to_group)
        if isinstance(target, User) and (earlier := access.kept_apart(task, target)) is not None:
            raise Conflict(f"separation of duties: {target.name} did {earlier.name!r} in this instance",
                           [{"field": "user", "message": "kept apart from this task"}])
        before = {"groups": task.candidate_names("group"), "users": task.candidate_names("user"),
                  "assignee": task.assignee}
        if isinstance(target, User):
            task.assignee = target.name
        else:
            task.candidates, task.assignee = [TaskCandidate(kind="group", name=target)], None
        db.session.flush()
        notifications.queue_offer(instance, task, told="Handed to you")
        evidence.append(instance, EvidenceType.TASK_REASSIGNED, actor_of(user), (task.element_id, task.name), {
            "task_id": task.id, "by": actor_of(user)["name"], "reason": reason, "from": before,
            "to": {"groups": task.candidate_names("group"), "users": task.candidate_names("user"),
                   "assignee": task.assignee}})
    return task


def _target(to_user, to_group):
    """The User or group name a task is handed to. :raises Invalid: none, both, or unknown."""
    if bool(to_user) == bool(to_group):
        raise Invalid("hand the task to a person or to a group", [{"field": "user", "message": "give one of "
                                                                   "user and group"}])
    if to_user:
        person = db.session.scalar(db.select(User).where(User.name == to_user, human_tasks.ACTIVE))
        if person is None:   # a disabled person is nobody to hand work to
            raise Invalid(f"there is nobody called {to_user!r}", [{"field": "user", "message": "no such person"}])
        return person
    if to_group not in human_tasks.groups():
        raise Invalid(f"nobody is in a group called {to_group!r}", [{"field": "group", "message": "no such group"}])
    return to_group


def task_instance(task_id, user=None):
    """The id of the task's instance; with ``user``, of a task they may see. :raises NotFound:"""
    stmt = db.select(HumanTask.instance_id).where(HumanTask.id == task_id)
    return found(db.session.scalar(stmt if user is None else stmt.where(access.visible_tasks(user))), f"task {task_id}")


def open_task(task_id):
    task = db.session.get(HumanTask, task_id)
    db.session.refresh(task)  # read it again now that the instance is locked
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is already {task.status.value}")
    return task
