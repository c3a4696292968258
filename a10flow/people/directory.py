"""The people the service knows: adding them, changing their name, e-mail, role and groups,
disabling them, their passwords and API tokens. Every change is checked, committed in its own
transaction and kept in the access record (a10flow.evidence.access) with who made it; the
pages, the API, the command line and single sign-on all change people only here.
"""
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

from .. import clock
from ..database import found, write
from ..deploy.definitions import uses_of_groups
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..evidence import access as record_of
from ..limits import MAX_NAME, MAX_PASSWORD, MAX_TOKEN_LIFE, MIN_PASSWORD
from ..models import ApiToken, HumanTask, Role, TaskStatus, User, WebSession, db
from ..step.task import unclaim_task
from ..work import forms
from . import access, auth

CLI = {"id": "system:cli", "name": "the a10flow command"}
IDENTITY_PROVIDER = {"id": "system:identity-provider", "name": "the identity provider"}


def _bad(field, message):
    return Invalid(f"{field}: {message}", [{"field": field, "message": message}])


def _word(field, value, longest=MAX_NAME):
    """``value`` as a name or group is kept: trimmed, one line of printable characters."""
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise _bad(field, "required")
    if len(value) > longest:
        raise _bad(field, f"at most {longest} characters")
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise _bad(field, "no line breaks, tabs or control characters")
    return value


def _checked(field, value):
    if field == "name":
        return _word("name", value)
    if field == "email":
        try:
            return forms.email_address(value) if value else None
        except ValueError as exc:
            raise _bad("email", str(exc)) from None
    if field == "role":
        try:
            return Role(value)
        except ValueError:
            raise _bad("role", f"one of {', '.join(r.value for r in Role)}") from None
    if field == "groups":
        groups = [_word("groups", g) for g in ([value] if isinstance(value, str) else value or [])]
        if any("," in g for g in groups):
            raise _bad("groups", "a group's name holds no comma")
        return sorted(set(groups))
    raise _bad(field, "not something a person has")


def _unique(name, user=None):
    clash = db.session.scalar(db.select(User).where(db.func.lower(User.name) == name.lower()))
    if clash is not None and clash is not user:
        raise Conflict(f"someone is already called {name!r}", [{"field": "name", "message": "taken"}])


def _admins_left(without):
    return db.session.scalar(db.select(db.func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.disabled_at.is_(None), User.id != without.id))


def _keeps_an_admin(actor, user, field):
    """:raises Forbidden: the change would leave no admin, or an admin would demote themselves."""
    if user.role != Role.ADMIN:
        return
    if isinstance(actor, User) and actor.id == user.id:
        raise Forbidden(f"{field}: another admin must do this to you, so that you cannot lock yourself out",
                        [{"field": field, "message": "not to yourself"}])
    if not _admins_left(user):
        raise Conflict(f"{field}: {user.name} is the last admin; make someone else admin first",
                       [{"field": field, "message": "the last admin"}])


def people(text=None, after=None, limit=None, active=False):
    """People by name (``text``: part of the name or e-mail; ``after``: the name a page ends on;
    ``active``: only those not disabled)."""
    stmt = db.select(User).order_by(User.name).limit(limit)
    if text:
        stmt = stmt.where(db.or_(User.name.icontains(text, autoescape=True),
                                 User.email.icontains(text, autoescape=True)))
    if after:
        stmt = stmt.where(User.name > after)
    return db.session.scalars(stmt.where(User.disabled_at.is_(None)) if active else stmt).all()


def tokens(person=None, before=None, limit=None):
    """API tokens, newest first: ``person``'s, or everyone's (``before``: the id a page ends on)."""
    stmt = db.select(ApiToken).order_by(ApiToken.id.desc()).limit(limit)
    if person is not None:
        stmt = stmt.where(ApiToken.user_id == person.id)
    return db.session.scalars(stmt.where(ApiToken.id < before) if before else stmt).all()


def find(user_id):
    """:raises NotFound:"""
    return found(db.session.get(User, user_id), f"user {user_id}")


@contextmanager
def _changing():
    """One change to people, in its own transaction that first locks the access record's head: changes
    go one at a time, so a check such as "the last admin" or "the name is free" sees every one before."""
    with write():
        record_of.head_of_record()
        yield


def create_user(actor, name, role=Role.STAFF, groups=(), email=None, password=None, known_as=None):
    """A new person, committed and recorded; ``known_as``: the identity provider's ``(issuer,
    subject)`` for them (a10flow.people.sso). :raises Invalid, Conflict: naming the field."""
    fields = {f: _checked(f, v) for f, v in (("name", name), ("role", role), ("groups", groups), ("email", email))}
    if password is not None:
        _check_password(password)
    with _changing():
        _unique(fields["name"])
        person = User(**fields)
        person.oidc_issuer, person.oidc_subject = known_as or (None, None)
        if password is not None:
            auth.set_password(person, password)
        db.session.add(person)
        record_of.append(actor, person, "user.created", _changes({}, fields))
    return person


def _changes(before, after):
    return {f: "changed" if f == "email" else [before.get(f), getattr(v, "value", v)]
            for f, v in after.items() if before.get(f) != getattr(v, "value", v)}


def change_user(actor, person, **fields):
    """Change ``person``'s name, email, role or groups; only what differs is changed and recorded."""
    wanted = {f: _checked(f, v) for f, v in fields.items()}
    before = {"name": person.name, "email": person.email, "role": person.role.value, "groups": sorted(person.groups)}
    changes = _changes(before, wanted)
    if not changes:
        return person
    with _changing():
        if "name" in changes:
            _unique(wanted["name"], person)
        if "role" in changes:
            _keeps_an_admin(actor, person, "role")
        for field in changes:
            setattr(person, field, wanted[field])
        record_of.append(actor, person, "user.changed", changes)
    return person


def disable_user(actor, person):
    """``person`` can no longer sign in or use a token: their sessions end, their tokens are revoked,
    and the tasks they hold go back to their groups (each recorded in its instance's chain). Their
    history and evidence stay. :raises Forbidden, Conflict: oneself, or the last admin."""
    if isinstance(actor, User) and actor.id == person.id:
        raise Forbidden("you cannot disable yourself", [{"field": "user", "message": "not yourself"}])
    if person.disabled_at is not None:
        return person
    now = clock.now()
    with _changing():
        _keeps_an_admin(actor, person, "user")
        person.disabled_at = now
        db.session.execute(db.update(WebSession).where(WebSession.user_id == person.id,
                                                       WebSession.ended_at.is_(None)).values(ended_at=now))
        db.session.execute(db.update(ApiToken).where(ApiToken.user_id == person.id,
                                                     ApiToken.revoked_at.is_(None)).values(revoked_at=now))
        record_of.append(actor, person, "user.disabled", {"active": [True, False]})
    held = db.session.scalars(db.select(HumanTask.id).where(HumanTask.assignee == person.name,
                                                            HumanTask.status == TaskStatus.OPEN)).all()
    for task_id in held:
        unclaim_task(task_id, actor, reason=f"{person.name}'s account was disabled")
    return person


def enable_user(actor, person):
    """Let a disabled person sign in again (with a new password or token: the old ones stay ended)."""
    if person.disabled_at is None:
        return person
    with write():
        person.disabled_at = None
        record_of.append(actor, person, "user.enabled", {"active": [False, True]})
    return person


def _check_password(password):
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise _bad("password", f"{MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if any(unicodedata.category(c) == "Cc" for c in password):   # nobody types them: a paste gone wrong
        raise _bad("password", "no line breaks, tabs or control characters")


def set_password(actor, person, password):
    """A new password for ``person``; every browser signed in with the old one is signed out."""
    _check_password(password)
    with write():
        auth.set_password(person, password)
        record_of.append(actor, person, "password.set")


def issue_token(actor, person, expires_at):
    """A new API token for ``person``, expiring at ``expires_at`` (within MAX_TOKEN_LIFE): its row, with
    the token itself as ``.token``, shown this once (only its hash is kept)."""
    if expires_at is None or not clock.now() < expires_at <= clock.now() + MAX_TOKEN_LIFE:
        raise _bad("expires_at", f"a time after now and at most {MAX_TOKEN_LIFE.days} days ahead")
    if person.disabled_at is not None:
        raise Conflict(f"{person.name}'s account is disabled", [{"field": "user", "message": "disabled"}])
    with write():
        token = auth.issue_token(person, expires_at)
        row = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == auth.hash_token(token)))
        record(actor, person, "token.issued", token=row.id, expires_at=expires_at.isoformat())
    row.token = token
    return row


def revoke_token(actor, token_id):
    """Revoke an API token ``actor`` may revoke (theirs, or anyone's for an admin). :raises NotFound:"""
    row = db.session.get(ApiToken, token_id)
    if row is None or not access.owns_token(row, actor):
        raise NotFound(f"token {token_id} not found")
    if row.revoked_at is None:
        with write():
            row.revoked_at = clock.now()
            record(actor, row.user, "token.revoked", token=row.id)
    return row


def record(actor, person, action, **details):
    """Keep an access fact about ``person`` (a second factor turned on, sessions ended…), in the
    caller's transaction."""
    return record_of.append(actor, person, action, **details)


@dataclass
class Group:
    """A group as an admin sees it: who is in it, who leads it, what the processes offer it."""
    name: str
    members: list = field(default_factory=list)
    leads: list = field(default_factory=list)
    uses: list = field(default_factory=list)   # (process, lane, task): task None for starting it


def groups():
    """Every group someone is in or a deployed process names, by name (a group's leads are the
    members of its "-leads" group, which is listed too)."""
    found, uses = {}, uses_of_groups()
    for name in uses:
        found[name] = Group(name, uses=uses[name])
    for person in db.session.scalars(db.select(User).where(User.disabled_at.is_(None)).order_by(User.name)):
        for name in person.groups:
            found.setdefault(name, Group(name, uses=uses.get(name, []))).members.append(person.name)
    for name, group in found.items():
        group.leads = found[name + access.LEADS].members if name + access.LEADS in found else []
    return [found[name] for name in sorted(found)]


def set_member(actor, person, group, member=True):
    """Put ``person`` in ``group``, or (``member`` False) take them out; recorded as a change of groups."""
    wanted = set(person.groups) | {group} if member else set(person.groups) - {group}
    return change_user(actor, person, groups=sorted(wanted))
