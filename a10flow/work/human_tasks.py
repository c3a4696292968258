"""Who may see, claim and complete a human task; finding the tasks a person may see."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, or_, true

from .. import clock, evidence
from ..database import write
from ..errors import NotFound
from ..models import (
    Definition,
    DefinitionVersion,
    EvidenceType,
    HumanTask,
    Instance,
    Role,
    TaskCandidate,
    TaskDraft,
    TaskStatus,
    User,
    db,
)
from . import forms


def _offered_to_nobody():
    # A task naming nobody is any staff member's, unless it is someone's already (an assignee) or its
    # process sends it to an outside party.
    return ~exists().where(TaskCandidate.task_id == HumanTask.id) & HumanTask.assignee.is_(None) & \
        HumanTask.outside_party.is_(False)


def _is_candidate(user):
    return exists().where(and_(TaskCandidate.task_id == HumanTask.id, or_(
        and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(user.groups or [])),
        and_(TaskCandidate.kind == "user", TaskCandidate.name == user.name))))


def claimable_filter(user):
    """Open, unassigned, and the user is a candidate (a task naming nobody is anyone's)."""
    return and_(HumanTask.status == TaskStatus.OPEN, HumanTask.assignee.is_(None),
                or_(_is_candidate(user), _offered_to_nobody()))


def visible_filter(user):
    """Tasks a user may see: all for admins, owners and auditors; for staff, theirs, claimable, or
    offered to a group they lead."""
    if user.role != Role.STAFF:
        return true()
    return or_(HumanTask.assignee == user.name, HumanTask.completed_by == user.name,
               _is_candidate(user), _offered_to_nobody(), exists().where(and_(
                   TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == "group",
                   TaskCandidate.name.in_(led(user)))))


def is_candidate(task, user):
    if not task.candidates:
        # A task that names nobody may be taken by any staff member; one for an outside party is
        # theirs, through its link (owners may still record it on their behalf).
        return not task.outside_party
    return any((c.kind == "group" and c.name in (user.groups or [])) or
               (c.kind == "user" and c.name == user.name) for c in task.candidates)


def may_claim(task, user):
    # Rule: people who work on tasks claim them; auditors only read.
    if user.role not in (Role.STAFF, Role.OWNER, Role.ADMIN):
        return False
    return user.role != Role.STAFF or is_candidate(task, user)


def separation_conflict(task, settings, user):
    """The earlier task of this instance the user did that this one must be kept apart from, or None.

    Rule: an approver may not approve what they assessed (``separateFrom`` on the task), also
    when they had it done through a link of theirs.
    """
    if not settings.get("separate_from"):
        return None
    return db.session.scalar(db.select(HumanTask).where(
        HumanTask.instance_id == task.instance_id, HumanTask.element_id.in_(settings["separate_from"]),
        HumanTask.status == TaskStatus.COMPLETED,
        or_(HumanTask.completed_by == user.name, HumanTask.completed_for == user.name)).limit(1))


def kept_apart(task, user):
    """The earlier task of its instance ``user`` did that keeps them from this one, or None."""
    return separation_conflict(task, (task.instance.version.tasks or {}).get(task.element_id, {}), user)


def may_take(task, user):
    """Whether to offer ``user`` the task to claim: offered to them, unclaimed, and nothing they did
    before keeping them from it (pages offer Claim only where it would work)."""
    return task.assignee is None and task.status == TaskStatus.OPEN and may_claim(task, user) and \
        kept_apart(task, user) is None


def may_hand_out(task, settings, user):
    """Why ``user`` may not give the task to an outside party by a link, or None when they may.

    Rule: a link delegates the task. Only a task its process made for an outside party (one
    naming ``externalParty``) may be handed out, and only by someone who may do it themselves;
    separation of duties then holds against them (checked by the caller)."""
    if not settings.get("external_party"):
        return "this task is not one for an outside party: its process names none (externalParty)"
    if not may_complete(task, user):
        return "only someone who may do this task can hand it to an outside party"
    return None


LEADS = "-leads"   # the members of "procurement-leads" lead the procurement group


def may_reassign(task, user):
    # Rule: owners hand any task on; a lead hands on the tasks offered to the group they lead.
    if user.role in (Role.ADMIN, Role.OWNER):
        return True
    return user.role == Role.STAFF and bool(set(led(user)) & set(task.candidate_names("group")))


def led(user):
    """The groups ``user`` leads: "procurement" for a member of "procurement-leads"."""
    return sorted(g[:-len(LEADS)] for g in user.groups or [] if g.endswith(LEADS))


def groups():
    """Every group some user is in: what a task can be handed to."""
    return sorted({g for (names,) in db.session.execute(db.select(User.groups)) for g in names or []})


def pickable():
    """The people (those who work on tasks) and the groups a task can go to, and so what a
    form's ``format: user`` and ``format: group`` fields offer staff."""
    people = db.session.scalars(db.select(User.name).where(User.role.in_((Role.STAFF, Role.OWNER, Role.ADMIN)))
                                .order_by(User.name)).all()
    return {"user": people, "group": groups()}


def may_revoke(link, user):
    # Rule: who sent a link, or anyone who may do its task, or an owner, may withdraw it.
    return link.created_by == user.id or may_complete(link.task, user) or user.role in (Role.ADMIN, Role.OWNER)


def may_complete(task, user):
    # Rule: a claimed task is completed by its assignee alone; an admin or owner who
    # must step in unclaims it first, so the evidence shows the hand-over.
    if task.assignee:
        return task.assignee == user.name
    return may_claim(task, user)


def may_unclaim(task, user):
    # Rule: only the assignee gives a task back, or an admin/owner reassigning work.
    return task.assignee == user.name or user.role in (Role.ADMIN, Role.OWNER)


def query(user, scope="all"):
    """Select statement for a user's inbox: scope is mine, claimable or all."""
    stmt = db.select(HumanTask)
    if scope == "mine":
        return stmt.where(HumanTask.assignee == user.name, HumanTask.status == TaskStatus.OPEN)
    if scope == "claimable":
        return stmt.where(claimable_filter(user))
    return stmt.where(visible_filter(user))


def may_see(task_id, user):
    """Whether ``user`` may open the task (see visible): a page links to it only then."""
    return db.session.scalar(db.select(HumanTask.id).where(HumanTask.id == task_id, visible_filter(user))) is not None


def visible(task_id, user):
    """The task, if ``user`` may see it. :raises NotFound: also when they may not, so ids leak nothing."""
    task = db.session.scalar(db.select(HumanTask).where(HumanTask.id == task_id, visible_filter(user)))
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


def find(user, scope="all", process=None, status=None, instance=None, overdue=None, business_key=None):
    """The tasks ``user`` may see (``claimable``: may take now), filtered, overdue first, then by due
    date, then oldest."""
    stmt = query(user, scope)
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
    return [t for t in found if kept_apart(t, user) is None] if scope == "claimable" else found


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
    if (earlier := kept_apart(task, user)) is not None:
        return Refusal(f"Separation of duties: you did “{earlier.name}” in this case, so someone else must do "
                       "this task", earlier.completed_at)
    if may_complete(task, user):
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
    if may_reassign(task, user):
        do.append("As a lead or owner, you can hand it to whoever should have it: “Hand this task on”, below.")
    else:
        leads = [u for g in task.candidate_names("group") for u in members(g + LEADS)]
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
    return sorted(name for name, groups in db.session.execute(db.select(User.name, User.groups))
                  if group in (groups or []))
