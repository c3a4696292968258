"""Who may do what: the roles, what each person sees, and what each may do. Routes, steps and
queries ask here; nothing else decides.

Admins may do anything. Owners run the processes (deploy, cancel, move, retry, sign checkpoints,
grant engagements) and work on tasks; staff work on the tasks offered to them or their groups and
see only the work they are part of; auditors read everything and change nothing; an external
auditor reads what an engagement grants, on its pages, and nothing else. What a person may not
see is refused as not found, so that ids leak nothing.
"""
from datetime import timedelta
from functools import wraps

from flask import current_app, g
from sqlalchemy import and_, exists, or_, true

from .. import clock
from ..database import found
from ..errors import Forbidden, Gone, NotFound
from ..models import Document, Engagement, HumanTask, Instance, Role, TaskCandidate, TaskStatus, db

# Who may, by role: the sets routes require and the rules below read. Admins are in each.
MEMBERS = frozenset({Role.STAFF, Role.OWNER, Role.AUDITOR, Role.ADMIN})   # the organisation's own people
WORKERS = frozenset({Role.STAFF, Role.OWNER, Role.ADMIN})    # work on tasks and start processes
READERS = frozenset({Role.OWNER, Role.AUDITOR, Role.ADMIN})  # see all work, its evidence and its incidents
OWNERS = frozenset({Role.OWNER, Role.ADMIN})   # deploy, cancel, move, retry, resolve, sign, grant engagements;
                                               # read the people, their tokens and the security events
ADMINS = frozenset({Role.ADMIN})               # change people, their groups, passwords and anyone's API tokens
AUDITED = frozenset({Role.EXTERNAL_AUDITOR, Role.ADMIN})   # the engagement pages of an auditor's account


# What opens to anyone: a sign-in form, single sign-on and the provider's answer to it, the pages
# and API routes a link opens (the link is the credential), the key verifiers check packs against,
# the API's description. Everything else asks who someone is first: a session on the pages, a token
# in the API.
PUBLIC = {"account.sign_in", "account.second_factor", "account.sign_out", "account.sign_on", "account.signed_on",
          "link_holder", "auditors.by_link", "auditors.pack_by_link", "links", "evidence.public_key",
          "api-docs"}   # endpoints, or whole blueprints


def public(endpoint):
    return endpoint is None or endpoint in PUBLIC or endpoint.partition(".")[0] in PUBLIC


def may(user, roles):
    return user is not None and user.role in roles


def demand(user, roles):
    """:raises Forbidden: ``user``'s role is not among ``roles``."""
    if not may(user, roles):
        raise Forbidden(f"your role ({user.role.value}) may not do this")


def require(roles):
    """Route decorator: only ``roles`` may call it, as ``g.user``. :raises Forbidden:"""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            demand(g.user, roles)
            return view(*args, **kwargs)
        wrapped.roles = roles   # for pages to offer a link only to whom it opens (may_open)
        return wrapped
    return decorator


def may_open(endpoint):
    """Whether the signed-in person may open the page ``endpoint`` (its ``require``): pages offer only that."""
    roles = getattr(current_app.view_functions.get(endpoint), "roles", None)
    return roles is None or may(getattr(g, "user", None), roles)


def only_engagements(user):
    # Rule: an external auditor reads what an engagement grants, on its pages, and nothing else.
    return user is not None and user.role == Role.EXTERNAL_AUDITOR


def sees_all(user):
    # Rule: owners and auditors see every instance and task, its evidence and its incidents; staff
    # see the work they are part of.
    return may(user, READERS)


def signs_in_with_password(user):
    # Rule: beside single sign-on (A10FLOW_PASSWORD_SIGN_IN admins or off), only admins keep a
    # password: their break-glass account for when the identity provider fails.
    return current_app.config["A10FLOW_PASSWORD_SIGN_IN"] == "on" or may(user, ADMINS)


def owns_token(token, user):
    # Rule: a person revokes their own API tokens; an admin anyone's.
    return token.user_id == user.id or may(user, ADMINS)


def owns_session(web_session, user):
    # Rule: a person sees and ends the browsers signed in as them, and nobody else's.
    return web_session.user_id == user.id


def second_factor_required(user):
    # Rule: the roles A10FLOW_TWO_FACTOR_REQUIRED names sign in with a second factor, when they
    # sign in with a password here (single sign-on brings the provider's own).
    return user.password_hash is not None and user.role in current_app.config["A10FLOW_TWO_FACTOR_REQUIRED"]


def must_enrol(user):
    """Whether ``user`` must turn on a second factor before anything else (second_factor_required)."""
    return second_factor_required(user) and user.totp_on_at is None


WHILE_ENROLLING = {"own_account.two_factor", "own_account.confirm_two_factor"}   # and signing out


# Which tasks and instances a person sees.

def _offered_to_nobody():
    # A task naming nobody is any staff member's, unless it is someone's already (an assignee) or its
    # process sends it to an outside party.
    return ~exists().where(TaskCandidate.task_id == HumanTask.id) & HumanTask.assignee.is_(None) & \
        HumanTask.outside_party.is_(False)


def _is_candidate(user):
    return exists().where(and_(TaskCandidate.task_id == HumanTask.id, or_(
        and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(user.groups or [])),
        and_(TaskCandidate.kind == "user", TaskCandidate.name == user.name))))


def claimable(user):
    """A clause: open, unassigned, and the user is a candidate (a task naming nobody is anyone's)."""
    return and_(HumanTask.status == TaskStatus.OPEN, HumanTask.assignee.is_(None),
                or_(_is_candidate(user), _offered_to_nobody()))


def visible_tasks(user):
    """A clause: the tasks ``user`` sees: all (see sees_all); for staff, theirs, claimable, or
    offered to a group they lead."""
    if sees_all(user):
        return true()
    return or_(HumanTask.assignee == user.name, HumanTask.completed_by == user.name,
               _is_candidate(user), _offered_to_nobody(), exists().where(and_(
                   TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == "group",
                   TaskCandidate.name.in_(led(user)))))


def visible_instances(user):
    """A clause: the instances ``user`` sees: all (see sees_all); for staff, those they started or
    see a task of."""
    if sees_all(user):
        return true()
    return (Instance.started_by == user.id) | exists().where(
        (HumanTask.instance_id == Instance.id) & visible_tasks(user))


def task(task_id, user):
    """The task, if ``user`` may see it. :raises NotFound: also when they may not."""
    return found(db.session.scalar(db.select(HumanTask).where(HumanTask.id == task_id, visible_tasks(user))),
                 f"task {task_id}")


def may_see_task(task_id, user):
    """Whether ``user`` may open the task: a page links to it only then."""
    return user is not None and db.session.scalar(
        db.select(HumanTask.id).where(HumanTask.id == task_id, visible_tasks(user))) is not None


def instance(instance_id, user):
    """The instance, if ``user`` may see it. :raises NotFound: also when they may not."""
    return found(db.session.scalar(db.select(Instance).where(Instance.id == instance_id, visible_instances(user))),
                 f"instance {instance_id}")


def document(document_id, user):
    """A document given on a form, if ``user`` may see the instance it was given in.
    :raises NotFound: also when they may not."""
    return found(db.session.scalar(db.select(Document).join(Instance, Instance.id == Document.instance_id).where(
        Document.id == document_id, visible_instances(user))), f"document {document_id}")


def check_link_task(link, task, field):
    """A link is its holder's authority over its own task, and nothing else.
    :raises Forbidden: ``link`` is another task's (naming ``field``, which it would have given)."""
    if link.task_id != task.id:
        raise Forbidden(f"{field[:80]}: this link is for another task: the file was not stored",
                        [{"field": field[:200], "message": "not this link's task"}])


def link_document(link, document_id, shown=()):
    """A document given for ``link``'s task (by anyone), or one its page ``shown`` (ids) of the case,
    for the link's holder. :raises NotFound: also for any other document: an outside party sees their
    own task only."""
    return found(db.session.scalar(db.select(Document).where(
        Document.id == document_id, (Document.task_id == link.task_id) | Document.id.in_(list(shown))),
    ), f"document {document_id}")


# What a person may do on a task.

LEADS = "-leads"   # the members of "procurement-leads" lead the procurement group


def led(user):
    """The groups ``user`` leads: "procurement" for a member of "procurement-leads"."""
    return sorted(group[:-len(LEADS)] for group in user.groups or [] if group.endswith(LEADS))


def is_candidate(task, user):
    if not task.candidates:
        # A task that names nobody may be taken by any staff member; one for an outside party is
        # theirs, through its link (owners may still record it on their behalf).
        return not task.outside_party
    return any((c.kind == "group" and c.name in (user.groups or [])) or
               (c.kind == "user" and c.name == user.name) for c in task.candidates)


def may_claim(task, user):
    # Rule: people who work on tasks claim those offered to them, owners any; auditors only read.
    return may(user, WORKERS) and (user.role != Role.STAFF or is_candidate(task, user))


def may_complete(task, user):
    # Rule: a claimed task is completed by its assignee alone; an admin or owner who
    # must step in unclaims it first, so the evidence shows the hand-over.
    if task.assignee:
        return task.assignee == user.name
    return may_claim(task, user)


def check_may_complete(task, user):
    """:raises Forbidden: the task is claimed by someone else, or not offered to ``user``."""
    if not may_complete(task, user):
        raise Forbidden(f"{task.assignee} has claimed this task" if task.assignee else
                        "this task is not offered to you or your groups")


def may_unclaim(task, user):
    # Rule: only the assignee gives a task back, or an admin/owner reassigning work.
    return task.assignee == user.name or may(user, OWNERS)


def may_reassign(task, user):
    # Rule: owners hand any task on; a lead hands on the tasks offered to the group they lead.
    return may(user, OWNERS) or (user.role == Role.STAFF and bool(set(led(user)) & set(task.candidate_names("group"))))


def may_take(task, user):
    """Whether to offer ``user`` the task to claim: offered to them, unclaimed, and nothing they did
    before keeping them from it (pages offer Claim only where it would work)."""
    return task.assignee is None and task.status == TaskStatus.OPEN and may_claim(task, user) and \
        kept_apart(task, user) is None


def kept_apart(task, user):
    """The earlier task of its instance ``user`` did that this one must be kept apart from, or None.

    Rule: an approver may not approve what they assessed (``separateFrom`` on the task), also
    when they had it done through a link of theirs.
    """
    if not task.settings.get("separate_from"):
        return None
    return db.session.scalar(db.select(HumanTask).where(
        HumanTask.instance_id == task.instance_id, HumanTask.element_id.in_(task.settings["separate_from"]),
        HumanTask.status == TaskStatus.COMPLETED,
        or_(HumanTask.completed_by == user.name, HumanTask.completed_for == user.name)).limit(1))


def check_apart(task, user):
    """:raises Forbidden: ``user`` did a task this one must be kept apart from."""
    if (earlier := kept_apart(task, user)) is not None:
        raise Forbidden(f"separation of duties: you completed {earlier.name!r} in this instance, so someone "
                        f"else must do {task.name!r}", [{"element": task.element_id, "message": "separation of duties"}])


def why_not_hand_out(task, user):
    """Why ``user`` may not give the task to an outside party by a link, or None when they may.

    Rule: a link delegates the task. Only a task its process made for an outside party (one
    naming ``externalParty``) may be handed out, and only by someone who may do it themselves;
    separation of duties then holds against them (check_apart)."""
    if not task.settings.get("external_party"):
        return "this task is not one for an outside party: its process names none (externalParty)"
    if not may_complete(task, user):
        return "only someone who may do this task can hand it to an outside party"
    return None


def may_revoke(link, user):
    # Rule: who sent a link, or anyone who may do its task, or an owner, may withdraw it.
    return link.created_by == user.id or may_complete(link.task, user) or may(user, OWNERS)


# Who may start what.

def may_start(version, user):
    # Rule: owners start anything; auditors only read; staff start a process their groups (or they)
    # are named for, or any that names nobody.
    if may(user, OWNERS):
        return True
    if user.role != Role.STAFF:
        return False
    start = version.start
    if not start.get("groups") and not start.get("users"):
        return True
    return bool(set(start.get("groups") or []) & set(user.groups or [])) or user.name in (start.get("users") or [])


def check_start(version, user, latest=None):
    """:raises Forbidden: ``user`` may not start ``version`` (see may_start), or it is not ``latest``."""
    if latest is not None and version.id != latest.id and not may(user, OWNERS):
        # An earlier version may lack the controls a later one added (separation of duties, say).
        raise Forbidden(f"only process owners start an earlier version: start version {latest.version}")
    if not may_start(version, user):
        named = (version.start.get("groups") or []) + (version.start.get("users") or [])
        raise Forbidden(f"{version.name} is started by {', '.join(named) or 'process owners'}; you are not among them")


# What an external auditor reads: an engagement (a10flow.evidence.engagements) while it runs.

def engagement_state(engagement):
    """``active``, ``expired`` or ``revoked``."""
    if engagement.revoked_at is not None:
        return "revoked"
    # Access runs through the whole of its last day.
    return "expired" if engagement.expires_at + timedelta(days=1) <= clock.now() else "active"


def open_engagement(engagement):
    """The engagement, if it still opens. :raises Gone: revoked or ended."""
    state = engagement_state(engagement)
    if state == "revoked":
        raise Gone("this engagement was revoked; ask the organisation that granted it")
    if state == "expired":
        raise Gone(f"this engagement ended on {engagement.expires_at:%Y-%m-%d}; ask for it to be extended")
    return engagement


def engagements_of(user, engagement_id=None):
    """The engagements open to ``user``'s account; or, with ``engagement_id``, that one of theirs,
    whatever its state (see open_engagement). :raises NotFound: not theirs, or no such."""
    if engagement_id is None:
        theirs = db.session.scalars(db.select(Engagement).where(Engagement.user_id == user.id)
                                    .order_by(Engagement.id.desc())).all()
        return [e for e in theirs if engagement_state(e) == "active"]
    engagement = db.session.get(Engagement, engagement_id)
    if engagement is None or engagement.user_id != user.id:
        raise NotFound(f"engagement {engagement_id} not found")
    return engagement


def check_covers(engagement, scope):
    """:raises Forbidden: ``scope``'s control is not one the engagement covers."""
    if scope.control not in engagement.controls:
        raise Forbidden(f"this engagement does not cover {scope.control}")
