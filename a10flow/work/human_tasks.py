"""Human tasks: a person's inbox (the tasks they may see, a10flow.people.access), an instance's open
tasks, drafts, and why someone may not do a task now."""
from dataclasses import dataclass, field
from datetime import datetime

from .. import clock, evidence
from ..database import write
from ..models import (
    Definition,
    DefinitionVersion,
    EvidenceType,
    HumanTask,
    Instance,
    TaskCandidate,
    TaskDraft,
    TaskStatus,
    User,
    db,
)
from ..people import access
from . import forms

ACTIVE = User.disabled_at.is_(None)   # a disabled person is handed nothing, and counts in no group


def groups():
    """Every group some active person is in: what a task can be handed to."""
    return sorted({g for (names,) in db.session.execute(db.select(User.groups).where(ACTIVE)) for g in names or []})


def pickable():
    """The people (those who work on tasks) and the groups a task can go to, and so what a
    form's ``format: user`` and ``format: group`` fields offer staff."""
    people = db.session.scalars(db.select(User.name).where(User.role.in_(access.WORKERS), ACTIVE)
                                .order_by(User.name)).all()
    return {"user": people, "group": groups()}


def offered_by_name(name):
    """The open tasks nobody holds that are offered to the person ``name`` by name: someone must hand
    them on once that person is disabled."""
    return db.session.scalars(db.select(HumanTask).join(TaskCandidate).where(
        TaskCandidate.kind == "user", TaskCandidate.name == name, HumanTask.status == TaskStatus.OPEN,
        HumanTask.assignee.is_(None)).order_by(HumanTask.created_at)).all()


def open_tasks(instance_id, element_id=None):
    """The open tasks of an instance (of one element: one, or one per instance of a multi-instance
    task), oldest first."""
    stmt = db.select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)
    if element_id is not None:
        stmt = stmt.where(HumanTask.element_id == element_id)
    return db.session.scalars(stmt.order_by(HumanTask.created_at)).all()


def find(user, scope="all", process=None, status=None, instance=None, overdue=None, business_key=None):
    """The tasks ``user`` may see (``mine``: holds, ``claimable``: may take now), filtered, overdue
    first, then by due date, then oldest."""
    stmt = db.select(HumanTask).where(access.claimable(user) if scope == "claimable" else
                                      (HumanTask.assignee == user.name) & (HumanTask.status == TaskStatus.OPEN)
                                      if scope == "mine" else access.visible_tasks(user))
    if process or business_key:
        stmt = stmt.join(Instance, Instance.id == HumanTask.instance_id)
    if process:
        stmt = stmt.join(DefinitionVersion).join(Definition).where(Definition.key == process)
    if business_key:
        stmt = stmt.where(Instance.business_key.contains(business_key, autoescape=True))
    if status:
        stmt = stmt.where(HumanTask.status == TaskStatus(status))
    if instance:
        stmt = stmt.where(HumanTask.instance_id == instance)
    if overdue is not None:
        late = HumanTask.due_at < clock.now()
        stmt = stmt.where(HumanTask.status == TaskStatus.OPEN, late if overdue else ~late)
    stmt = stmt.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
    found = db.session.scalars(stmt).all()
    # Offered to someone separation of duties keeps from it, a task is not theirs to take.
    return [t for t in found if access.kept_apart(t, user) is None] if scope == "claimable" else found


def draft_of(task, author):
    """What ``author`` ("user:<id>" or "link:<id>") saved on the task, or None."""
    return db.session.scalar(db.select(TaskDraft.data).where(TaskDraft.task_id == task.id,
                                                             TaskDraft.author == author))


def save_draft(task, author, data):
    """Keep form data its author has not submitted yet; nobody else sees it, and it is gone when
    the task is done. :raises Invalid: it is too large."""
    forms.check_bounds(data)
    with write():
        row = db.session.scalar(db.select(TaskDraft).where(TaskDraft.task_id == task.id, TaskDraft.author == author))
        if row is None:
            row = TaskDraft(task_id=task.id, author=author)
            db.session.add(row)
        row.data, row.saved_at = data, clock.now()


@dataclass
class Refusal:
    """Why someone may not do a task now, as its page tells them: what happened, by whom, since
    when, and what they can do about it."""
    what: str
    since: datetime | None = None
    do: list = field(default_factory=list)
    open: bool = True   # the task still waits: what they typed is worth keeping as their draft


def why_not(task, user):
    """Why ``user`` may not complete ``task`` as it stands now, or None when they may."""
    if task.status == TaskStatus.COMPLETED:
        return Refusal(f"{task.completed_by} completed this task", task.completed_at, [
            "Compare what they submitted with what you typed, shown below; if something of yours is missing, "
            f"tell {task.completed_by}."], open=False)
    if task.status == TaskStatus.CANCELLED:
        return Refusal("The process withdrew this task (it moved on, or the case was ended)", task.cancelled_at,
                       ["Nothing more is needed here; what you typed is shown below should you need it elsewhere."],
                       open=False)
    if (earlier := access.kept_apart(task, user)) is not None:
        return Refusal(f"Separation of duties: you did “{earlier.name}” in this case, so someone else must do "
                       "this task", earlier.completed_at)
    if access.may_complete(task, user):
        return None
    move = _last_move(task)
    if task.assignee:
        by = move.get("by") if move else None
        what = f"{task.assignee} claimed this task" if by in (None, task.assignee) else \
            f"{by} handed this task to {task.assignee}"
        do = [f"Ask {task.assignee} to give it back (“Give it back” on this page) or to take over what you typed."]
    else:
        what = f"{move['by']} handed this task to {task.held_by}" if move else f"This task is with {task.held_by}"
        do = []
    if access.may_reassign(task, user):
        do.append("As a lead or owner, you can hand it to whoever should have it: “Hand this task on”, below.")
    else:
        leads = [u for g in task.candidate_names("group") for u in members(g + access.LEADS)]
        do.append(f"Ask {' or '.join(dict.fromkeys(leads)) if leads else 'a process owner'} to hand it to you.")
    return Refusal(what, move["at"] if move else None, do)


def _last_move(task):
    """The latest claim or hand-over of ``task``, as ``{"by", "at"}``, from its instance's evidence."""
    moves = (EvidenceType.TASK_CLAIMED.value, EvidenceType.TASK_REASSIGNED.value)
    for record in reversed(evidence.records(task.instance_id)):
        if record["type"] in moves and (record.get("data") or {}).get("task_id") == task.id:
            actor = record["actor"]
            by = "the process" if str(actor.get("id")).startswith("system:") else actor.get("name")
            return {"by": by, "at": datetime.fromisoformat(record["at"])}
    return None


def members(group):
    """The names of the people in ``group``."""
    return sorted(name for name, groups in db.session.execute(db.select(User.name, User.groups).where(ACTIVE))
                  if group in (groups or []))
